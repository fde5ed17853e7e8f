/**
 * PA-S4U-X509-USER (MS-SFU 2.2.2) encoding: a hand-assembled DER vector of
 * S4UUserID, the request padata's checksum recomputed independently, and
 * fast-check properties of the decoder (round trip; arbitrary bytes give a
 * typed failure, never a throw).
 */
import { assert, describe, it } from "@effect/vitest"
import { randomBytes } from "node:crypto"
import { Option, Result } from "effect"
import * as fc from "fast-check"
import { paS4uX509User } from "../src/internal/context/s4uReply.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { decodePaS4uX509User, encodePaS4uX509User, encodeS4uUserId, PA_S4U_X509_USER, S4U_OPTS_USE_REPLY_KEY_USAGE } from "../src/internal/messages/s4u.ts"

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("PA-S4U-X509-USER", () => {
  it("S4UUserID DER, byte for byte: nonce 1, cname alice (NT-PRINCIPAL), crealm R, options signed-with-kun-27 (BIT STRING, 32 bits)", () => {
    const der = encodeS4uUserId({ nonce: 1, cname: { nameType: 1, components: ["alice"] }, crealm: "R", options: S4U_OPTS_USE_REPLY_KEY_USAGE })
    assert.strictEqual(
      hex(der),
      "3027" + "a003020101" + "a112" + "3010" + "a003020101" + "a1093007" + "1b05616c696365" + "a2031b0152" + "a407030500" + "20000000"
    )
  })

  it("the request's PA: S4UUserID bound to the nonce, checksum hmac-sha1-96-aes256 (type 16) keyed with the TGT session key, usage 26; none for an RC4 key", () => {
    const key = { keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) }
    const user = { name: { nameType: 1, components: ["alice"] }, realm: "CORP.TEST" }
    const [pa] = paS4uX509User(user, key, 0x12345678)
    assert.strictEqual(pa!.type, PA_S4U_X509_USER)
    const decoded = Result.getOrThrow(decodePaS4uX509User(pa!.value))
    assert.deepStrictEqual(decoded.userId, { nonce: 0x12345678, cname: user.name, crealm: "CORP.TEST", options: S4U_OPTS_USE_REPLY_KEY_USAGE })
    assert.strictEqual(decoded.checksum.cksumtype, 16)
    const aes = Option.getOrThrow(enctype(18))
    assert.strictEqual(hex(decoded.checksum.checksum), hex(aes.checksum(key.keyvalue, 26, decoded.userIdDer)))
    assert.notStrictEqual(hex(decoded.checksum.checksum), hex(aes.checksum(key.keyvalue, 27, decoded.userIdDer)))
    assert.deepStrictEqual(paS4uX509User(user, { keytype: 23, keyvalue: new Uint8Array(16) }, 1), [])
    // sanity: the checksum is keyed (another key gives another value)
    assert.notStrictEqual(hex(decoded.checksum.checksum), hex(aes.checksum(new Uint8Array(32), 26, decoded.userIdDer)))
  })

  it("property: decode(encode(x)) = x; the checksum covers the user-id's bytes as received", () =>
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0x7fffffff }),
      fc.array(fc.stringMatching(/^[a-z0-9$]{1,12}$/), { minLength: 1, maxLength: 3 }),
      fc.stringMatching(/^[A-Z.]{1,16}$/),
      fc.option(fc.integer({ min: 0, max: 0x7fffffff }), { nil: undefined }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      (nonce, components, crealm, options, sum) => {
        const userId = { nonce, cname: { nameType: 1, components }, crealm, options }
        const der = encodeS4uUserId(userId)
        const back = Result.getOrThrow(decodePaS4uX509User(encodePaS4uX509User(der, { cksumtype: 16, checksum: sum })))
        assert.deepStrictEqual(back.userId, userId)
        assert.strictEqual(hex(back.userIdDer), hex(der))
        assert.strictEqual(hex(back.checksum.checksum), hex(sum))
      }
    )))

  it("property: arbitrary bytes (and truncations of a valid PA) decode to a typed failure or a value, never a throw", () => {
    const valid = encodePaS4uX509User(encodeS4uUserId({ nonce: 7, cname: { nameType: 1, components: ["alice"] }, crealm: "R", options: 0 }), { cksumtype: 16, checksum: new Uint8Array(12) })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.isTrue(Result.isResult(decodePaS4uX509User(bytes)))
    }))
    for (let n = 0; n < valid.length; n++) assert.isTrue(Result.isFailure(decodePaS4uX509User(valid.subarray(0, n))))
  })
})
