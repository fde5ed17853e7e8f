/**
 * Round trips through the PAC buffer writers and decoders (fast-check):
 * every KERB_VALIDATION_INFO, including resource groups (counted only when
 * UserFlags bit H says so, MS-PAC 2.5), PAC_CLIENT_INFO and UPN_DNS_INFO with
 * and without the SAM name/SID extension; truncations are typed errors.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { decodeClientInfo, decodeUpnDnsInfo } from "../src/internal/pac/buffers.ts"
import { encodeClientInfo, encodeLogonInfo, encodeUpnDnsInfo, type LogonInfoFields } from "../src/internal/pac/encode.ts"
import { decodeLogonInfo } from "../src/internal/pac/logonInfo.ts"

const sidText = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 5 }))
  .map(([authority, subs]) => ["S", "1", String(authority), ...subs.map(String)].join("-"))
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const time = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n })
const group = fc.record({ rid: u32, attributes: u32 })
const text = fc.string({ maxLength: 12 })

const logonInfo: fc.Arbitrary<LogonInfoFields> = fc.record({
  logonTime: time,
  logoffTime: time,
  kickOffTime: time,
  passwordLastSet: time,
  passwordCanChange: time,
  passwordMustChange: time,
  effectiveName: text,
  fullName: text,
  logonScript: text,
  profilePath: text,
  homeDirectory: text,
  homeDirectoryDrive: text,
  logonCount: fc.integer({ min: 0, max: 0xffff }),
  badPasswordCount: fc.integer({ min: 0, max: 0xffff }),
  userId: u32,
  primaryGroupId: u32,
  groupIds: fc.array(group, { maxLength: 5 }),
  userFlags: fc.oneof(u32, fc.constant(0x220)),
  logonServer: text,
  logonDomainName: text,
  logonDomainId: sidText,
  userAccountControl: u32,
  extraSids: fc.array(fc.record({ sid: sidText, attributes: u32 }), { maxLength: 4 }),
  resourceGroupDomainSid: fc.option(sidText, { nil: undefined }),
  resourceGroupIds: fc.array(group, { maxLength: 4 })
}).map((i) => (i.resourceGroupDomainSid === undefined ? { ...i, resourceGroupIds: [] } : i))

describe("PAC buffers: round trips", () => {
  it("KERB_VALIDATION_INFO: every field, and the SIDs made from them", () => {
    fc.assert(fc.property(logonInfo, (info) => {
      const decoded = Result.getOrThrow(decodeLogonInfo(encodeLogonInfo(info)))
      const { userSid, primaryGroupSid, groupSids, ...fields } = decoded
      expect(fields).toEqual(info)
      expect(userSid).toBe(`${info.logonDomainId}-${info.userId}`)
      expect(primaryGroupSid).toBe(`${info.logonDomainId}-${info.primaryGroupId}`)
      const resources = info.resourceGroupDomainSid !== undefined && (info.userFlags & 0x200) !== 0
        ? info.resourceGroupIds.map((g) => ({ sid: `${info.resourceGroupDomainSid}-${g.rid}`, attributes: g.attributes }))
        : []
      expect(groupSids).toEqual([
        ...info.groupIds.map((g) => ({ sid: `${info.logonDomainId}-${g.rid}`, attributes: g.attributes })),
        ...info.extraSids,
        ...resources
      ])
    }), { numRuns: 300 })
  })

  it("KERB_VALIDATION_INFO: every truncation is a typed error", () => {
    fc.assert(fc.property(logonInfo, fc.nat(), (info, cut) => {
      const bytes = encodeLogonInfo(info)
      const result = decodeLogonInfo(bytes.subarray(0, cut % bytes.length))
      expect(Result.isFailure(result) && result.failure._tag).toBe("NdrError")
    }), { numRuns: 300 })
  })

  it("PAC_CLIENT_INFO", () => {
    fc.assert(fc.property(time, text, (clientId, name) => {
      expect(Result.getOrThrow(decodeClientInfo(encodeClientInfo({ clientId, name })))).toEqual({ clientId, name })
    }))
  })

  it("UPN_DNS_INFO with and without the SAM name and SID (flag S), with flag U", () => {
    const upn = fc.record({
      upn: text,
      dnsDomainName: text,
      upnConstructed: fc.boolean(),
      samName: fc.option(text, { nil: undefined }),
      sid: fc.option(sidText, { nil: undefined })
    })
    fc.assert(fc.property(upn, (info) => {
      const extended = info.samName !== undefined && info.sid !== undefined
      const encoded = encodeUpnDnsInfo(info)
      expect(Result.getOrThrow(decodeUpnDnsInfo(encoded))).toEqual({
        upn: info.upn,
        dnsDomainName: info.dnsDomainName,
        flags: (info.upnConstructed ? 1 : 0) | (extended ? 2 : 0),
        upnConstructed: info.upnConstructed,
        samName: extended ? info.samName : undefined,
        sid: extended ? info.sid : undefined
      })
      const cut = decodeUpnDnsInfo(encoded.subarray(0, extended ? 19 : 11))
      expect(Result.isFailure(cut)).toBe(true)
    }))
  })
})
