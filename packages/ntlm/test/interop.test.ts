/**
 * Interop with real NTLM peers: gss-ntlmssp (through python3-gssapi) and
 * python3-ntlm-auth, driven by the harness. Missing peers: loud skip, or a
 * failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { SecBuffer, SecurityContext, SecurityStatus } from "@effect-sspi/core"
import { Drivers, Ours, requirePeersSync } from "@effect-sspi/interop-harness"
import { clientCredentials, ntlmLayer, serverCredentials } from "./support/runtime.ts"

const hasNtlm = requirePeersSync("ntlm")
const hasNtlmAuth = requirePeersSync("ntlm", "ntlmAuth")

/** The peers' user: in our in-memory store (runtime.ts) and in the peers' NTLM_USER_FILE. */
const alice = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }

describe("NTLM interop", () => {
  it.live.skipIf(!hasNtlm)("our initiator ↔ gss-ntlmssp acceptor, then MIC and wrap both ways", () =>
    Effect.scoped(Effect.gen(function*() {
      const users = yield* Drivers.ntlmUserFile([alice])
      const peer = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users } })
      const ours = yield* SecurityContext.initiator(
        yield* clientCredentials({ user: alice.user, domain: alice.domain, password: Redacted.make(alice.password) }),
        { targetName: "HTTP/localhost" }
      )
      const result = yield* Drivers.handshake(yield* Ours.ourStepper(ours), Drivers.stepper(peer))
      assert.strictEqual(result.legs, 3)
      assert.strictEqual(result.acceptor?.initiator_name, "EXAMPLE\\alice")
      const key = Buffer.from((yield* ours.query("SessionKey")).key).toString("base64")
      assert.strictEqual(result.acceptor?.session_key, key)
      yield* Ours.exchangeMessages(ours, peer)
    }).pipe(Effect.provide(ntlmLayer()))), 60_000)

  it.live.skipIf(!hasNtlm)("gss-ntlmssp initiator ↔ our acceptor, then MIC and wrap both ways", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...alice })
      const ours = yield* SecurityContext.acceptor(yield* serverCredentials())
      const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
      assert.strictEqual(result.legs, 3)
      assert.strictEqual((yield* ours.query("Names")).userName, "EXAMPLE\\alice")
      const key = Buffer.from((yield* ours.query("SessionKey")).key).toString("base64")
      assert.strictEqual(result.initiator?.session_key, key)
      yield* Ours.exchangeMessages(ours, peer)
    }).pipe(Effect.provide(ntlmLayer()))), 60_000)

  it.live.skipIf(!hasNtlm)("gss-ntlmssp initiator with a wrong password: our acceptor says SEC_E_LOGON_DENIED", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...alice, password: "wrong" })
      const ours = yield* SecurityContext.acceptor(yield* serverCredentials())
      const exit = yield* Effect.exit(Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours)))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>), SecurityStatus.codes.SEC_E_LOGON_DENIED)
    }).pipe(Effect.provide(ntlmLayer()))), 60_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth client ↔ our acceptor, with signing and sealing", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.ntlmAuthClient({ user: alice.user, domain: alice.domain, password: alice.password })
      const ours = yield* SecurityContext.acceptor(yield* serverCredentials())
      const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
      assert.strictEqual(result.legs, 3)
      assert.strictEqual((yield* ours.query("Names")).userName, "EXAMPLE\\alice")
      yield* Ours.exchangeMessages(ours, peer)
    }).pipe(Effect.provide(ntlmLayer()))), 60_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth with curl's minimal flags (0x00088207) ↔ our acceptor", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.ntlmAuthClient({ user: alice.user, domain: alice.domain, password: alice.password, flags: 0x00088207 })
      const ours = yield* SecurityContext.acceptor(yield* serverCredentials())
      const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
      assert.strictEqual(result.legs, 3)
      assert.strictEqual((yield* ours.query("Names")).userName, "EXAMPLE\\alice")
    }).pipe(Effect.provide(ntlmLayer()))), 60_000)

  it.live.skipIf(!hasNtlm)("channel bindings: equal ones pass and different ones fail, both directions with gss-ntlmssp", () =>
    Effect.scoped(Effect.gen(function*() {
      const users = yield* Drivers.ntlmUserFile([alice])
      const cb = (s: string) => new TextEncoder().encode(`tls-server-end-point:${s}`)
      const extraInput = (s: string) => ({ extraInput: [SecBuffer.channelBindings(cb(s))] })
      const outbound = () => clientCredentials({ user: alice.user, domain: alice.domain, password: Redacted.make(alice.password) })
      // ours → theirs
      const good = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users }, channelBindings: cb("A") })
      const ours = yield* SecurityContext.initiator(yield* outbound(), extraInput("A"))
      yield* Drivers.handshake(yield* Ours.ourStepper(ours), Drivers.stepper(good))
      const bad = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users }, channelBindings: cb("B") })
      const ours2 = yield* SecurityContext.initiator(yield* outbound(), extraInput("A"))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(Drivers.handshake(yield* Ours.ourStepper(ours2), Drivers.stepper(bad)))))
      // theirs → ours
      const client = yield* Drivers.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...alice, channelBindings: cb("A") })
      const acceptor = yield* SecurityContext.acceptor(yield* serverCredentials(), extraInput("A"))
      yield* Drivers.handshake(Drivers.stepper(client), yield* Ours.ourStepper(acceptor))
      const client2 = yield* Drivers.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...alice, channelBindings: cb("A") })
      const acceptor2 = yield* SecurityContext.acceptor(yield* serverCredentials(), extraInput("B"))
      const exit = yield* Effect.exit(Drivers.handshake(Drivers.stepper(client2), yield* Ours.ourStepper(acceptor2)))
      assert.strictEqual(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>), SecurityStatus.codes.SEC_E_BAD_BINDINGS)
    }).pipe(Effect.provide(ntlmLayer()))), 60_000)
})
