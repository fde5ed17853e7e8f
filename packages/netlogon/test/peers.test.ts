/**
 * Real NTLM clients verified by the REAL Samba DC through Netlogon:
 * gss-ntlmssp (python3-gssapi) and python3-ntlm-auth, the latter also with
 * curl's minimal NEGOTIATE flags. Our NTLM package's acceptor issues the
 * CHALLENGE (with the machine account's names); the AUTHENTICATE goes to the
 * DC, whose user session key must give the session key the client reports.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Result } from "effect"
import { Credentials, Flags, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Drivers, type Peer, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { Rc4 } from "@effect-sspi/legacy-crypto"
import { Ntlm, NtlmMessage, UserStore } from "@effect-sspi/ntlm"
import { NetlogonClient } from "../src/index.ts"

const hasDc = SambaDc.availableSync()
const hasGss = hasDc && requirePeersSync("ntlm")
const hasNtlmAuth = hasDc && requirePeersSync("ntlm", "ntlmAuth")

const runtime = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore({
    serverNames: { netbiosComputer: "WEB1", netbiosDomain: "CORP", dnsComputer: "web1.corp.test", dnsDomain: "corp.test" }
  }))),
  Layer.provide(UserStore.layerMemory([]))
)

const field = (message: Uint8Array, at: number): Uint8Array => {
  const v = new DataView(message.buffer, message.byteOffset, message.byteLength)
  return message.slice(v.getUint32(at + 4, true), v.getUint32(at + 4, true) + v.getUint16(at, true))
}

/** Drives `peer` against our acceptor's CHALLENGE and has the DC verify its AUTHENTICATE; the exported session key. */
const throughDc = (dc: SambaDc.SambaDc, peer: Peer.Peer) =>
  Effect.gen(function*() {
    const acceptor = yield* SecurityContext.acceptor(
      yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
    )
    const negotiate = yield* Drivers.step(peer, null)
    const challenge = yield* acceptor.step(negotiate.token!)
    const authenticate = (yield* Drivers.step(peer, challenge.token!)).token!
    const c = Result.getOrThrow(NtlmMessage.decode(challenge.token!))
    const a = Result.getOrThrow(NtlmMessage.decode(authenticate))
    if (c._tag !== "Challenge" || a._tag !== "Authenticate") return yield* Effect.die("unexpected messages")
    const client = yield* NetlogonClient.make({
      dc: "127.0.0.1",
      domain: dc.domain,
      machineAccount: dc.web1.account,
      machinePassword: Redacted.make(dc.web1.password)
    })
    const result = yield* client.verifyNetworkLogon({
      domain: a.domain,
      user: a.user,
      workstation: a.workstation,
      serverChallenge: c.serverChallenge,
      lmResponse: field(authenticate, 12),
      ntResponse: field(authenticate, 20)
    })
    const keyExchange = (a.flags & NtlmMessage.NegotiateFlags.KEY_EXCH) !== 0
    const exported = keyExchange ? new Rc4(result.userSessionKey).process(a.encryptedRandomSessionKey!) : result.userSessionKey
    return { exported: Buffer.from(exported).toString("base64"), result, ntResponse: a.ntResponse._tag }
  })

describe("NTLM clients verified by the Samba DC through Netlogon", () => {
  it.live.skipIf(!hasGss)("gss-ntlmssp: alice verified, the DC's key gives gss-ntlmssp's session key", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const peer = yield* Drivers.gssPeer({
        role: "initiate", mech: "ntlm", target: "HTTP@web1.corp.test", domain: dc.domain, user: "alice", password: dc.alice.password
      })
      const { exported, result, ntResponse } = yield* throughDc(dc, peer)
      assert.strictEqual(ntResponse, "NTLMv2")
      assert.strictEqual(result.validation.userSid, dc.alice.sid)
      assert.strictEqual((yield* Drivers.status(peer)).session_key, exported)
    }).pipe(Effect.provide(runtime))), 120_000)

  it.live.skipIf(!hasGss)("gss-ntlmssp with a wrong password: SEC_E_LOGON_DENIED", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const peer = yield* Drivers.gssPeer({
        role: "initiate", mech: "ntlm", target: "HTTP@web1.corp.test", domain: dc.domain, user: "alice", password: "not-her-password"
      })
      const error = yield* Effect.flip(throughDc(dc, peer))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(runtime))), 120_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth, default and curl's minimal flags (0x00088207): alice verified", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      for (const flags of [undefined, 0x00088207]) {
        const peer = yield* Drivers.ntlmAuthClient({ user: "alice", domain: dc.domain, password: dc.alice.password, flags })
        const { result, ntResponse } = yield* throughDc(dc, peer)
        assert.strictEqual(ntResponse, "NTLMv2")
        assert.strictEqual(result.validation.userSid, dc.alice.sid)
        assert.include(result.validation.groupSids.map((g) => g.sid), dc.groups.webUsers)
      }
    }).pipe(Effect.provide(runtime))), 120_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth for carol (disabled) and an unknown user: SEC_E_LOGON_DENIED", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      for (const [user, password] of [["carol", dc.carol.password], ["nobody", "x"]] as const) {
        const peer = yield* Drivers.ntlmAuthClient({ user, domain: dc.domain, password })
        const error = yield* Effect.flip(throughDc(dc, peer))
        assert.strictEqual(error._tag, "LogonDenied")
      }
    }).pipe(Effect.provide(runtime))), 120_000)
})
