/**
 * The parts of an MIT krb5.conf this package reads: [libdefaults]
 * default_realm, udp_preference_limit, kdc_timeout, clockskew, and
 * [realms] REALM = { kdc = host[:port] }. Unknown relations are ignored;
 * malformed lines are skipped (as MIT's profile library is lenient about
 * what it does not use). Never throws.
 *
 * @since 0.1.0
 */

/**
 * A relation value: a string, or a `{ … }` subsection.
 *
 * @since 0.1.0
 */
export type ProfileValue = string | ProfileSection

/**
 * A section: relation name → values in order.
 *
 * @since 0.1.0
 */
export interface ProfileSection {
  readonly [name: string]: ReadonlyArray<ProfileValue>
}

/**
 * A KDC address.
 *
 * @since 0.1.0
 */
export interface KdcAddress {
  readonly host: string
  readonly port: number
}

/**
 * What the package uses of a krb5.conf.
 *
 * @since 0.1.0
 */
export interface Krb5Config {
  readonly defaultRealm: string | undefined
  /** Messages at least this long go over TCP first (MIT default 1465). */
  readonly udpPreferenceLimit: number
  /** Per-KDC wait in milliseconds, if set. */
  readonly kdcTimeout: number | undefined
  /** Allowed clock skew in milliseconds, if set. */
  readonly clockSkew: number | undefined
  readonly realms: ReadonlyMap<string, ReadonlyArray<KdcAddress>>
}

/**
 * Parses the profile syntax into sections (never throws).
 *
 * @since 0.1.0
 */
export const parseProfile = (text: string): Record<string, ProfileSection> => {
  const sections: Record<string, Record<string, Array<ProfileValue>>> = {}
  let stack: Array<Record<string, Array<ProfileValue>>> = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue
    const header = /^\[([^\]]*)\]\*?$/.exec(line)
    if (header !== null) {
      const name = header[1]!.trim()
      sections[name] ??= Object.create(null) as Record<string, Array<ProfileValue>>
      stack = [sections[name]!]
      continue
    }
    const top = stack[stack.length - 1]
    if (top === undefined) continue
    if (line.startsWith("}")) {
      if (stack.length > 1) stack.pop()
      continue
    }
    const eq = line.indexOf("=")
    if (eq <= 0) continue
    const name = line.slice(0, eq).trim()
    let value = line.slice(eq + 1).trim()
    const values = Object.hasOwn(top, name) ? top[name]! : (top[name] = [])
    if (value === "{") {
      const sub = Object.create(null) as Record<string, Array<ProfileValue>>
      values.push(sub)
      if (stack.length < 16) stack.push(sub)
      continue
    }
    if (value.length >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.slice(1, -1)
    else if (value.endsWith("*")) value = value.slice(0, -1).trim()
    values.push(value)
  }
  return sections
}

const first = (section: ProfileSection | undefined, name: string): string | undefined => {
  const v = section?.[name]?.find((x): x is string => typeof x === "string")
  return v
}

/** "3s", "1m", "300", "1h" → milliseconds (MIT duration syntax, the common forms). */
export const parseDuration = (text: string): number | undefined => {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim())
  if (m === null) {
    const hms = /^(\d+):(\d{2})(?::(\d{2}))?$/.exec(text.trim())
    if (hms === null) return undefined
    return ((Number(hms[1]) * 60 + Number(hms[2])) * 60 + Number(hms[3] ?? 0)) * 1000
  }
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"]
  return Number(m[1]) * unit * 1000
}

/** "host", "host:port", "[v6]:port" → address (default port 88). */
export const parseKdcAddress = (text: string): KdcAddress | undefined => {
  const t = text.trim().replace(/^(tcp|udp|kkdcp):\/?\/?/i, "")
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t)
  const m = v6 ?? /^([^:\s/]+)(?::(\d+))?$/.exec(t)
  if (m === null) return undefined
  const port = m[2] === undefined ? 88 : Number(m[2])
  return port > 0 && port < 65536 ? { host: m[1]!, port } : undefined
}

/**
 * Reads the settings this package uses from krb5.conf text; never throws.
 *
 * @since 0.1.0
 */
export const parseKrb5Conf = (text: string): Krb5Config => {
  const profile = parseProfile(text)
  const lib = profile["libdefaults"]
  const limit = Number(first(lib, "udp_preference_limit"))
  const timeout = first(lib, "kdc_timeout")
  const skew = first(lib, "clockskew")
  const realms = new Map<string, Array<KdcAddress>>()
  for (const [realm, values] of Object.entries(profile["realms"] ?? {})) {
    const kdcs: Array<KdcAddress> = []
    for (const v of values) {
      if (typeof v === "string") continue
      for (const k of v["kdc"] ?? []) {
        const address = typeof k === "string" ? parseKdcAddress(k) : undefined
        if (address !== undefined) kdcs.push(address)
      }
    }
    realms.set(realm, kdcs)
  }
  return {
    defaultRealm: first(lib, "default_realm"),
    udpPreferenceLimit: Number.isFinite(limit) && limit >= 0 ? limit : 1465,
    kdcTimeout: timeout === undefined ? undefined : parseDuration(timeout),
    clockSkew: skew === undefined ? undefined : parseDuration(skew),
    realms
  }
}
