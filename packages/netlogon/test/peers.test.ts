/**
 * Real NTLM clients verified by the REAL Samba DC through Netlogon:
 * gss-ntlmssp (python3-gssapi) and python3-ntlm-auth, the latter also with
 * curl's minimal NEGOTIATE flags. Our NTLM package's acceptor issues the
 * CHALLENGE (test/support/throughDc.ts); the AUTHENTICATE goes to the DC,
 * whose user session key must give the session key the client reports.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Drivers, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { runtime, throughDc } from "./support/throughDc.ts"

const hasDc = SambaDc.availableSync()
const hasGss = hasDc && requirePeersSync("ntlm")
const hasNtlmAuth = hasDc && requirePeersSync("ntlm", "ntlmAuth")

describe("NTLM clients verified by the Samba DC through Netlogon", () => {
  it.live.skipIf(!hasGss)("gss-ntlmssp: alice verified, the DC's key gives gss-ntlmssp's session key", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const peer = yield* Drivers.gssPeer({
        role: "initiate", mech: "ntlm", target: "HTTP@web1.corp.test", domain: dc.domain, user: "alice", password: dc.alice.password
      })
      const { authenticate, exported, result } = yield* throughDc(dc, Drivers.stepper(peer))
      assert.strictEqual(authenticate.ntResponse._tag, "NTLMv2")
      assert.strictEqual(result.validation.userSid, dc.alice.sid)
      assert.strictEqual((yield* Drivers.status(peer)).session_key, Buffer.from(exported).toString("base64"))
    }).pipe(Effect.provide(runtime()))), 120_000)

  it.live.skipIf(!hasGss)("gss-ntlmssp with a wrong password: SEC_E_LOGON_DENIED", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const peer = yield* Drivers.gssPeer({
        role: "initiate", mech: "ntlm", target: "HTTP@web1.corp.test", domain: dc.domain, user: "alice", password: "not-her-password"
      })
      const error = yield* Effect.flip(throughDc(dc, Drivers.stepper(peer)))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(runtime()))), 120_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth, default and curl's minimal flags (0x00088207): alice verified", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      for (const flags of [undefined, 0x00088207]) {
        const peer = yield* Drivers.ntlmAuthClient({ user: "alice", domain: dc.domain, password: dc.alice.password, flags })
        const { authenticate, result } = yield* throughDc(dc, Drivers.stepper(peer))
        assert.strictEqual(authenticate.ntResponse._tag, "NTLMv2")
        assert.strictEqual(result.validation.userSid, dc.alice.sid)
        assert.include(result.validation.groupSids.map((g) => g.sid), dc.groups.webUsers)
      }
    }).pipe(Effect.provide(runtime()))), 120_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth for carol (disabled) and an unknown user: SEC_E_LOGON_DENIED", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      for (const [user, password] of [["carol", dc.carol.password], ["nobody", "x"]] as const) {
        const peer = yield* Drivers.ntlmAuthClient({ user, domain: dc.domain, password })
        const error = yield* Effect.flip(throughDc(dc, Drivers.stepper(peer)))
        assert.strictEqual(error._tag, "LogonDenied")
      }
    }).pipe(Effect.provide(runtime()))), 120_000)
})
