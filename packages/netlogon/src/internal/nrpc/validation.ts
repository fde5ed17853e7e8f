/**
 * NETLOGON_VALIDATION_SAM_INFO2 (MS-NRPC 2.2.1.4.12, 2.2.1.4.11): who the
 * user is, the session key and the group memberships, with the SIDs as
 * strings (RPC_SID, MS-DTYP 2.4.2.3).
 *
 * @since 0.1.0
 */
import type { NdrReader } from "../ndr20.ts"

/** A SID with its SE_GROUP_* attributes. */
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
  /** As sent by the DC (encrypted with the session key when the flags say so). */
  readonly userSessionKey: Uint8Array
  readonly groups: ReadonlyArray<{ readonly relativeId: number; readonly attributes: number }>
  readonly extraSids: ReadonlyArray<SidAndAttributes>
}

/** RPC_SID body (after its conformance count). */
const readSid = (r: NdrReader, conformance: number): string => {
  const revision = r.u8()
  const count = r.u8()
  if (count !== conformance || count > 15) r.fail("bad SID sub-authority count")
  const authority = r.bytes(6)
  let value = 0
  for (const b of authority) value = value * 256 + b
  const parts = [`S-${revision}-${value}`]
  for (let i = 0; i < count; i++) parts.push(String(r.u32()))
  return parts.join("-")
}

/** A deferred RPC_SID pointee. */
const sidPointee = (r: NdrReader): string => readSid(r, r.count(4))

const skipOldLargeIntegers = (r: NdrReader, n: number) => {
  for (let i = 0; i < 2 * n; i++) r.u32()
}

/** Decodes the structure at the reader's position (the pointee of the validation union arm). */
export const decodeValidationSamInfo2 = (r: NdrReader): ValidationInfo => {
  skipOldLargeIntegers(r, 6) // LogonTime … PasswordMustChange
  const names = Array.from({ length: 6 }, () => r.unicodeHeader())
  r.u16() // LogonCount
  r.u16() // BadPasswordCount
  const userId = r.u32()
  const primaryGroupId = r.u32()
  const groupCount = r.u32()
  const groupsPresent = r.u32() !== 0
  const userFlags = r.u32()
  const userSessionKey = r.bytes(16)
  const logonServerHeader = r.unicodeHeader()
  const logonDomainHeader = r.unicodeHeader()
  const domainSidPresent = r.u32() !== 0
  for (let i = 0; i < 10; i++) r.u32() // ExpansionRoom
  const sidCount = r.u32()
  const extraSidsPresent = r.u32() !== 0
  // deferred pointees, in the order of their pointers
  const text = names.map((h) => (h.present ? r.unicodeBody(h.chars) : ""))
  const groups: Array<{ relativeId: number; attributes: number }> = []
  if (groupsPresent) {
    if (r.count(8) !== groupCount) r.fail("group count differs from the array")
    for (let i = 0; i < groupCount; i++) groups.push({ relativeId: r.u32(), attributes: r.u32() })
  } else if (groupCount !== 0) r.fail("groups announced without an array")
  const logonServer = logonServerHeader.present ? r.unicodeBody(logonServerHeader.chars) : ""
  const logonDomain = logonDomainHeader.present ? r.unicodeBody(logonDomainHeader.chars) : ""
  if (!domainSidPresent) r.fail("no logon domain SID")
  const logonDomainSid = sidPointee(r)
  const extraSids: Array<SidAndAttributes> = []
  if (extraSidsPresent) {
    if (r.count(8) !== sidCount) r.fail("SID count differs from the array")
    const entries: Array<{ present: boolean; attributes: number }> = []
    for (let i = 0; i < sidCount; i++) entries.push({ present: r.u32() !== 0, attributes: r.u32() })
    for (const e of entries) {
      if (!e.present) r.fail("null extra SID")
      extraSids.push({ sid: sidPointee(r), attributes: e.attributes })
    }
  } else if (sidCount !== 0) r.fail("extra SIDs announced without an array")
  return {
    effectiveName: text[0]!,
    fullName: text[1]!,
    logonServer,
    logonDomain,
    logonDomainSid,
    userId,
    primaryGroupId,
    userFlags,
    userSessionKey,
    groups,
    extraSids
  }
}
