/**
 * Interop with MIT's SPNEGO mechanism (python3-gssapi) carrying NTLM through
 * gss-ntlmssp, both directions. Kerberos through SPNEGO joins when the
 * Kerberos package is installed. Missing peers: loud skip, or a failure
 * under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Flags, SecurityContext } from "@effect-sspi/core"
import { Drivers, Ours, requirePeersSync } from "@effect-sspi/interop-harness"
import { alice, credentials, negotiateLayer } from "./support/runtime.ts"

const hasNtlm = requirePeersSync("ntlm")
const peerUser = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }

describe("Negotiate interop (SPNEGO over NTLM)", () => {
  it.live.skipIf(!hasNtlm)("our Negotiate initiator ↔ MIT SPNEGO acceptor with gss-ntlmssp", () =>
    Effect.scoped(Effect.gen(function*() {
      const users = yield* Drivers.ntlmUserFile([peerUser])
      const peer = yield* Drivers.gssPeer({ role: "accept", mech: "spnego", spnegoMechs: "ntlm", env: { NTLM_USER_FILE: users } })
      const ours = yield* SecurityContext.initiator(yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, alice), { targetName: "HTTP/localhost" })
      const result = yield* Drivers.handshake(yield* Ours.ourStepper(ours), Drivers.stepper(peer))
      assert.isAtLeast(result.legs, 3)
      assert.strictEqual(result.acceptor?.initiator_name, "EXAMPLE\\alice")
      assert.strictEqual((yield* ours.query("NegotiationInfo")).packageInfo.name, "NTLM")
      yield* Ours.exchangeMessages(ours, peer)
    }).pipe(Effect.provide(negotiateLayer()))), 60_000)

  it.live.skipIf(!hasNtlm)("MIT SPNEGO initiator with gss-ntlmssp ↔ our Negotiate acceptor", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "spnego", spnegoMechs: "ntlm", target: "HTTP@localhost", ...peerUser })
      const ours = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
      const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
      assert.isAtLeast(result.legs, 3)
      assert.strictEqual((yield* ours.query("Names")).userName, "EXAMPLE\\alice")
      assert.strictEqual((yield* ours.query("NegotiationInfo")).packageInfo.name, "NTLM")
      yield* Ours.exchangeMessages(ours, peer)
    }).pipe(Effect.provide(negotiateLayer()))), 60_000)
})
