/**
 * KERB_VALIDATION_INFO (MS-PAC 2.5): a unique pointer to the structure,
 * type-serialized (MS-RPCE 2.2.6) NDR.
 *
 * @since 0.1.0
 */
import { type NdrReader, Sid, TypeSerialization } from "@effect-sspi/ndr"
import type { NdrError } from "@effect-sspi/ndr"
import type { Result } from "effect"
import type { GroupMembership, LogonInfo, SidAndAttributes } from "./types.ts"

type R = NdrReader.NdrReader

/** UserFlags bit H (MS-PAC 2.5): ResourceGroupDomainSid and ResourceGroupIds are populated. */
const LOGON_RESOURCE_GROUPS = 0x200

const groupMemberships = (r: R, count: number) =>
  r.pointer((r) => r.conformantArray((r): GroupMembership => ({ rid: r.u32(), attributes: r.u32() }), 8, count))

const sidPointer = (r: R) => r.pointer((r) => r.sid())

const read = (r: R): LogonInfo => {
  const s = r.scope(() => {
    const times = [r.filetime(), r.filetime(), r.filetime(), r.filetime(), r.filetime(), r.filetime()] as const
    const strings = [r.unicodeString(), r.unicodeString(), r.unicodeString(), r.unicodeString(), r.unicodeString(), r.unicodeString()] as const
    const logonCount = r.u16()
    const badPasswordCount = r.u16()
    const userId = r.u32()
    const primaryGroupId = r.u32()
    const groupCount = r.u32()
    const groupIds = groupMemberships(r, groupCount)
    const userFlags = r.u32()
    r.bytes(16) // UserSessionKey: unused by Kerberos (MS-PAC 2.5)
    const logonServer = r.unicodeString()
    const logonDomainName = r.unicodeString()
    const logonDomainId = sidPointer(r)
    r.u32()
    r.u32() // Reserved1
    const userAccountControl = r.u32()
    r.u32() // SubAuthStatus
    r.filetime() // LastSuccessfulILogon
    r.filetime() // LastFailedILogon
    r.u32() // FailedILogonCount
    r.u32() // Reserved3
    const sidCount = r.u32()
    const extraSids = r.pointer((r) =>
      r.conformantArray((r) => ({ sid: sidPointer(r), attributes: r.u32() }), 8, sidCount)
    )
    const resourceGroupDomainSid = sidPointer(r)
    const resourceGroupCount = r.u32()
    const resourceGroupIds = groupMemberships(r, resourceGroupCount)
    return {
      times,
      strings,
      logonCount,
      badPasswordCount,
      userId,
      primaryGroupId,
      groupCount,
      groupIds,
      userFlags,
      logonServer,
      logonDomainName,
      logonDomainId,
      userAccountControl,
      sidCount,
      extraSids,
      resourceGroupDomainSid,
      resourceGroupCount,
      resourceGroupIds
    }
  })
  const text = (ref: { readonly value: string | undefined }) => ref.value ?? ""
  // A count with a null array (or the reverse) is inconsistent.
  const array = <A>(ref: { readonly value: Array<A> | undefined }, count: number, what: string): Array<A> => {
    if (ref.value === undefined && count !== 0) r.fail(`KERB_VALIDATION_INFO: ${what} count ${count} with a null array`)
    return ref.value ?? []
  }
  const domain = r.required(s.logonDomainId, "KERB_VALIDATION_INFO: LogonDomainId")
  const groupIds = array(s.groupIds, s.groupCount, "GroupIds")
  const extraSids: Array<SidAndAttributes> = array(s.extraSids, s.sidCount, "ExtraSids").map((e) => ({
    sid: Sid.format(r.required(e.sid, "KERB_VALIDATION_INFO: ExtraSids[].Sid")),
    attributes: e.attributes
  }))
  const resourceDomain = s.resourceGroupDomainSid.value
  const resourceGroupIds = array(s.resourceGroupIds, s.resourceGroupCount, "ResourceGroupIds")
  if (resourceGroupIds.length > 0 && resourceDomain === undefined) {
    r.fail("KERB_VALIDATION_INFO: ResourceGroupIds without ResourceGroupDomainSid")
  }
  const inDomain = (d: Sid.Sid, g: GroupMembership): SidAndAttributes => ({ sid: Sid.format(Sid.withRid(d, g.rid)), attributes: g.attributes })
  // MS-PAC 2.5: resource groups count only when UserFlags says so (bit H).
  const resourceSids = resourceDomain !== undefined && (s.userFlags & LOGON_RESOURCE_GROUPS) !== 0
    ? resourceGroupIds.map((g) => inDomain(resourceDomain, g))
    : []
  const [logonTime, logoffTime, kickOffTime, passwordLastSet, passwordCanChange, passwordMustChange] = s.times
  const [effectiveName, fullName, logonScript, profilePath, homeDirectory, homeDirectoryDrive] = s.strings.map(text)
  return {
    logonTime,
    logoffTime,
    kickOffTime,
    passwordLastSet,
    passwordCanChange,
    passwordMustChange,
    effectiveName: effectiveName!,
    fullName: fullName!,
    logonScript: logonScript!,
    profilePath: profilePath!,
    homeDirectory: homeDirectory!,
    homeDirectoryDrive: homeDirectoryDrive!,
    logonCount: s.logonCount,
    badPasswordCount: s.badPasswordCount,
    userId: s.userId,
    primaryGroupId: s.primaryGroupId,
    groupIds,
    userFlags: s.userFlags,
    logonServer: text(s.logonServer),
    logonDomainName: text(s.logonDomainName),
    logonDomainId: Sid.format(domain),
    userAccountControl: s.userAccountControl,
    extraSids,
    resourceGroupDomainSid: resourceDomain === undefined ? undefined : Sid.format(resourceDomain),
    resourceGroupIds,
    userSid: Sid.format(Sid.withRid(domain, s.userId)),
    primaryGroupSid: Sid.format(Sid.withRid(domain, s.primaryGroupId)),
    groupSids: [...groupIds.map((g) => inDomain(domain, g)), ...extraSids, ...resourceSids]
  }
}

/**
 * Decodes a LOGON_INFO buffer; never throws.
 *
 * @since 0.1.0
 */
export const decodeLogonInfo = (bytes: Uint8Array): Result.Result<LogonInfo, NdrError> =>
  TypeSerialization.decode(bytes, (r) => r.required(r.pointer(read), "KERB_VALIDATION_INFO: null top-level pointer"))
