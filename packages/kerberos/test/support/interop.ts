/**
 * Interop helpers: our contexts as harness Steppers, a runtime over the
 * Kerberos package for a realm, and the message exchanges with a peer.
 */
import { assert } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Credentials, Flags, SecBuffer, type SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Drivers, Ours, type Peer, type Realm } from "@effect-sspi/interop-harness"
import { Kerberos } from "../../src/index.ts"

export const realmLayer = (realm: Realm.Realm) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Kerberos.layer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env }))
  )

export const ALL_REQ = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT |
  Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY

/** Our context as a harness Stepper. */
export const stepper = Ours.ourStepper

export const acquire = (credentialUse: Flags.CredentialUse, authData: unknown) =>
  Credentials.acquire({ packageName: "Kerberos", credentialUse, authData })

const enc = new TextEncoder()

/** Wrap and MIC both ways (the harness's exchange), then unsealed wraps and a tampered MIC. */
export const exchangeMessages = (ours: SecurityContext.SecurityContext, peer: Peer.Peer) =>
  Effect.gen(function*() {
    yield* Ours.exchangeMessages(ours, peer, Ours.kerberosFraming)
    const w = yield* Drivers.wrap(peer, enc.encode("from peer, integrity only"), false)
    const out = yield* ours.decrypt(Ours.kerberosFraming.split(w.token))
    const data = out.buffers.find((b) => b.baseType === SecBuffer.BufferType.DATA)!
    assert.strictEqual(Buffer.from(data.data).toString(), "from peer, integrity only")
    assert.notStrictEqual(out.qop, 0, "no confidentiality is reported in the qop")
    const message = enc.encode("signed message")
    const mic = yield* Drivers.getMic(peer, message)
    const bad = Uint8Array.from(message)
    bad[0]! ^= 1
    const error = yield* Effect.flip(ours.verifySignature(bad, mic))
    assert.strictEqual(error._tag, "MessageAltered")
  })
