/**
 * Our own NTLM initiator (@effect-sspi/ntlm: NEGOTIATE / CHALLENGE /
 * AUTHENTICATE with MIC, AV pairs and KEY_EXCH) verified by the REAL Samba
 * DC through Netlogon: the user session key the DC answers opens the
 * initiator's EncryptedRandomSessionKey to the very session key the
 * initiator signs and seals with.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { Credentials, Flags, SecurityContext } from "@effect-sspi/core"
import { Ours, SambaDc } from "@effect-sspi/interop-harness"
import { runtime, throughDc } from "./support/throughDc.ts"

const available = SambaDc.availableSync()

const ourInitiator = (dc: SambaDc.SambaDc, password: string) =>
  Effect.gen(function*() {
    const initiator = yield* SecurityContext.initiator(
      yield* Credentials.acquire({
        packageName: "NTLM",
        credentialUse: Flags.CredentialUse.OUTBOUND,
        authData: { user: "alice", domain: dc.domain, password: Redacted.make(password) }
      }),
      { targetName: "HTTP/web1.corp.test", contextReq: Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY }
    )
    return { initiator, stepper: yield* Ours.ourStepper(initiator) }
  })

describe.skipIf(!available)("our NTLM initiator verified by the Samba DC through Netlogon", () => {
  it.live("right password: the DC's user session key yields the initiator's exported session key; alice's SID", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const { initiator, stepper } = yield* ourInitiator(dc, dc.alice.password)
      const { authenticate, exported, result } = yield* throughDc(dc, stepper)
      assert.strictEqual(authenticate.ntResponse._tag, "NTLMv2")
      assert.isDefined(authenticate.mic)
      assert.deepStrictEqual(exported, (yield* initiator.query("SessionKey")).key)
      assert.strictEqual(result.validation.userSid, dc.alice.sid)
    }).pipe(Effect.provide(runtime()))), 120_000)

  it.live("wrong password: SEC_E_LOGON_DENIED from the DC", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const { stepper } = yield* ourInitiator(dc, "not-her-password")
      const error = yield* Effect.flip(throughDc(dc, stepper))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(runtime()))), 120_000)

  it.live("right password, but the server announced another NetBIOS computer name than the machine account's: refused by the DC", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const { stepper } = yield* ourInitiator(dc, dc.alice.password)
      const error = yield* Effect.flip(throughDc(dc, stepper))
      assert.strictEqual(error._tag, "LogonDenied")
    }).pipe(Effect.provide(runtime({ netbiosComputer: "OTHERHOST" })))), 120_000)
})
