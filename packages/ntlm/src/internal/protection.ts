/**
 * MakeSignature / VerifySignature / EncryptMessage / DecryptMessage over
 * SecBuffer lists for an established NTLM context. The SECBUFFER_TOKEN
 * buffer carries the 16-byte NTLMSSP_MESSAGE_SIGNATURE; the SECBUFFER_DATA
 * buffers are the message (sealed in order, as one RC4 stream).
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

/** Replaces the DATA buffers' contents with consecutive slices of `data`, and the TOKEN with `token`. */
const rebuild = (buffers: Buffers, data: Uint8Array | undefined, token: Uint8Array | undefined): Buffers => {
  let at = 0
  return buffers.map((b) => {
    if (b.baseType === BufferType.TOKEN && token !== undefined) return new SecBuffer.SecBuffer({ type: b.type, data: token })
    if (b.baseType !== BufferType.DATA || data === undefined) return b
    const slice = data.subarray(at, at + b.data.length)
    at += b.data.length
    return new SecBuffer.SecBuffer({ type: b.type, data: slice })
  })
}

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
      Effect.sync(() => rebuild(message, undefined, s.sign(messageOf(message))))),
  verifySignature: (state, message) =>
    Effect.flatMap(Effect.zip(session(state), signatureOf(message)), ([s, signature]) =>
      outcome(s.verify(messageOf(message), signature))),
  encryptMessage: (state, _qop, message) =>
    Effect.flatMap(Effect.zip(session(state), needToken(message)), ([s]) =>
      Effect.sync(() => {
        const sealed = s.seal(messageOf(message))
        return rebuild(message, sealed.data, sealed.signature)
      })),
  decryptMessage: (state, message) =>
    Effect.flatMap(Effect.zip(session(state), signatureOf(message)), ([s, signature]) => {
      const opened = s.unseal(messageOf(message), signature)
      return Effect.map(outcome(opened.outcome), () => ({ buffers: rebuild(message, opened.data, undefined), qop: 0 }))
    })
}
