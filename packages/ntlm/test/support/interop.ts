/** Adapters between our scoped contexts and the peer drivers of the interop harness. */
import { Effect } from "effect"
import { SecBuffer, type SecurityContext, SspiRuntime, type SecurityError } from "@effect-sspi/core"
import { Drivers, type Peer, type PeerError } from "@effect-sspi/interop-harness"

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

/**
 * Signed and sealed messages both ways between our context and a driver.
 * gss-ntlmssp's wrap token is the 16-byte signature followed by the sealed data.
 */
export const exchangeMessages = (ours: SecurityContext.SecurityContext, peer: Peer.Peer) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2; i++) {
      const message = enc.encode(`from us #${i}`)
      const signature = yield* ours.makeSignature(message)
      yield* Drivers.verifyMic(peer, message, signature)
      const sealed = yield* ours.encrypt(message)
      const token = new Uint8Array([
        ...SecBuffer.find(sealed, SecBuffer.BufferType.TOKEN)!.data,
        ...SecBuffer.find(sealed, SecBuffer.BufferType.DATA)!.data
      ])
      const opened = yield* Drivers.unwrap(peer, token)
      if (new TextDecoder().decode(opened.message) !== `from us #${i}`) throw new Error("peer unwrapped other bytes")

      const theirs = enc.encode(`from peer #${i}`)
      const mic = yield* Drivers.getMic(peer, theirs)
      yield* ours.verifySignature(theirs, mic)
      const wrapped = yield* Drivers.wrap(peer, theirs, true)
      const plain = yield* ours.decrypt([
        SecBuffer.token(wrapped.token.subarray(0, 16)),
        SecBuffer.data(wrapped.token.slice(16))
      ])
      const data = SecBuffer.find(plain.buffers, SecBuffer.BufferType.DATA)!.data
      if (new TextDecoder().decode(data) !== `from peer #${i}`) throw new Error("we unsealed other bytes")
    }
  })

export type { PeerError }
