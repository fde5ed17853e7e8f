/**
 * fast-check fuzzing: every decoder (keytab, ccache, krb5.conf, RFC 4120
 * messages, GSS tokens) returns a value or a typed failure on any input,
 * random or a mutation of a valid encoding; it never throws.
 */
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Option, Result } from "effect"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { decodeCcache } from "../src/internal/files/ccache.ts"
import { decodeKeytab, encodeKeytab } from "../src/internal/files/keytab.ts"
import { parseKrb5Conf } from "../src/internal/files/krb5Conf.ts"
import { ChannelBindings } from "@effect-sspi/core"
import { decodeGssChecksum } from "../src/internal/gss/checksum.ts"
import { unframe } from "../src/internal/gss/framing.ts"
import { makeMic, unwrap, verifyMic, wrap } from "../src/internal/gss/perMessage.ts"
import { decodeApRep, decodeApReq, decodeAuthenticator, decodeEncApRepPart } from "../src/internal/messages/ap.ts"
import { decodeKrbError, encodeKrbError } from "../src/internal/messages/error.ts"
import { decodeEncKdcRepPart, decodeKdcRep, decodeKdcReq } from "../src/internal/messages/kdc.ts"
import { decodeEtypeInfo2, decodeMethodData, decodePaEncTsEnc, encodeEtypeInfo2 } from "../src/internal/messages/padata.ts"
import { decodeEncTicketPart, decodeTicket } from "../src/internal/messages/ticket.ts"
import { apReq, keytab } from "./support/standIn.ts"

const decoders: ReadonlyArray<readonly [string, (b: Uint8Array) => unknown]> = [
  ["keytab", decodeKeytab],
  ["ccache", decodeCcache],
  ["AP-REQ", decodeApReq],
  ["AP-REP", decodeApRep],
  ["Authenticator", decodeAuthenticator],
  ["EncAPRepPart", decodeEncApRepPart],
  ["KRB-ERROR", decodeKrbError],
  ["KDC-REP", decodeKdcRep],
  ["KDC-REQ", decodeKdcReq],
  ["EncKDCRepPart", decodeEncKdcRepPart],
  ["Ticket", decodeTicket],
  ["EncTicketPart", decodeEncTicketPart],
  ["ETYPE-INFO2", decodeEtypeInfo2],
  ["METHOD-DATA", decodeMethodData],
  ["PA-ENC-TS-ENC", decodePaEncTsEnc],
  ["GSS framing", unframe],
  ["GSS checksum", decodeGssChecksum],
  ["channel bindings", ChannelBindings.decode]
]

const seeds: ReadonlyArray<Uint8Array> = [
  keytab(),
  apReq({ authtime: 0, endtime: 1e9, ctime: 5e8 }),
  encodeKrbError({ stime: 0, susec: 0, errorCode: 25, realm: "R", sname: { nameType: 2, components: ["krbtgt", "R"] }, eData: new Uint8Array([0x30, 0]) }),
  encodeEtypeInfo2([{ etype: 18, salt: "Rs", s2kparams: new Uint8Array([0, 0, 16, 0]) }])
]

/** A valid encoding with a few bytes changed, truncated or extended. */
const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
  .map(([seed, edits, cut]) => {
    const b = Uint8Array.from(seed)
    for (const [at, v] of edits) b[at % b.length] = v
    return cut % 5 === 0 ? b.subarray(0, cut % b.length) : b
  })

const input = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated)

describe("decoders never throw", () => {
  for (const [name, decode] of decoders) {
    it(name, () => {
      fc.assert(fc.property(input, (bytes) => {
        decode(bytes)
      }), { numRuns: 400 })
    })
  }

  it("krb5.conf", () => {
    const lines = fc.array(fc.oneof(fc.string(), fc.constantFrom("[realms]", "[libdefaults]", "R = {", "}", " kdc = h:88", "default_realm = R", "udp_preference_limit = x")), { maxLength: 20 })
    fc.assert(fc.property(lines, (l) => {
      parseKrb5Conf(l.join("\n"))
    }), { numRuns: 400 })
  })

  it("MIC and Wrap tokens: random and tampered tokens are refused, never thrown", () => {
    const profile = Option.getOrThrow(enctype(18))
    const k = { profile, key: new Uint8Array(randomBytes(32)), acceptorSubkey: false }
    const good = wrap(k, false, 1, true, new Uint8Array([1, 2, 3]))
    const mic = makeMic(k, false, 1, new Uint8Array([1, 2, 3]))
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (random, at, x) => {
      assert.isTrue(Result.isFailure(unwrap(k, false, random)))
      // bytes 6–7 are the RRC, outside the checksum by design (RFC 4121 4.2.5):
      // a rotation by a multiple of the body length is rightly still accepted
      const t = Uint8Array.from(good)
      const i = at % (t.length - 2)
      t[i >= 6 ? i + 2 : i]! ^= x
      assert.isTrue(Result.isFailure(unwrap(k, false, t)))
      const m = Uint8Array.from(mic)
      m[at % m.length]! ^= x
      assert.isTrue(Result.isFailure(verifyMic(k, false, m, new Uint8Array([1, 2, 3]))))
    }), { numRuns: 300 })
  })
})

describe("round trips", () => {
  it("Wrap with any RRC, sealed or not; MIC", () => {
    const profile = Option.getOrThrow(enctype(20))
    const k = { profile, key: new Uint8Array(randomBytes(32)), acceptorSubkey: true }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.integer({ min: 0, max: 100 }), (data, conf, rrc) => {
      const opened = Result.getOrThrow(unwrap(k, true, wrap(k, true, 9, conf, data, rrc)))
      assert.deepStrictEqual(opened.plaintext, data)
      assert.strictEqual(opened.seq, 9)
      assert.strictEqual(opened.conf, conf)
      assert.strictEqual(Result.getOrThrow(verifyMic(k, true, makeMic(k, true, 3, data), data)), 3)
    }), { numRuns: 100 })
  })

  it("keytab", () => {
    const entries = Result.getOrThrow(decodeKeytab(keytab()))
    assert.strictEqual(entries.length, 1)
    assert.deepStrictEqual(entries[0]!.principal.name.components, ["HTTP", "localhost"])
    assert.deepStrictEqual(Result.getOrThrow(decodeKeytab(encodeKeytab(entries))), entries)
  })

  it("krb5.conf", () => {
    const conf = parseKrb5Conf([
      "# comment",
      "[libdefaults]",
      "  default_realm = EXAMPLE.COM",
      "  udp_preference_limit = 1",
      "  kdc_timeout = 3s",
      "[realms]",
      "  EXAMPLE.COM = {",
      "    kdc = kdc1.example.com",
      "    kdc = 10.0.0.2:1088",
      "    admin_server = kdc1.example.com",
      "  }"
    ].join("\n"))
    assert.strictEqual(conf.defaultRealm, "EXAMPLE.COM")
    assert.strictEqual(conf.udpPreferenceLimit, 1)
    assert.strictEqual(conf.kdcTimeout, 3000)
    assert.deepStrictEqual(conf.realms.get("EXAMPLE.COM"), [{ host: "kdc1.example.com", port: 88 }, { host: "10.0.0.2", port: 1088 }])
  })
})
