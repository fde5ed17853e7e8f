/**
 * NETLOGON_VALIDATION_SAM_INFO2 and SAM_INFO4 (MS-NRPC 2.2.1.4.12,
 * 2.2.1.4.13, 2.2.1.4.11): who the user is, the session key, the group
 * memberships and (SAM_INFO4) the DNS domain and UPN, read with
 * `@effect-sspi/ndr` (embedded pointers deferred to the end of the
 * structure, NDR's order).
 *
 * @since 0.1.0
 */
import { type NdrReader, Sid } from "@effect-sspi/ndr"

/** A SID (text) with its SE_GROUP_* attributes. */
export interface SidAndAttributes {
  readonly sid: string
  readonly attributes: number
}

/** The decoded validation information. */
export interface ValidationInfo {
  readonly effectiveName: string
  readonly fullName: string
  readonly logonServer: string
  readonly logonDomain: string
  readonly logonDomainSid: string
  readonly userId: number
  readonly primaryGroupId: number
  readonly userFlags: number
  /** As sent by the DC: encrypted with the session key for SAM_INFO2, in the clear for SAM_INFO4 (MS-NRPC 3.2.4.1). */
  readonly userSessionKey: Uint8Array
  readonly userSessionKeyEncrypted: boolean
  readonly groups: ReadonlyArray<{ readonly relativeId: number; readonly attributes: number }>
  readonly extraSids: ReadonlyArray<SidAndAttributes>
  /** SAM_INFO4 only. */
  readonly dnsLogonDomain?: string | undefined
  readonly upn?: string | undefined
}

/**
 * Decodes the structure at the reader's position (the referent of the
 * validation union's arm); `info4`: SAM_INFO4, which appends
 * DnsLogonDomainName, Upn and ten expansion strings.
 */
export const decodeValidation = (r: NdrReader.NdrReader, info4: boolean): ValidationInfo => {
  const refs = r.scope(() => {
    for (let i = 0; i < 12; i++) r.u32() // LogonTime … PasswordMustChange (OLD_LARGE_INTEGERs)
    const effectiveName = r.unicodeString()
    const fullName = r.unicodeString()
    for (let i = 0; i < 4; i++) r.unicodeString() // LogonScript, ProfilePath, HomeDirectory, HomeDirectoryDrive
    r.u16() // LogonCount
    r.u16() // BadPasswordCount
    const userId = r.u32()
    const primaryGroupId = r.u32()
    const groupCount = r.u32()
    const groups = r.pointer((r) =>
      r.conformantArray((r) => ({ relativeId: r.u32(), attributes: r.u32() }), 8, groupCount)
    )
    const userFlags = r.u32()
    const userSessionKey = r.bytes(16).slice()
    const logonServer = r.unicodeString()
    const logonDomain = r.unicodeString()
    const domainSid = r.pointer((r) => r.sid())
    for (let i = 0; i < 10; i++) r.u32() // ExpansionRoom
    const sidCount = r.u32()
    const extraSids = r.pointer((r) =>
      r.conformantArray((r) => ({ sid: r.pointer((r) => r.sid()), attributes: r.u32() }), 8, sidCount)
    )
    const dnsLogonDomain = info4 ? r.unicodeString() : undefined
    const upn = info4 ? r.unicodeString() : undefined
    if (info4) for (let i = 0; i < 10; i++) r.unicodeString() // ExpansionString1..10
    return {
      dnsLogonDomain, upn,
      effectiveName, fullName, userId, primaryGroupId, groupCount, groups, userFlags, userSessionKey,
      logonServer, logonDomain, domainSid, sidCount, extraSids
    }
  })
  if (refs.groups.value === undefined && refs.groupCount !== 0) r.fail("groups announced without an array")
  if (refs.extraSids.value === undefined && refs.sidCount !== 0) r.fail("extra SIDs announced without an array")
  return {
    effectiveName: refs.effectiveName.value ?? "",
    fullName: refs.fullName.value ?? "",
    logonServer: refs.logonServer.value ?? "",
    logonDomain: refs.logonDomain.value ?? "",
    logonDomainSid: Sid.format(r.required(refs.domainSid, "LogonDomainId")),
    userId: refs.userId,
    primaryGroupId: refs.primaryGroupId,
    userFlags: refs.userFlags,
    userSessionKey: refs.userSessionKey,
    // MS-NRPC 3.2.4.1: SAM_INFO4 travels only over a sealed channel, its keys unencrypted
    userSessionKeyEncrypted: !info4,
    groups: refs.groups.value ?? [],
    extraSids: (refs.extraSids.value ?? []).map((e) => ({
      sid: Sid.format(r.required(e.sid, "ExtraSids[].Sid")),
      attributes: e.attributes
    })),
    ...(info4 ? { dnsLogonDomain: refs.dnsLogonDomain?.value ?? "", upn: refs.upn?.value ?? "" } : {})
  }
}
