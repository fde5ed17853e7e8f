/**
 * Known answers from MIT krb5's crypto test suite (src/lib/crypto/crypto_tests:
 * t_derive.c, t_decrypt.c, t_cksums.c). RFC 3962 publishes no encryption or
 * checksum vectors for the AES-SHA1 types and RFC 4757 none at all for
 * rc4-hmac; these interoperability values fill the gap.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { EncryptionType } from "../../src/internal/crypto/encryptionType.ts"
import { deriveRandomAes, KeyPurpose, usageLabel } from "../../src/internal/crypto/keyDerivation.ts"
import { hex, toHex, utf8 } from "./hex.ts"
import { profile } from "./profiles.ts"

describe("DK for AES (MIT t_derive.c, usage 2)", () => {
  const cases = [
    ["42263c6e89f4fc28b8df68ee09799f15", KeyPurpose.Checksum, "34280a382bc92769b2da2f9ef066854b"],
    ["42263c6e89f4fc28b8df68ee09799f15", KeyPurpose.Encryption, "5b14fc4e250e14ddf9dccf1af6674f53"],
    ["42263c6e89f4fc28b8df68ee09799f15", KeyPurpose.Integrity, "4ed31063621684f09ae8d89991af3e8f"],
    [
      "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
      KeyPurpose.Checksum,
      "bfab388bdcb238e9f9c98d6a878304f04d30c82556375ac507a7a852790f4674"
    ],
    [
      "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
      KeyPurpose.Encryption,
      "c7cfd9cd75fe793a586a542d87e0d1396f1134a104bb1a9190b8c90ada3ddf37"
    ],
    [
      "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161",
      KeyPurpose.Integrity,
      "97151b4c76945063e2eb0529dc067d97d7bba90776d8126d91f34f3101aea8ba"
    ]
  ] as const
  for (const [base, purpose, expected] of cases) {
    it(`${base.length * 4}-bit key, purpose 0x${purpose.toString(16)}`, () => {
      expect(toHex(deriveRandomAes(hex(base), usageLabel(2, purpose), base.length / 2))).toBe(expected)
    })
  }
})

const plaintexts = ["", "1", "9 bytesss", "13 bytes byte", "30 bytes bytes bytes bytes byt"]

const decryptCases: ReadonlyArray<readonly [etype: number, keys: ReadonlyArray<string>, ciphertexts: ReadonlyArray<string>]> = [
  [
    EncryptionType.AES128_CTS_HMAC_SHA1_96,
    [
      "5a5c0f0ba54f3828b2195e66ca24a289",
      "98450e3f3baa13f5c99beb936981b06f",
      "9062430c8cda3388922e6d6a509f5b7a",
      "033ee6502c54fd23e27791e987983827",
      "dceeb70b3de76562e689226c76429148"
    ],
    [
      "49ff8e11c173d9583a3254fbe7b1f1df36c538e8416784a1672e6676",
      "f86742f537b35dc2174a4dbaa920faf9042090b065e1ebb1cad9a65394",
      "68fb9679601f45c78857b2bf820fd6e53eca8d42fd4b1d7024a09205abb7cd2ec26c355d2f",
      "ec366d0327a933bf49330e650e49bc6b974637fe80bf532fe51795b4809718e6194724db948d1fd637",
      "c96081032d5d8eeb7e32b4089f789d0faa481dea74c0f97cbf3146ddfcf8e800156ecb532fc203e30ff600b63b350939fece510f02d7ff1e7bac"
    ]
  ],
  [
    EncryptionType.AES256_CTS_HMAC_SHA1_96,
    [
      "17f275f2954f2ed1f90c377ba7f4d6a369aa0136e0bf0c927ad6133c693759a9",
      "b9477e1ff0329c0050e20ce6c72d2dff27e8fe541ab0954429a9cb5b4f7b1e2a",
      "b1ae4cd8462aff1677053cc9279aac30b796fb81ce21474dd3ddbcfea4ec76d7",
      "e5a72be9b7926c1225bafef9c1872e7ba4cdb2b17893d84abd90acdd8764d966",
      "f1c795e9248a09338d82c3f8d5b567040b0110736845041347235b1404231398"
    ],
    [
      "e5094c55ee7b38262e2b044280b069379a95bf95bd8376fb3281b435",
      "406150b97aeb76d43b36b62cc1ecdfbe6f40e95755e0beb5c27825f3a4",
      "09957aa25fcaf88f7b39e4406e633012d5fea21853f6478da7065caef41fd454a40824eec5",
      "d8f1aafeec84587cc3e700a774e56651a6d693e174ec4473b5e6d96f80297a653fb818ad893e719f96",
      "d1137a4d634cfece924dbc3bf6790648bd5cff7de0e7b99460211d0daef3d79a295c688858f3b34b9cbd6eebae81daf6b734d4d498b6714f1c1d"
    ]
  ],
  [
    EncryptionType.RC4_HMAC,
    [
      "f81fec39255f5784e850c4377c88bd85",
      "67d1300d281223867f9647ff48721273",
      "3e40ab6093695281b3ac1a9304224d98",
      "4ba2fbf0379faed87a254d3b353d5a7e",
      "68f263db3fce15d031c9eab02d67107a"
    ],
    [
      "02c1eb15586144122ec717763dd348bf00434ddc6585954c",
      "6156e0cc04e0a0874f9fda008f498a7adbbc80b70b14dddbc0",
      "0f9ad121d99d4a09448e4f1f718c4f5cbe6096262c66f29df232a87c9f98755d55",
      "612c57568b17a70352bae8cf26fb9459a6f3353cd35fd439db3107cbec765d326dfc04c1dd",
      "95f9047c3ad75891c2e9b04b16566dc8b6eb9ce4231afb2542ef87a7b5a0f260a99f0460508de0cecc632d07c354124e46c5d2234eb8"
    ]
  ]
]

describe("decrypt known ciphertexts (MIT t_decrypt.c, usages 0 to 4)", () => {
  for (const [etype, keys, ciphertexts] of decryptCases) {
    const p = profile(etype)
    plaintexts.forEach((plaintext, usage) => {
      it(`${p.name}: ${JSON.stringify(plaintext)}, usage ${usage}`, () => {
        const key = hex(keys[usage]!)
        const ciphertext = hex(ciphertexts[usage]!)
        const decrypted = p.decrypt(key, usage, ciphertext)
        expect(Result.isSuccess(decrypted) && Buffer.from(decrypted.success).toString()).toBe(plaintext)
        ciphertext[ciphertext.length - 1]! ^= 1
        expect(Result.isFailure(p.decrypt(key, usage, ciphertext))).toBe(true)
      })
    })
  }
})

describe("keyed checksums (MIT t_cksums.c)", () => {
  const cases = [
    [
      EncryptionType.AES128_CTS_HMAC_SHA1_96,
      "eight nine ten eleven twelve thirteen",
      3,
      "9062430c8cda3388922e6d6a509f5b7a",
      "01a4b088d45628f6946614e3"
    ],
    [
      EncryptionType.AES256_CTS_HMAC_SHA1_96,
      "fourteen",
      4,
      "b1ae4cd8462aff1677053cc9279aac30b796fb81ce21474dd3ddbcfea4ec76d7",
      "e08739e3279e2903ec8e3836"
    ],
    [
      EncryptionType.RC4_HMAC,
      "seventeen eighteen nineteen twenty",
      6,
      "f7d3a155af5e238a0b7a871a96ba2ab2",
      "eb38cc97e2230f59da4117dc5859d7ec"
    ]
  ] as const
  for (const [etype, data, usage, key, expected] of cases) {
    const p = profile(etype)
    it(`${p.name} (checksum type ${p.checksumType})`, () => {
      expect(toHex(p.checksum(hex(key), usage, utf8(data)))).toBe(expected)
      expect(p.verifyChecksum(hex(key), usage, utf8(data), hex(expected))).toBe(true)
      const wrong = hex(expected)
      wrong[0]! ^= 0x80
      expect(p.verifyChecksum(hex(key), usage, utf8(data), wrong)).toBe(false)
      expect(p.verifyChecksum(hex(key), usage, utf8(data), hex(expected).subarray(1))).toBe(false)
    })
  }
})
