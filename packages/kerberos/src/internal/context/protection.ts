/**
 * MakeSignature / VerifySignature / EncryptMessage / DecryptMessage over
 * RFC 4121 tokens and SecBuffer lists.
 *
 * Layout: a signature is the MIC token in the SECBUFFER_TOKEN buffer, over
 * the DATA buffers. EncryptMessage turns [TOKEN, DATA] into a Wrap token
 * whose last |DATA| octets stay in the DATA buffer and the rest go to the
 * TOKEN buffer (RRC = the trailer length, as Windows does), so TOKEN‖DATA
 * is the whole Wrap token a GSS-API peer unwraps. DecryptMessage takes a
 * SECBUFFER_STREAM with a whole token, or TOKEN‖DATA.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import { SecBuffer, SecurityError } from "@effect-sspi/core"
import type { SecurityPackage } from "@effect-sspi/core"
import { GssFlags } from "../gss/checksum.ts"
import { makeMic, type Refusal, unwrap, verifyMic, wrapDetached } from "../gss/perMessage.ts"
import { type KerberosContext, protectionKey } from "./state.ts"

/** QOP of a Wrap without confidentiality (KERB_WRAP_NO_ENCRYPT). */
export const KERB_WRAP_NO_ENCRYPT = 0x80000001

const BT = SecBuffer.BufferType

const keyOf = (s: KerberosContext) => {
  const k = protectionKey(s)
  return k === undefined
    ? Effect.fail(new SecurityError.UnsupportedFunction({ detail: "message protection needs an AES session key" }))
    : Effect.succeed(k)
}

const concatData = (buffers: ReadonlyArray<SecBuffer.SecBuffer>) => {
  const parts = buffers.filter((b) => b.baseType === BT.DATA).map((b) => b.data)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const refused = (r: Refusal) =>
  r === "Altered"
    ? new SecurityError.MessageAltered({ detail: "the token does not verify" })
    : new SecurityError.InvalidToken({ detail: "malformed per-message token" })

const fromAcceptor = (s: KerberosContext) => s.role === "acceptor"

/** Checks and advances the receive sequence number. */
const sequence = (s: KerberosContext, seq: number): Effect.Effect<void, SecurityError.SspiError> => {
  const checked = (s.gssFlags & (GssFlags.REPLAY | GssFlags.SEQUENCE)) !== 0
  if (checked && seq !== s.recvSeq) {
    return Effect.fail(new SecurityError.OutOfSequence({ detail: seq < s.recvSeq ? "replayed message" : "message out of order" }))
  }
  s.recvSeq = (seq + 1) % 2 ** 64
  return Effect.void
}

const replaceToken = (buffers: ReadonlyArray<SecBuffer.SecBuffer>, token: Uint8Array) => {
  let done = false
  const out = buffers.map((b) => {
    if (done || b.baseType !== BT.TOKEN) return b
    done = true
    return new SecBuffer.SecBuffer({ type: b.type, data: token })
  })
  return done ? out : [...out, SecBuffer.token(token)]
}

/** @since 0.1.0 */
export const makeSignature = (s: KerberosContext, message: ReadonlyArray<SecBuffer.SecBuffer>) =>
  Effect.map(keyOf(s), (k) => replaceToken(message, makeMic(k, fromAcceptor(s), s.sendSeq++, concatData(message))))

/** @since 0.1.0 */
export const verifySignature = (s: KerberosContext, message: ReadonlyArray<SecBuffer.SecBuffer>) =>
  Effect.gen(function*() {
    const k = yield* keyOf(s)
    const token = SecBuffer.find(message, BT.TOKEN)
    if (token === undefined) return yield* new SecurityError.InvalidToken({ detail: "no signature buffer" })
    const seq = verifyMic(k, !fromAcceptor(s), token.data, concatData(message))
    if (Result.isFailure(seq)) return yield* refused(seq.failure)
    yield* sequence(s, seq.success)
    return 0
  })

/** @since 0.1.0 */
export const encryptMessage = (s: KerberosContext, qop: number, message: ReadonlyArray<SecBuffer.SecBuffer>) =>
  Effect.gen(function*() {
    const k = yield* keyOf(s)
    const data = SecBuffer.find(message, BT.DATA)
    if (data === undefined || SecBuffer.find(message, BT.TOKEN) === undefined) {
      return yield* new SecurityError.InvalidToken({ detail: "EncryptMessage needs a TOKEN and a DATA buffer" })
    }
    const conf = qop !== KERB_WRAP_NO_ENCRYPT
    const rrc = conf ? 16 + k.profile.checksumSize : k.profile.checksumSize
    // TOKEN and DATA are ours alone, handed out as they are: no copy of the
    // message (64 KiB on the hot path), and when sealed DATA is the cipher's own output
    const wrapped = wrapDetached(k, fromAcceptor(s), s.sendSeq++, conf, data.data, rrc)
    let dataDone = false
    return replaceToken(message, wrapped.token).map((b) => {
      if (dataDone || b.baseType !== BT.DATA) return b
      dataDone = true
      return new SecBuffer.SecBuffer({ type: b.type, data: wrapped.data })
    })
  })

/** @since 0.1.0 */
export const decryptMessage = (s: KerberosContext, message: ReadonlyArray<SecBuffer.SecBuffer>) =>
  Effect.gen(function*(): Effect.fn.Return<SecurityPackage.Unprotected, SecurityError.SspiError> {
    const k = yield* keyOf(s)
    const stream = SecBuffer.find(message, BT.STREAM)
    const token = stream?.data ?? (() => {
      const t = SecBuffer.find(message, BT.TOKEN)?.data ?? new Uint8Array(0)
      const d = SecBuffer.find(message, BT.DATA)?.data ?? new Uint8Array(0)
      const all = new Uint8Array(t.length + d.length)
      all.set(t)
      all.set(d, t.length)
      return all
    })()
    const opened = unwrap(k, !fromAcceptor(s), token)
    if (Result.isFailure(opened)) return yield* refused(opened.failure)
    yield* sequence(s, opened.success.seq)
    const plain = opened.success.plaintext
    const rest = message.filter((b) => b.baseType !== BT.DATA && b.baseType !== BT.TOKEN && b.baseType !== BT.STREAM)
    return {
      buffers: [SecBuffer.token(new Uint8Array(0)), SecBuffer.data(plain), ...rest],
      qop: opened.success.conf ? 0 : KERB_WRAP_NO_ENCRYPT
    }
  })
