/**
 * Adapters between our scoped security contexts (@effect-sspi/core) and the
 * peer drivers: our context as a handshake `Stepper`, and signed and sealed
 * messages exchanged with a driver both ways.
 */
import { Effect } from "effect"
import { SecBuffer, type SecurityContext, SspiRuntime, type SecurityError } from "@effect-sspi/core"
import * as Drivers from "./Drivers.ts"
import type * as Peer from "./Peer.ts"

/** How sealed buffers travel as one GSS wrap token, per mechanism. */
export interface WrapFraming {
  readonly join: (sealed: ReadonlyArray<SecBuffer.SecBuffer>) => Uint8Array
  readonly split: (token: Uint8Array) => ReadonlyArray<SecBuffer.SecBuffer>
}

/** NTLM (gss-ntlmssp): the 16-byte signature, then the sealed data. */
export const ntlmFraming: WrapFraming = {
  join: (sealed) =>
    new Uint8Array([
      ...SecBuffer.find(sealed, SecBuffer.BufferType.TOKEN)!.data,
      ...SecBuffer.find(sealed, SecBuffer.BufferType.DATA)!.data
    ]),
  split: (token) => [SecBuffer.token(token.subarray(0, 16)), SecBuffer.data(token.slice(16))]
}

const enc = new TextEncoder()

/** Our context as a harness `Stepper` (the runtime is captured from the caller). */
export const ourStepper = (context: SecurityContext.SecurityContext) =>
  SspiRuntime.SspiRuntime.useSync((runtime): Drivers.Stepper<SecurityError.SspiError> => ({
    step: (token) =>
      context.step(token ?? undefined).pipe(
        Effect.map((r) => ({ token: r.token ?? null, done: r.done })),
        Effect.provideService(SspiRuntime.SspiRuntime, runtime)
      )
  }))

/** Kerberos (RFC 4121): one Wrap token; ours is the header buffer then the data. */
export const kerberosFraming: WrapFraming = {
  join: (sealed) =>
    Buffer.concat(
      sealed.filter((b) => b.baseType === SecBuffer.BufferType.TOKEN || b.baseType === SecBuffer.BufferType.DATA)
        .map((b) => b.data)
    ),
  split: (token) => [SecBuffer.token(token), SecBuffer.data(new Uint8Array(0))]
}

/** Signed and sealed messages both ways between our context and a driver. */
export const exchangeMessages = (ours: SecurityContext.SecurityContext, peer: Peer.Peer, framing: WrapFraming = ntlmFraming) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2; i++) {
      const message = enc.encode(`from us #${i}`)
      const signature = yield* ours.makeSignature(message)
      yield* Drivers.verifyMic(peer, message, signature)
      const opened = yield* Drivers.unwrap(peer, framing.join(yield* ours.encrypt(message)))
      if (new TextDecoder().decode(opened.message) !== `from us #${i}`) throw new Error("peer unwrapped other bytes")

      const theirs = enc.encode(`from peer #${i}`)
      const mic = yield* Drivers.getMic(peer, theirs)
      yield* ours.verifySignature(theirs, mic)
      const wrapped = yield* Drivers.wrap(peer, theirs, true)
      const plain = yield* ours.decrypt(framing.split(wrapped.token))
      const data = SecBuffer.find(plain.buffers, SecBuffer.BufferType.DATA)!.data
      if (new TextDecoder().decode(data) !== `from peer #${i}`) throw new Error("we unsealed other bytes")
    }
  })
