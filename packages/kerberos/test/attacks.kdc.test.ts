/**
 * Client-side attacks from a spoofed KDC (issue 9 D5, D6, D7): forged
 * replies on the path between our initiator and its KDC must end in a typed
 * error, never a RangeError defect or a blocked event loop.
 */
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, Result } from "effect"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Kerberos } from "../src/index.ts"
import * as Der from "../src/internal/asn1/der.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { iterationParams } from "../src/internal/crypto/profile.ts"
import { encodeKrbError, ErrorCode } from "../src/internal/messages/error.ts"
import { decodeKdcReq, encodeEncKdcRepPart, encodeKdcRep } from "../src/internal/messages/kdc.ts"
import { encodeEtypeInfo2, encodePaData, PaType } from "../src/internal/messages/padata.ts"
import { decodeTicket, encodeTicket } from "../src/internal/messages/ticket.ts"
import * as SpoofKdc from "./support/spoofKdc.ts"

const REALM = "TEST.REALM"
const PASSWORD = "Passw0rd!"
const krbtgt = { nameType: 2, components: ["krbtgt", REALM] }
const alice = { nameType: 1, components: ["alice"] }
const profile = (n: number) => Option.getOrThrow(enctype(n))

const preauthRequired = (eData?: Uint8Array) =>
  encodeKrbError({ stime: Date.now(), susec: 0, errorCode: ErrorCode.KDC_ERR_PREAUTH_REQUIRED, realm: REALM, sname: krbtgt, eData })

const etypeInfo = (etype: number, s2kparams: Uint8Array) =>
  Der.encode(Der.sequence(encodePaData({
    type: PaType.ETYPE_INFO2,
    value: encodeEtypeInfo2([{ etype, salt: `${REALM}alice`, s2kparams }])
  })))

const ticket = Result.getOrThrow(decodeTicket(encodeTicket({
  realm: REALM,
  sname: krbtgt,
  encPart: { etype: 18, kvno: 1, cipher: new Uint8Array(randomBytes(80)) }
})))

const asRep = (etype: number, cipher: Uint8Array) => encodeKdcRep(11, { padata: [], crealm: REALM, cname: alice, ticket, encPart: { etype, cipher } })

/** Our initiator (alice, password) against the spoofed KDC: the first leg's status. */
const firstLeg = (answer: (request: Uint8Array, index: number) => Uint8Array) =>
  Effect.scoped(Effect.gen(function*() {
    const kdc = yield* SpoofKdc.start(answer)
    const layer = SspiRuntime.SspiRuntime.layer.pipe(
      Layer.provide(Kerberos.layer({ krb5Config: "/nonexistent", env: {}, realm: REALM, kdc: [kdc.address], udpPreferenceLimit: 1 }))
    )
    return yield* Effect.gen(function*() {
      const cred = yield* Credentials.acquire({
        packageName: "Kerberos",
        credentialUse: Flags.CredentialUse.OUTBOUND,
        authData: { principal: "alice", password: Redacted.make(PASSWORD) }
      })
      const ctx = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost" })
      return yield* ctx.step().pipe(Effect.map((s) => s.status as string), Effect.catch((e) => Effect.succeed(e.status as string)))
    }).pipe(Effect.provide(layer))
  }))

describe("Kerberos attacks from a spoofed KDC", () => {
  it.live("D5: KRB-ERROR 25 without ETYPE-INFO2, then an AS-REP claiming etype 17 or 23 → SEC_E_LOGON_DENIED (was a RangeError defect)", () =>
    Effect.gen(function*() {
      for (const etype of [17, 23]) {
        const status = yield* firstLeg((_, i) => i === 0 ? preauthRequired() : asRep(etype, new Uint8Array(randomBytes(96))))
        assert.strictEqual(status, "SEC_E_LOGON_DENIED", `etype ${etype}`)
      }
    }), 30_000)

  it.live("D5: an AS-REP in an etype we did not request (16) → SEC_E_INVALID_TOKEN (RFC 4120 3.1.5)", () =>
    Effect.gen(function*() {
      const status = yield* firstLeg((_, i) => i === 0 ? preauthRequired() : asRep(16, new Uint8Array(randomBytes(96))))
      assert.strictEqual(status, "SEC_E_INVALID_TOKEN")
    }), 30_000)

  it.live("D6: an AS-REP whose session key is a 5-byte aes256 key → SEC_E_INVALID_TOKEN (was a RangeError defect in the TGS step)", () =>
    Effect.gen(function*() {
      const p = profile(20)
      const key = p.stringToKey(new TextEncoder().encode(PASSWORD), new TextEncoder().encode(`${REALM}alice`))
      const status = yield* firstLeg((request, i) => {
        if (i === 0) return preauthRequired()
        const nonce = Result.getOrThrow(decodeKdcReq(request)).body.nonce
        const part = encodeEncKdcRepPart(25, {
          key: { keytype: 18, keyvalue: new Uint8Array(5) },
          nonce,
          flags: 0,
          authtime: Date.now(),
          endtime: Date.now() + 3_600_000,
          srealm: REALM,
          sname: krbtgt
        })
        return asRep(20, p.encrypt(key, 3, part))
      })
      assert.strictEqual(status, "SEC_E_INVALID_TOKEN")
    }), 30_000)

  it.live("D7: s2kparams above MIT's limit (0x1000000) → SEC_E_INVALID_TOKEN at once, nothing run", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const status = yield* firstLeg((_, i) =>
        i === 0 ? preauthRequired(etypeInfo(18, iterationParams(0x1000000))) : asRep(18, new Uint8Array(96)))
      assert.strictEqual(status, "SEC_E_INVALID_TOKEN")
      assert.isBelow(Date.now() - started, 2000)
    }), 30_000)

  it.live("D7: a large accepted iteration count runs off the event loop (timers keep firing during PBKDF2)", () =>
    Effect.gen(function*() {
      let ticks = 0
      const timer = setInterval(() => ticks++, 5)
      const started = Date.now()
      const status = yield* firstLeg((_, i) =>
        i === 0 ? preauthRequired(etypeInfo(18, iterationParams(1_000_000))) : asRep(18, new Uint8Array(randomBytes(96)))
      ).pipe(Effect.ensuring(Effect.sync(() => clearInterval(timer))))
      const elapsed = Date.now() - started
      assert.strictEqual(status, "SEC_E_LOGON_DENIED")
      // with pbkdf2Sync the loop is blocked for the whole derivation: ticks ≈ 0
      assert.isAbove(ticks, Math.floor(elapsed / 5 / 4), `${ticks} ticks in ${elapsed} ms`)
    }), 60_000)
})
