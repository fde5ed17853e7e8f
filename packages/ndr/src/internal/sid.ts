/**
 * Security identifiers (MS-DTYP 2.4.2): the binary parts and the
 * `S-1-5-21-…` string form.
 *
 * @since 0.1.0
 */

/**
 * A SID. `authority` is the 48-bit IdentifierAuthority (big-endian on the
 * wire), `subAuthorities` at most 15 32-bit values.
 *
 * @since 0.1.0
 */
export interface Sid {
  readonly revision: number
  readonly authority: number
  readonly subAuthorities: ReadonlyArray<number>
}

/** MS-DTYP 2.4.2: SubAuthorityCount is at most 15. */
export const MAX_SUB_AUTHORITIES = 15

/**
 * `S-1-5-21-…` (MS-DTYP 2.4.2.1: the authority in decimal below 2^32, else
 * in hexadecimal).
 *
 * @since 0.1.0
 */
export const format = (sid: Sid): string => {
  const authority = sid.authority < 2 ** 32 ? String(sid.authority) : `0x${sid.authority.toString(16).toUpperCase().padStart(12, "0")}`
  return ["S", String(sid.revision), authority, ...sid.subAuthorities.map(String)].join("-")
}

/**
 * The SID of `S-1-…` text, or `undefined` when it is not one.
 *
 * @since 0.1.0
 */
export const parse = (text: string): Sid | undefined => {
  const m = /^S-(\d+)-(\d+|0x[0-9A-Fa-f]{12})((?:-\d+)*)$/.exec(text)
  if (m === null) return undefined
  const revision = Number(m[1])
  const authority = Number(m[2])
  const subAuthorities = m[3] === "" ? [] : m[3]!.slice(1).split("-").map(Number)
  if (revision > 0xff || authority >= 2 ** 48 || subAuthorities.length > MAX_SUB_AUTHORITIES) return undefined
  if (subAuthorities.some((s) => s > 0xffffffff)) return undefined
  return { revision, authority, subAuthorities }
}

/**
 * The SID of a relative identifier in a domain (MS-PAC 2.5: user and group
 * SIDs are the logon domain SID plus a RID).
 *
 * @since 0.1.0
 */
export const withRid = (domain: Sid, rid: number): Sid => ({
  revision: domain.revision,
  authority: domain.authority,
  subAuthorities: [...domain.subAuthorities, rid >>> 0]
})
