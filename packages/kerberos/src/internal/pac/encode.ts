/**
 * Writers for the PAC buffers this package decodes (the mirror of
 * logonInfo.ts and buffers.ts), for round-trip tests and for anything that
 * must issue a PAC (a test KDC).
 *
 * @since 0.1.0
 */
import { type NdrWriter, Sid, TypeSerialization } from "@effect-sspi/ndr"
import type { ClientInfo, GroupMembership, LogonInfo } from "./types.ts"

/** The fields of KERB_VALIDATION_INFO that are encoded (the derived SIDs are not). */
export type LogonInfoFields = Omit<LogonInfo, "userSid" | "primaryGroupSid" | "groupSids">

const sidOf = (text: string): Sid.Sid => {
  const sid = Sid.parse(text)
  if (sid === undefined) throw new RangeError(`not a SID: ${text}`)
  return sid
}

const memberships = (w: NdrWriter.NdrWriter, groups: ReadonlyArray<GroupMembership>) =>
  w.pointer(groups.length === 0 ? undefined : groups, (w, gs) => w.conformantArray(gs, (w, g) => w.u32(g.rid).u32(g.attributes)))

/**
 * KERB_VALIDATION_INFO (MS-PAC 2.5), type-serialized (MS-RPCE 2.2.6) behind
 * a unique pointer. Empty strings are written as empty (non-null) strings.
 * Throws a `RangeError` on a malformed SID (a programming error).
 *
 * @since 0.1.0
 */
export const encodeLogonInfo = (info: LogonInfoFields): Uint8Array =>
  TypeSerialization.encode((w) =>
    w.pointer(info, (w, i) =>
      w.scope(() => {
        for (const t of [i.logonTime, i.logoffTime, i.kickOffTime, i.passwordLastSet, i.passwordCanChange, i.passwordMustChange]) w.filetime(t)
        for (const s of [i.effectiveName, i.fullName, i.logonScript, i.profilePath, i.homeDirectory, i.homeDirectoryDrive]) w.unicodeString(s)
        w.u16(i.logonCount).u16(i.badPasswordCount).u32(i.userId).u32(i.primaryGroupId).u32(i.groupIds.length)
        memberships(w, i.groupIds)
        w.u32(i.userFlags).bytes(new Uint8Array(16))
        w.unicodeString(i.logonServer).unicodeString(i.logonDomainName)
        w.pointer(sidOf(i.logonDomainId), (w, s) => w.sid(s))
        w.u32(0).u32(0).u32(i.userAccountControl).u32(0).filetime(0n).filetime(0n).u32(0).u32(0)
        w.u32(i.extraSids.length)
        w.pointer(i.extraSids.length === 0 ? undefined : i.extraSids, (w, es) =>
          w.conformantArray(es, (w, e) => {
            w.pointer(sidOf(e.sid), (w, s) => w.sid(s))
            w.u32(e.attributes)
          }))
        w.pointer(i.resourceGroupDomainSid === undefined ? undefined : sidOf(i.resourceGroupDomainSid), (w, s) => w.sid(s))
        w.u32(i.resourceGroupIds.length)
        memberships(w, i.resourceGroupIds)
      })
    )
  )

/**
 * PAC_CLIENT_INFO (MS-PAC 2.7).
 *
 * @since 0.1.0
 */
export const encodeClientInfo = (info: ClientInfo): Uint8Array => {
  const name = Buffer.from(info.name, "utf16le")
  const out = new Uint8Array(10 + name.length)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, info.clientId, true)
  view.setUint16(8, name.length, true)
  out.set(name, 10)
  return out
}

/**
 * UPN_DNS_INFO (MS-PAC 2.10), with the SAM name and SID extension (flag S)
 * when both are given; `upnConstructed` sets flag U.
 *
 * @since 0.1.0
 */
export const encodeUpnDnsInfo = (info: {
  readonly upn: string
  readonly dnsDomainName: string
  readonly upnConstructed?: boolean
  readonly samName?: string | undefined
  readonly sid?: string | undefined
}): Uint8Array => {
  const extended = info.samName !== undefined && info.sid !== undefined
  const parts: Array<Uint8Array> = [Buffer.from(info.upn, "utf16le"), Buffer.from(info.dnsDomainName, "utf16le")]
  if (extended) {
    const sid = sidOf(info.sid!)
    const binary = new Uint8Array(8 + 4 * sid.subAuthorities.length)
    const view = new DataView(binary.buffer)
    binary[0] = sid.revision
    binary[1] = sid.subAuthorities.length
    view.setUint16(2, Math.floor(sid.authority / 2 ** 32))
    view.setUint32(4, sid.authority % 2 ** 32)
    sid.subAuthorities.forEach((s, k) => view.setUint32(8 + 4 * k, s, true))
    parts.push(Buffer.from(info.samName!, "utf16le"), binary)
  }
  const header = extended ? 20 : 12
  const offsets: Array<number> = []
  let at = header
  for (const p of parts) {
    at = Math.ceil(at / 4) * 4
    offsets.push(at)
    at += p.length
  }
  const out = new Uint8Array(Math.ceil(at / 8) * 8)
  const view = new DataView(out.buffer)
  const field = (k: number, index: number) => {
    view.setUint16(k, parts[index]!.length, true)
    view.setUint16(k + 2, offsets[index]!, true)
  }
  field(0, 0)
  field(4, 1)
  view.setUint32(8, (info.upnConstructed === true ? 1 : 0) | (extended ? 2 : 0), true)
  if (extended) {
    field(12, 2)
    field(16, 3)
  }
  parts.forEach((p, k) => out.set(p, offsets[k]!))
  return out
}

/**
 * PACTYPE (MS-PAC 2.3/2.4): the buffer count, version 0, one
 * PAC_INFO_BUFFER per buffer, each buffer's data on an 8-byte boundary (for
 * tests and fuzz seeds: a KDC's PAC as a whole, before it is signed).
 */
export const encodePacType = (buffers: ReadonlyArray<{ readonly type: number; readonly data: Uint8Array }>): Uint8Array => {
  let at = 8 + 16 * buffers.length
  const placed = buffers.map((b) => {
    const offset = Math.ceil(at / 8) * 8
    at = offset + b.data.length
    return { ...b, offset }
  })
  const out = new Uint8Array(Math.ceil(at / 8) * 8)
  const view = new DataView(out.buffer)
  view.setUint32(0, buffers.length, true)
  placed.forEach((b, i) => {
    view.setUint32(8 + 16 * i, b.type, true)
    view.setUint32(12 + 16 * i, b.data.length, true)
    view.setBigUint64(16 + 16 * i, BigInt(b.offset), true)
    out.set(b.data, b.offset)
  })
  return out
}
