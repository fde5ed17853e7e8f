/**
 * PAC decoding and verification (MS-PAC) against the MS-PAC document's own
 * example (section 3), hand-checked field by field, and PACs signed here
 * with known keys for the checks an acceptor makes: the server signature
 * (RFC 3962 HMAC-SHA1-96-AES, RFC 4757 HMAC-MD5, key usage 17) and
 * PAC_CLIENT_INFO against the ticket. Each check has an attack that fails
 * without it. Fuzzed: no input makes the decoder throw.
 */
import { describe, expect, it } from "@effect/vitest"
import { Option, Result } from "effect"
import fc from "fast-check"
import { Filetime } from "@effect-sspi/ndr"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { type AuthorizationDataEntry, pacOfTicket } from "../src/internal/pac/authData.ts"
import { encodePacType } from "../src/internal/pac/encode.ts"
import { decodePac } from "../src/internal/pac/pactype.ts"
import { BufferType } from "../src/internal/pac/types.ts"
import { checkClientInfo, PAC_CHECKSUM_USAGE, verifyServerChecksum } from "../src/internal/pac/verify.ts"
import { principalOf } from "../src/Pac.ts"

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"))
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

/** MS-PAC section 3: the AuthorizationData inside AD-IF-RELEVANT, holding one AD-WIN2K-PAC (1366 bytes). */
const MS_PAC_EXAMPLE = fromHex(
  "308205523082054ea00402020080a182054404820540040000000000000001000000b004000048000000000000000a00" +
  "000012000000f80400000000000006000000140000001005000000000000070000001400000028050000000000000110" +
  "0800cccccccca00400000000000000000200d186660f656ac601ffffffffffffff7fffffffffffffff7f17d439fe784a" +
  "c6011794a328424bc601175424977a81c60108000800040002002400240008000200120012000c000200000000001000" +
  "0200000000001400020000000000180002005410000097792c00010200001a0000001c00020020000000000000000000" +
  "0000000000000000000016001800200002000a000c002400020028000200000000000000000010000000000000000000" +
  "000000000000000000000000000000000000000000000d0000002c000200000000000000000000000000040000000000" +
  "0000040000006c007a00680075001200000000000000120000004c0069007100690061006e00670028004c0061007200" +
  "72007900290020005a00680075000900000000000000090000006e0074006400730032002e0062006100740000000000" +
  "000000000000000000000000000000000000000000000000000000000000000000001a00000061c433000700000009c3" +
  "2d00070000005eb4320007000000010200000700000097b92c00070000002bf1320007000000ce30330007000000a72e" +
  "2e00070000002af132000700000098b92c000700000062c4330007000000940133000700000076c4330007000000aefe" +
  "2d000700000032d22c00070000001608320007000000425b2e00070000005fb4320007000000ca9c3500070000008544" +
  "2d0007000000c2f0320007000000e9ea310007000000ed8e2e0007000000b6eb310007000000ab2e2e0007000000720e" +
  "2e00070000000c000000000000000b0000004e0054004400450056002d00440043002d00300035000000060000000000" +
  "0000050000004e0054004400450056000000040000000104000000000005150000005951b81766725d2564633b0b0d00" +
  "00003000020007000000340002000700002038000200070000203c000200070000204000020007000020440002000700" +
  "002048000200070000204c000200070000205000020007000020540002000700002058000200070000205c0002000700" +
  "0020600002000700002005000000010500000000000515000000b9301b2eb7414c6c8c3b351501020000050000000105" +
  "000000000005150000005951b81766725d2564633b0b74542f00050000000105000000000005150000005951b8176672" +
  "5d2564633b0be8383200050000000105000000000005150000005951b81766725d2564633b0bcd383200050000000105" +
  "000000000005150000005951b81766725d2564633b0b5db43200050000000105000000000005150000005951b8176672" +
  "5d2564633b0b41163500050000000105000000000005150000005951b81766725d2564633b0be8ea3100050000000105" +
  "000000000005150000005951b81766725d2564633b0bc1193200050000000105000000000005150000005951b8176672" +
  "5d2564633b0b29f13200050000000105000000000005150000005951b81766725d2564633b0b0f5f2e00050000000105" +
  "000000000005150000005951b81766725d2564633b0b2f5b2e00050000000105000000000005150000005951b8176672" +
  "5d2564633b0bef8f3100050000000105000000000005150000005951b81766725d2564633b0b075f2e00000000000049" +
  "d90e656ac60108006c007a006800750000000000000076ffffff41edce9a34815d3aef7bc98874805d250000000076ff" +
  "fffff7a534dab2c02986efe0fbe5110a4f3200000000"
)
/** The PACTYPE: after the DER prefix (AuthorizationData, element, ad-type 128, ad-data OCTET STRING header). */
const EXAMPLE_PAC = MS_PAC_EXAMPLE.subarray(0x16)

const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${JSON.stringify(r.failure)}`)
  return r.success
}
const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) throw new Error("expected a failure")
  return r.failure
}

// --- a PAC builder for signed test PACs (MS-PAC 2.3/2.4 layout) -------------

const u32 = (v: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, v, true)
  return b
}


const signatureBuffer = (type: number, length: number) => {
  const b = new Uint8Array(4 + length)
  b.set(u32(type))
  return b
}

const exampleBuffer = (type: number) => ok(decodePac(EXAMPLE_PAC)).buffers.find((b) => b.type === type)!.data

/** A PAC with the example's logon and client info, signed with `key` (server) as a KDC would (MS-PAC 2.8.1). */
const signedPac = (key: { enctype: number; key: Uint8Array }, clientInfo = exampleBuffer(BufferType.CLIENT_INFO)) => {
  const profile = Option.getOrThrow(enctype(key.enctype))
  const pac = encodePacType([
    { type: BufferType.LOGON_INFO, data: exampleBuffer(BufferType.LOGON_INFO) },
    { type: BufferType.CLIENT_INFO, data: clientInfo },
    { type: BufferType.SERVER_CHECKSUM, data: signatureBuffer(profile.checksumType, profile.checksumSize) },
    { type: BufferType.PRIVSVR_CHECKSUM, data: signatureBuffer(profile.checksumType, profile.checksumSize) }
  ])
  const decoded = ok(decodePac(pac))
  pac.set(profile.checksum(key.key, PAC_CHECKSUM_USAGE, pac), decoded.serverChecksum.offset)
  return pac
}

const ifRelevant = (pac: Uint8Array): Array<AuthorizationDataEntry> => {
  // AuthorizationData ::= SEQUENCE OF SEQUENCE { ad-type [0] INTEGER 128, ad-data [1] OCTET STRING }
  const len = (n: number) => (n < 0x80 ? [n] : [0x82, n >> 8, n & 0xff])
  const octets = [0x04, ...len(pac.length), ...pac]
  const adData = [0xa1, ...len(octets.length), ...octets]
  const element = [0xa0, 0x04, 0x02, 0x02, 0x00, 0x80, ...adData]
  const seq = [0x30, ...len(element.length), ...element]
  return [{ adType: 1, adData: Uint8Array.from([0x30, ...len(seq.length), ...seq]) }]
}

const EXAMPLE_CLIENT = { cname: { nameType: 1, components: ["lzhu"] }, authtime: Filetime.toEpochMillis(0x01c66a650ed94900n) }
const rc4Key = { enctype: 23, key: fromHex("00112233445566778899aabbccddeeff") }
const aes256Key = { enctype: 18, key: fromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f") }
const aes128Key = { enctype: 17, key: fromHex("0f0e0d0c0b0a09080706050403020100") }

describe("PAC: the MS-PAC example (section 3), hand-checked", () => {
  const pac = ok(decodePac(EXAMPLE_PAC))

  it("PACTYPE: four buffers at the offsets the document gives", () => {
    expect(pac.buffers.map((b) => [b.type, b.offset, b.data.length])).toEqual([
      [1, 0x48, 0x4b0],
      [10, 0x4f8, 0x12],
      [6, 0x510, 0x14],
      [7, 0x528, 0x14]
    ])
    expect(pac.upnDnsInfo).toBeUndefined()
  })

  it("KERB_VALIDATION_INFO: times, names, counts", () => {
    const li = pac.logonInfo!
    expect(li.logonTime).toBe(0x01c66a650f6686d1n)
    expect(li.logoffTime).toBe(Filetime.NEVER)
    expect(li.kickOffTime).toBe(Filetime.NEVER)
    expect(li.passwordLastSet).toBe(0x01c64a78fe39d417n)
    expect(li.passwordCanChange).toBe(0x01c64b4228a39417n)
    expect(li.passwordMustChange).toBe(0x01c6817a97245417n)
    expect(li.effectiveName).toBe("lzhu")
    expect(li.fullName).toBe("Liqiang(Larry) Zhu")
    // The bytes say "ntds2.bat" (6e 74 64 73 32 2e 62 61 74); the prose's "ntds.bat" is a typo.
    expect(li.logonScript).toBe("ntds2.bat")
    expect([li.profilePath, li.homeDirectory, li.homeDirectoryDrive]).toEqual(["", "", ""])
    expect(li.logonCount).toBe(0x1054)
    expect(li.badPasswordCount).toBe(0)
    expect(li.userId).toBe(0x2c7997)
    expect(li.primaryGroupId).toBe(0x201)
    expect(li.userFlags).toBe(0x20) // D: ExtraSids populated
    expect(li.logonServer).toBe("NTDEV-DC-05")
    expect(li.logonDomainName).toBe("NTDEV")
    expect(li.userAccountControl).toBe(0x10)
  })

  it("SIDs: domain, user, 26 groups (the first RID 0x33C461 with attributes 7), 13 extra SIDs", () => {
    const li = pac.logonInfo!
    expect(li.logonDomainId).toBe("S-1-5-21-397955417-626881126-188441444")
    expect(li.userSid).toBe("S-1-5-21-397955417-626881126-188441444-2914711")
    expect(li.primaryGroupSid).toBe("S-1-5-21-397955417-626881126-188441444-513")
    expect(li.groupIds).toHaveLength(26)
    expect(li.groupIds[0]).toEqual({ rid: 0x33c461, attributes: 7 })
    expect(li.groupSids[0]).toEqual({ sid: "S-1-5-21-397955417-626881126-188441444-3392609", attributes: 7 })
    expect(li.extraSids).toHaveLength(13)
    expect(li.extraSids[0]).toEqual({ sid: "S-1-5-21-773533881-1816936887-355810188-513", attributes: 7 })
    expect(li.extraSids[1]).toEqual({ sid: "S-1-5-21-397955417-626881126-188441444-3101812", attributes: 0x20000007 })
    expect(li.extraSids[12]).toEqual({ sid: "S-1-5-21-397955417-626881126-188441444-3038983", attributes: 0x20000007 })
    expect(li.resourceGroupDomainSid).toBeUndefined()
    expect(li.groupSids).toHaveLength(26 + 13)
  })

  it("PAC_CLIENT_INFO and both signatures (HMAC-MD5, -138)", () => {
    expect(pac.clientInfo).toEqual({ clientId: 0x01c66a650ed94900n, name: "lzhu" })
    expect(pac.serverChecksum.type).toBe(-138)
    expect(hex(pac.serverChecksum.signature)).toBe("41edce9a34815d3aef7bc98874805d25")
    expect(pac.serverChecksum.offset).toBe(0x514)
    expect(pac.kdcChecksum.type).toBe(-138)
    expect(hex(pac.kdcChecksum.signature)).toBe("f7a534dab2c02986efe0fbe5110a4f32")
  })

  it("PAC_CLIENT_INFO matches its own client and authtime; the example's signature fails with a key that is not the service's", () => {
    expect(Result.isSuccess(checkClientInfo(pac, EXAMPLE_CLIENT.cname, EXAMPLE_CLIENT.authtime))).toBe(true)
    expect(failure(pacOfTicket([{ adType: 1, adData: MS_PAC_EXAMPLE }], rc4Key, EXAMPLE_CLIENT))._tag).toBe("LogonDenied")
  })
})

describe("PAC: server signature (MS-PAC 2.8.1) and PAC_CLIENT_INFO (2.7) checks", () => {
  for (const [name, key] of [["HMAC-MD5 (RC4)", rc4Key], ["HMAC-SHA1-96-AES256", aes256Key], ["HMAC-SHA1-96-AES128", aes128Key]] as const) {
    it(`${name}: a PAC signed with the service key verifies and decodes`, () => {
      const result = ok(pacOfTicket(ifRelevant(signedPac(key)), key, EXAMPLE_CLIENT))
      expect(Option.getOrThrow(result).logonInfo!.userSid).toBe("S-1-5-21-397955417-626881126-188441444-2914711")
    })

    it(`${name}: attack — one group RID changed after signing → SEC_E_LOGON_DENIED`, () => {
      const pac = signedPac(key)
      pac[0x48 + 0x1d6 - 0x5e] = pac[0x48 + 0x1d6 - 0x5e]! ^ 0x01 // GroupIds[0].RelativeId (0x1d6 in the dump, whose logon info starts at 0x5e)
      const err = failure(pacOfTicket(ifRelevant(pac), key, EXAMPLE_CLIENT))
      expect(err._tag).toBe("LogonDenied")
      expect(err.status).toBe("SEC_E_LOGON_DENIED")
    })
  }

  it("attack — a PAC signed with another key (another service's ticket) → SEC_E_LOGON_DENIED", () => {
    const other = { enctype: 18, key: new Uint8Array(32).fill(7) }
    expect(failure(pacOfTicket(ifRelevant(signedPac(other)), aes256Key, EXAMPLE_CLIENT))._tag).toBe("LogonDenied")
  })

  it("a signature whose type is not the service key's checksum type (HMAC-MD5 against an AES key) → SEC_E_LOGON_DENIED", () => {
    expect(failure(verifyServerChecksum(ok(decodePac(signedPac(rc4Key))), { enctype: 23, key: aes128Key.key }))._tag)
      .toBe("LogonDenied")
    expect(failure(verifyServerChecksum(ok(decodePac(signedPac(rc4Key))), aes128Key))._tag).toBe("LogonDenied")
  })

  it("attack — a validly signed PAC for another client (name) or another logon (authtime) → SEC_E_LOGON_DENIED", () => {
    const pac = ifRelevant(signedPac(rc4Key))
    const bob = { ...EXAMPLE_CLIENT, cname: { nameType: 1, components: ["bob"] } }
    expect(failure(pacOfTicket(pac, rc4Key, bob))._tag).toBe("LogonDenied")
    const later = { ...EXAMPLE_CLIENT, authtime: EXAMPLE_CLIENT.authtime + 1000 }
    expect(failure(pacOfTicket(pac, rc4Key, later))._tag).toBe("LogonDenied")
  })

  it("verifying leaves the received PAC intact (a Buffer's slice is a view): a second verification still succeeds", () => {
    const pac = decodePac(Buffer.from(signedPac(aes256Key)))
    expect(Result.isSuccess(verifyServerChecksum(ok(pac), aes256Key))).toBe(true)
    expect(Result.isSuccess(verifyServerChecksum(ok(pac), aes256Key))).toBe(true)
  })

  it("the decoded PAC is a copy: wiping the ticket's plaintext afterwards (as the acceptor does) leaves it intact", () => {
    const plaintext = signedPac(rc4Key)
    const pac = ok(decodePac(plaintext))
    plaintext.fill(0)
    expect(hex(pac.serverChecksum.signature)).not.toBe("00".repeat(16))
    expect(Result.isSuccess(verifyServerChecksum(pac, rc4Key))).toBe(true)
  })

  it("a PAC without KERB_VALIDATION_INFO (as MIT krb5kdc 1.20+ issues): verified, logonInfo undefined, no principal; tampered → SEC_E_LOGON_DENIED", () => {
    const profile = Option.getOrThrow(enctype(aes256Key.enctype))
    const pac = encodePacType([
      { type: BufferType.CLIENT_INFO, data: exampleBuffer(BufferType.CLIENT_INFO) },
      { type: BufferType.SERVER_CHECKSUM, data: signatureBuffer(profile.checksumType, profile.checksumSize) },
      { type: BufferType.PRIVSVR_CHECKSUM, data: signatureBuffer(profile.checksumType, profile.checksumSize) }
    ])
    pac.set(profile.checksum(aes256Key.key, PAC_CHECKSUM_USAGE, pac), ok(decodePac(pac)).serverChecksum.offset)
    const verified = Option.getOrThrow(ok(pacOfTicket(ifRelevant(pac), aes256Key, EXAMPLE_CLIENT)))
    expect(verified.logonInfo).toBeUndefined()
    expect(principalOf(verified)).toBeUndefined()
    const tampered = pac.slice()
    tampered[ok(decodePac(pac)).serverChecksum.offset]! ^= 1
    expect(failure(pacOfTicket(ifRelevant(tampered), aes256Key, EXAMPLE_CLIENT))._tag).toBe("LogonDenied")
  })

  it("no PAC (an MIT ticket): none; two PACs: SEC_E_INVALID_TOKEN", () => {
    expect(ok(pacOfTicket([], rc4Key, EXAMPLE_CLIENT))).toEqual(Option.none())
    const one = ifRelevant(signedPac(rc4Key))[0]!
    expect(failure(pacOfTicket([one, one], rc4Key, EXAMPLE_CLIENT))._tag).toBe("InvalidToken")
  })

  it("a duplicated buffer type, a misaligned or out-of-range offset, a non-zero Version → SEC_E_INVALID_TOKEN", () => {
    const base = signedPac(rc4Key)
    const withDup = encodePacType([...ok(decodePac(base)).buffers, { type: BufferType.LOGON_INFO, data: exampleBuffer(1) }])
    expect(failure(decodePac(withDup))._tag).toBe("InvalidToken")
    const edit = (at: number, v: number) => {
      const b = base.slice()
      new DataView(b.buffer).setUint32(at, v, true)
      return decodePac(b)
    }
    expect(failure(edit(4, 1)).detail).toContain("Version")
    expect(failure(edit(16, 0x4c)).detail).toContain("8-aligned")
    expect(failure(edit(12, 0xffff)).detail).toContain("outside the PAC")
    expect(failure(edit(0, 0xffffff)).detail).toContain("cBuffers")
  })
})

describe("PAC: fuzz", () => {
  it("random, truncated and garbled PACs give a typed error or a PAC, never a throw", () => {
    const signed = signedPac(rc4Key)
    const garbled = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
      const b = signed.slice()
      for (const [at, v] of edits) b[at % b.length] = v
      return b
    })
    const truncated = fc.nat({ max: signed.length - 1 }).map((n) => signed.subarray(0, n))
    fc.assert(
      fc.property(fc.oneof(garbled, truncated, fc.uint8Array({ maxLength: 400 })), (bytes) => {
        const decoded = decodePac(bytes)
        if (Result.isFailure(decoded)) expect(decoded.failure._tag).toBe("InvalidToken")
        const checked = pacOfTicket(ifRelevant(bytes), rc4Key, EXAMPLE_CLIENT)
        if (Result.isFailure(checked)) expect(["InvalidToken", "LogonDenied"]).toContain(checked.failure._tag)
      }),
      { numRuns: 3000 }
    )
  })
})
