/**
 * MakeSignature / VerifySignature / EncryptMessage / DecryptMessage over
 * SecBuffer lists for an established NTLM context. The SECBUFFER_TOKEN
 * buffer carries the 16-byte NTLMSSP_MESSAGE_SIGNATURE; the SECBUFFER_DATA
 * buffers are the message (sealed in order, as one RC4 stream). As on
 * Windows, EncryptMessage and DecryptMessage work in place: the DATA
 * buffers' bytes are overwritten.
 */
import { SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect } from "effect"
import { SIGNATURE_LENGTH, type NtlmSessionSecurity, type VerifyOutcome } from "./session.ts"
import { type NtlmContext, sessionOf } from "./state.ts"

const { BufferType } = SecBuffer
type Buffers = ReadonlyArray<SecBuffer.SecBuffer>

const session = (state: NtlmContext): Effect.Effect<NtlmSessionSecurity, SecurityError.SspiError> => {
  const security = sessionOf(state)
  return security === undefined ? Effect.fail(new SecurityError.NoContext({})) : Effect.succeed(security)
}

/** The DATA buffers' bytes as one message (no copy for the usual single buffer). */
const messageOf = (buffers: Buffers): Uint8Array => {
  const parts = buffers.filter((b) => b.baseType === BufferType.DATA)
  if (parts.length === 1) return parts[0]!.data
  const out = new Uint8Array(parts.reduce((n, b) => n + b.data.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part.data, at)
    at += part.data.length
  }
  return out
}

/** Writes `data` back over the DATA buffers when it is a joined copy of them. */
const scatter = (buffers: Buffers, data: Uint8Array): void => {
  let at = 0
  for (const b of buffers) {
    if (b.baseType !== BufferType.DATA) continue
    if (b.data !== data) b.data.set(data.subarray(at, at + b.data.length))
    at += b.data.length
  }
}

/** The buffers with the TOKEN replaced by `token`. */
const withToken = (buffers: Buffers, token: Uint8Array): Buffers =>
  buffers.map((b) => b.baseType === BufferType.TOKEN ? new SecBuffer.SecBuffer({ type: b.type, data: token }) : b)

const signatureOf = (buffers: Buffers): Effect.Effect<Uint8Array, SecurityError.SspiError> => {
  const token = SecBuffer.find(buffers, BufferType.TOKEN)
  return token === undefined
    ? Effect.fail(new SecurityError.InvalidToken({ detail: "no signature buffer" }))
    : token.data.length < SIGNATURE_LENGTH
    ? Effect.fail(new SecurityError.MessageAltered({}))
    : Effect.succeed(token.data.subarray(0, SIGNATURE_LENGTH))
}

const needToken = (buffers: Buffers): Effect.Effect<void, SecurityError.SspiError> =>
  SecBuffer.find(buffers, BufferType.TOKEN) === undefined
    ? Effect.fail(new SecurityError.InvalidToken({ detail: "no SECBUFFER_TOKEN for the signature" }))
    : Effect.void

const outcome = (o: VerifyOutcome): Effect.Effect<number, SecurityError.SspiError> =>
  o === "valid"
    ? Effect.succeed(0)
    : Effect.fail(o === "altered" ? new SecurityError.MessageAltered({}) : new SecurityError.OutOfSequence({}))

/** The four message functions of the package interface. */
export const protection: Pick<
  SecurityPackage.SecurityPackage<unknown, NtlmContext>,
  "makeSignature" | "verifySignature" | "encryptMessage" | "decryptMessage"
> = {
  makeSignature: (state, _qop, message) =>
    Effect.flatMap(Effect.zip(session(state), needToken(message)), ([s]) =>
      Effect.sync(() => withToken(message, s.sign(messageOf(message))))),
  verifySignature: (state, message) =>
    Effect.flatMap(Effect.zip(session(state), signatureOf(message)), ([s, signature]) =>
      outcome(s.verify(messageOf(message), signature))),
  encryptMessage: (state, _qop, message) =>
    Effect.flatMap(Effect.zip(session(state), needToken(message)), ([s]) =>
      Effect.sync(() => {
        const data = messageOf(message)
        const sealed = s.seal(data, data)
        scatter(message, data)
        return withToken(message, sealed.signature)
      })),
  decryptMessage: (state, message) =>
    Effect.flatMap(Effect.zip(session(state), signatureOf(message)), ([s, signature]) => {
      const data = messageOf(message)
      const opened = s.unseal(data, signature, data)
      scatter(message, data)
      return Effect.map(outcome(opened.outcome), () => ({ buffers: message, qop: 0 }))
    })
}
