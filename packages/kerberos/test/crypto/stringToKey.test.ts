import { describe, expect, it } from "@effect/vitest"
import { EncryptionType } from "../../src/internal/crypto/encryptionType.ts"
import { iterationParams } from "../../src/internal/crypto/profile.ts"
import { hex, toHex, utf8 } from "./hex.ts"
import { profile } from "./profiles.ts"

const aes128 = profile(EncryptionType.AES128_CTS_HMAC_SHA1_96)
const aes256 = profile(EncryptionType.AES256_CTS_HMAC_SHA1_96)

// RFC 3962 appendix B: the final AES keys (PBKDF2-HMAC-SHA1, then DK with "kerberos").
const rfc3962: ReadonlyArray<{
  readonly iterations: number
  readonly password: Uint8Array
  readonly salt: Uint8Array
  readonly key128: string
  readonly key256: string
}> = [
  {
    iterations: 1,
    password: utf8("password"),
    salt: utf8("ATHENA.MIT.EDUraeburn"),
    key128: "42263c6e89f4fc28b8df68ee09799f15",
    key256: "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"
  },
  {
    iterations: 2,
    password: utf8("password"),
    salt: utf8("ATHENA.MIT.EDUraeburn"),
    key128: "c651bf29e2300ac27fa469d693bdda13",
    key256: "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff"
  },
  {
    iterations: 1200,
    password: utf8("password"),
    salt: utf8("ATHENA.MIT.EDUraeburn"),
    key128: "4c01cd46d632d01e6dbe230a01ed642a",
    key256: "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"
  },
  {
    iterations: 5,
    password: utf8("password"),
    salt: hex("1234567878563412"),
    key128: "e9b23d52273747dd5c35cb55be619d8e",
    key256: "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31"
  },
  {
    iterations: 1200,
    password: utf8("X".repeat(64)),
    salt: utf8("pass phrase equals block size"),
    key128: "59d1bb789a828b1aa54ef9c2883f69ed",
    key256: "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34"
  },
  {
    iterations: 1200,
    password: utf8("X".repeat(65)),
    salt: utf8("pass phrase exceeds block size"),
    key128: "cb8005dc5f90179a7f02104c0018751d",
    key256: "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b"
  },
  {
    // g-clef, U+1D11E, UTF-8 f0 9d 84 9e
    iterations: 50,
    password: utf8("\u{1D11E}"),
    salt: utf8("EXAMPLE.COMpianist"),
    key128: "f149c1f2e154a73452d43e7fe62a56e5",
    key256: "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e"
  }
]

describe("string-to-key, RFC 3962 appendix B", () => {
  for (const v of rfc3962) {
    it(`${v.iterations} iterations, salt ${toHex(v.salt).slice(0, 16)}…, password of ${v.password.length} bytes`, () => {
      expect(toHex(aes128.stringToKey(v.password, v.salt, iterationParams(v.iterations)))).toBe(v.key128)
      expect(toHex(aes256.stringToKey(v.password, v.salt, { iterations: v.iterations }))).toBe(v.key256)
    })
  }

  it("the g-clef password is the 4-byte UTF-8 sequence", () => {
    expect(toHex(utf8("\u{1D11E}"))).toBe("f09d849e")
  })

  it("defaults to 4096 iterations", () => {
    const salt = utf8("ATHENA.MIT.EDUraeburn")
    expect(aes128.stringToKey(utf8("password"), salt)).toEqual(
      aes128.stringToKey(utf8("password"), salt, hex("00001000"))
    )
  })

  it("refuses malformed and unreasonable parameters", () => {
    const salt = utf8("s")
    expect(() => aes128.stringToKey(utf8("p"), salt, hex("0010"))).toThrow(RangeError)
    expect(() => aes128.stringToKey(utf8("p"), salt, hex("00000000"))).toThrow(RangeError) // 2^32
    expect(() => aes128.stringToKey(utf8("p"), salt, hex("01000000"))).toThrow(RangeError)
    expect(() => aes128.stringToKey(utf8("p"), salt, { iterations: 0 })).toThrow(RangeError)
  })
})

describe("string-to-key, RFC 8009 appendix A", () => {
  // The salt is a random 16-byte UTF-8-valid prefix followed by "ATHENA.MIT.EDUraeburn";
  // the profile itself prepends the enctype name and a zero octet.
  const salt = new Uint8Array([...hex("10df9dd783e5bc8acea1730e74355f61"), ...utf8("ATHENA.MIT.EDUraeburn")])

  it("aes128-cts-hmac-sha256-128, 32768 iterations", () => {
    const p = profile(EncryptionType.AES128_CTS_HMAC_SHA256_128)
    expect(toHex(p.stringToKey(utf8("password"), salt, iterationParams(32768)))).toBe(
      "089bca48b105ea6ea77ca5d2f39dc5e7"
    )
  })

  it("aes256-cts-hmac-sha384-192, default (32768) iterations", () => {
    const p = profile(EncryptionType.AES256_CTS_HMAC_SHA384_192)
    expect(toHex(p.stringToKey(utf8("password"), salt))).toBe(
      "45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467"
    )
  })
})

describe("string-to-key, rc4-hmac", () => {
  it("is the NT hash: MD4 of the UTF-16LE password", () => {
    const p = profile(EncryptionType.RC4_HMAC)
    expect(toHex(p.stringToKey(utf8("Password"), utf8("ignored salt")))).toBe("a4f49c406510bdcab6824ee7c30fd852")
  })
})
