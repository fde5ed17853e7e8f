/**
 * Our own NTLM initiator (@effect-sspi/ntlm, real NEGOTIATE / CHALLENGE /
 * AUTHENTICATE with MIC, AV pairs and KEY_EXCH) verified by the REAL Samba
 * DC through Netlogon: the user session key the DC answers opens the
 * initiator's EncryptedRandomSessionKey to the very session key the
 * initiator signs and seals with. (The NTLM package's acceptor only issues
 * the CHALLENGE here; it does not check the response.)
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Result } from "effect"
import { Credentials, Flags, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { SambaDc } from "@effect-sspi/interop-harness"
import { Rc4 } from "@effect-sspi/legacy-crypto"
import { Ntlm, NtlmMessage, UserStore } from "@effect-sspi/ntlm"
import { NetlogonClient } from "../src/index.ts"

const available = SambaDc.availableSync()

/**
 * The server's names must be the machine account's: the DC refuses an
 * NTLMv2 response whose MsvAvNbComputerName / MsvAvNbDomainName differ from
 * the secure channel's computer and domain (STATUS_LOGON_FAILURE; Samba's
 * check for CVE-2016-2111, as Windows DCs do).
 */
const runtime = (names: Partial<Ntlm.NtlmOptions["serverNames"]>) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore({
      serverNames: { netbiosComputer: "WEB1", netbiosDomain: "CORP", dnsComputer: "web1.corp.test", dnsDomain: "corp.test", ...names }
    }))),
    Layer.provide(UserStore.layerMemory([]))
  )

/** A field (length, max length, offset) of an AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3). */
const field = (message: Uint8Array, at: number): Uint8Array => {
  const v = new DataView(message.buffer, message.byteOffset, message.byteLength)
  const length = v.getUint16(at, true)
  const offset = v.getUint32(at + 4, true)
  return message.slice(offset, offset + length)
}

const handshakeThroughDc = (dc: SambaDc.SambaDc, password: string) =>
  Effect.gen(function*() {
    const client = yield* NetlogonClient.NetlogonClient
    const initiator = yield* SecurityContext.initiator(
      yield* Credentials.acquire({
        packageName: "NTLM",
        credentialUse: Flags.CredentialUse.OUTBOUND,
        authData: { user: "alice", domain: dc.domain, password: Redacted.make(password) }
      }),
      { targetName: "HTTP/web1.corp.test", contextReq: Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY }
    )
    const acceptor = yield* SecurityContext.acceptor(
      yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
    )
    const negotiate = yield* initiator.step()
    const challenge = yield* acceptor.step(negotiate.token!)
    const authenticate = yield* initiator.step(challenge.token!)
    assert.strictEqual(authenticate.status, "SEC_E_OK")
    const decodedChallenge = Result.getOrThrow(NtlmMessage.decode(challenge.token!))
    const decoded = Result.getOrThrow(NtlmMessage.decode(authenticate.token!))
    assert.isTrue(decodedChallenge._tag === "Challenge" && decoded._tag === "Authenticate")
    if (decodedChallenge._tag !== "Challenge" || decoded._tag !== "Authenticate") return yield* Effect.die("unexpected messages")
    assert.strictEqual(decoded.ntResponse._tag, "NTLMv2")
    assert.isDefined(decoded.mic)
    const result = yield* client.verifyNetworkLogon({
      domain: decoded.domain,
      user: decoded.user,
      workstation: decoded.workstation,
      serverChallenge: decodedChallenge.serverChallenge,
      lmResponse: field(authenticate.token!, 12),
      ntResponse: field(authenticate.token!, 20)
    })
    const keyExchange = (decoded.flags & NtlmMessage.NegotiateFlags.KEY_EXCH) !== 0
    const exported = keyExchange ? new Rc4(result.userSessionKey).process(decoded.encryptedRandomSessionKey!) : result.userSessionKey
    return { exported, initiatorKey: (yield* initiator.query("SessionKey")).key, result }
  })

describe.skipIf(!available)("our NTLM initiator verified by the Samba DC through Netlogon", () => {
  it.live("right password: the DC's user session key yields the initiator's exported session key; alice's SID", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const { exported, initiatorKey, result } = yield* handshakeThroughDc(dc, dc.alice.password).pipe(
        Effect.provide(NetlogonClient.layer({
          dc: "127.0.0.1",
          domain: dc.domain,
          machineAccount: dc.web1.account,
          machinePassword: Redacted.make(dc.web1.password)
        }))
      )
      assert.deepStrictEqual(exported, initiatorKey)
      assert.strictEqual(result.validation.userSid, dc.alice.sid)
    }).pipe(Effect.provide(runtime({})))), 120_000)

  it.live("right password, but the server announced another computer name than the machine account's: refused by the DC", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const error = yield* Effect.flip(handshakeThroughDc(dc, dc.alice.password).pipe(
        Effect.provide(NetlogonClient.layer({
          dc: "127.0.0.1",
          domain: dc.domain,
          machineAccount: dc.web1.account,
          machinePassword: Redacted.make(dc.web1.password)
        }))
      ))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(runtime({ netbiosComputer: "OTHERHOST" })))), 120_000)

  it.live("wrong password: SEC_E_LOGON_DENIED from the DC", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const error = yield* Effect.flip(handshakeThroughDc(dc, "not-her-password").pipe(
        Effect.provide(NetlogonClient.layer({
          dc: "127.0.0.1",
          domain: dc.domain,
          machineAccount: dc.web1.account,
          machinePassword: Redacted.make(dc.web1.password)
        }))
      ))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(runtime({})))), 120_000)
})
