/**
 * Interop helpers: our contexts as harness Steppers, a runtime over the
 * Kerberos package for a realm, and the message exchanges with a peer.
 */
import { assert } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Credentials, Flags, SecBuffer, type SecurityContext, type SecurityError, SspiRuntime } from "@effect-sspi/core"
import { Drivers, type Peer, type Realm } from "@effect-sspi/interop-harness"
import { Kerberos } from "../../src/index.ts"

export const realmLayer = (realm: Realm.Realm) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Kerberos.layer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env }))
  )

export const ALL_REQ = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT |
  Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY

/** Our context as a harness Stepper (the runtime captured from the caller). */
export const stepper = (ctx: SecurityContext.SecurityContext) =>
  SspiRuntime.SspiRuntime.useSync((runtime): Drivers.Stepper<SecurityError.SspiError> => ({
    step: (token) =>
      ctx.step(token ?? undefined).pipe(
        Effect.map((s) => ({ token: s.token ?? null, done: s.done })),
        Effect.provideService(SspiRuntime.SspiRuntime, runtime)
      )
  }))

export const acquire = (credentialUse: Flags.CredentialUse, authData: unknown) =>
  Credentials.acquire({ packageName: "Kerberos", credentialUse, authData })

const enc = new TextEncoder()

const joined = (buffers: ReadonlyArray<SecBuffer.SecBuffer>) =>
  Buffer.concat(buffers.filter((b) => b.baseType === SecBuffer.BufferType.TOKEN || b.baseType === SecBuffer.BufferType.DATA).map((b) => b.data))

/** Wrap (sealed and not) and MIC both ways between our context and a gss_peer. */
export const exchangeMessages = (ours: SecurityContext.SecurityContext, peer: Peer.Peer) =>
  Effect.gen(function*() {
    // ours → peer, sealed
    const sealed = yield* ours.encrypt(enc.encode("from us, sealed"))
    const opened = yield* Drivers.unwrap(peer, joined(sealed))
    assert.strictEqual(Buffer.from(opened.message).toString(), "from us, sealed")
    assert.isTrue(opened.conf)
    // peer → ours, sealed and unsealed
    for (const conf of [true, false]) {
      const w = yield* Drivers.wrap(peer, enc.encode(`from peer ${conf}`), conf)
      const out = yield* ours.decrypt([SecBuffer.token(w.token), SecBuffer.data(new Uint8Array(0))])
      const data = out.buffers.find((b) => b.baseType === SecBuffer.BufferType.DATA)!
      assert.strictEqual(Buffer.from(data.data).toString(), `from peer ${conf}`)
      assert.strictEqual(out.qop === 0, conf)
    }
    // MIC both ways
    const message = enc.encode("signed message")
    const mic = yield* ours.makeSignature(message)
    yield* Drivers.verifyMic(peer, message, mic)
    const theirs = yield* Drivers.getMic(peer, message)
    yield* ours.verifySignature(message, theirs)
    // a tampered message is refused
    const again = yield* Drivers.getMic(peer, message)
    const bad = Uint8Array.from(message)
    bad[0]! ^= 1
    const exit = yield* Effect.flip(ours.verifySignature(bad, again))
    assert.strictEqual(exit._tag, "MessageAltered")
  })
