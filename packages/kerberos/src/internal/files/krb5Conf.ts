/**
 * The parts of an MIT krb5.conf this package reads: [libdefaults]
 * default_realm, udp_preference_limit, kdc_timeout, clockskew,
 * dns_lookup_kdc, default_ccache_name, default_keytab_name,
 * default_client_keytab_name; [realms] REALM = { kdc = host[:port] }; and
 * [domain_realm]. `include FILE` / `includedir DIR` lines are handed to the
 * caller (see krb5ConfFiles.ts), which parses several files into one
 * profile as MIT does. Unknown relations are ignored;
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
  /** The name it was found under (an SRV target), for messages. */
  readonly name?: string | undefined
  /** "tcp": TCP only ("tcp/host" in krb5.conf, a `_tcp`-only SRV record); else UDP first for short requests. */
  readonly transport?: "tcp" | undefined
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
  /** libdefaults dns_lookup_kdc, when set. */
  readonly dnsLookupKdc: boolean | undefined
  /** libdefaults default_ccache_name, unexpanded. */
  readonly defaultCcacheName: string | undefined
  /** libdefaults default_keytab_name, unexpanded. */
  readonly defaultKeytabName: string | undefined
  /** libdefaults default_client_keytab_name, unexpanded. */
  readonly defaultClientKeytabName: string | undefined
  /** [domain_realm]: lower-case host or ".domain" → realm (first value wins). */
  readonly domainRealm: ReadonlyMap<string, string>
}

/**
 * An `include` or `includedir` directive met while parsing.
 *
 * @since 0.1.0
 */
export interface IncludeDirective {
  readonly kind: "include" | "includedir"
  readonly path: string
}

/**
 * A mutable profile tree several files are parsed into.
 *
 * @since 0.1.0
 */
export type ProfileRoot = Record<string, ProfileSection>

/**
 * Parses the profile syntax into sections (never throws).
 *
 * @since 0.1.0
 */
export const parseProfile = (
  text: string,
  root: ProfileRoot = Object.create(null) as ProfileRoot,
  onInclude?: (directive: IncludeDirective) => void
): ProfileRoot => {
  const sections = root as Record<string, Record<string, Array<ProfileValue>>>
  let stack: Array<Record<string, Array<ProfileValue>>> = []
  for (const raw of text.split(/\r?\n/)) {
    // MIT prof_parse.c parse_line: a directive starts the line, in any state;
    // the file it names is parsed into the same tree with a fresh state
    const directive = /^(includedir|include)\s+(\S.*?)\s*$/.exec(raw)
    if (directive !== null) {
      onInclude?.({ kind: directive[1] as "include" | "includedir", path: directive[2]! })
      continue
    }
    const line = raw.trim()
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue
    const header = /^\[([^\]]*)\]\*?$/.exec(line)
    if (header !== null) {
      const name = header[1]!.trim()
      if (!Object.hasOwn(sections, name)) sections[name] = Object.create(null) as Record<string, Array<ProfileValue>>
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
  const prefix = /^(tcp|udp|kkdcp)(:\/\/|:|\/)/i
  const tcp = /^tcp/i.test(text.trim()) && prefix.test(text.trim())
  const t = text.trim().replace(prefix, "")
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t)
  const m = v6 ?? /^([^:\s/]+)(?::(\d+))?$/.exec(t)
  if (m === null) return undefined
  const port = m[2] === undefined ? 88 : Number(m[2])
  if (!(port > 0 && port < 65536)) return undefined
  return tcp ? { host: m[1]!, port, transport: "tcp" } : { host: m[1]!, port }
}

/**
 * Reads the settings this package uses from krb5.conf text; never throws.
 *
 * @since 0.1.0
 */
export const parseKrb5Conf = (text: string): Krb5Config => krb5ConfOf(parseProfile(text))

const booleanOf = (text: string | undefined): boolean | undefined => {
  if (text === undefined) return undefined
  // MIT prof_get.c parse_boolean: y, yes, true, t, 1, on / n, no, false, nil, 0, off
  const t = text.toLowerCase()
  if (["y", "yes", "true", "t", "1", "on"].includes(t)) return true
  if (["n", "no", "false", "nil", "0", "off"].includes(t)) return false
  return undefined
}

/**
 * The settings this package uses from a parsed profile (one file, or several
 * merged: the first file's value of a relation wins, KDC lists concatenate).
 *
 * @since 0.1.0
 */
export const krb5ConfOf = (profile: ProfileRoot): Krb5Config => {
  const lib = profile["libdefaults"]
  const limit = Number(first(lib, "udp_preference_limit"))
  const timeout = first(lib, "kdc_timeout")
  const skew = first(lib, "clockskew")
  const realms = new Map<string, Array<KdcAddress>>()
  for (const [realm, values] of Object.entries(profile["realms"] ?? {})) {
    const kdcs: Array<KdcAddress> = realms.get(realm) ?? []
    for (const v of values) {
      if (typeof v === "string") continue
      for (const k of v["kdc"] ?? []) {
        const address = typeof k === "string" ? parseKdcAddress(k) : undefined
        if (address !== undefined) kdcs.push(address)
      }
    }
    realms.set(realm, kdcs)
  }
  const domainRealm = new Map<string, string>()
  for (const [host, values] of Object.entries(profile["domain_realm"] ?? {})) {
    const realm = values.find((x): x is string => typeof x === "string")
    if (realm !== undefined && !domainRealm.has(host.toLowerCase())) domainRealm.set(host.toLowerCase(), realm)
  }
  return {
    dnsLookupKdc: booleanOf(first(lib, "dns_lookup_kdc")),
    defaultCcacheName: first(lib, "default_ccache_name"),
    defaultKeytabName: first(lib, "default_keytab_name"),
    defaultClientKeytabName: first(lib, "default_client_keytab_name"),
    domainRealm,
    defaultRealm: first(lib, "default_realm"),
    udpPreferenceLimit: Number.isFinite(limit) && limit >= 0 ? limit : 1465,
    kdcTimeout: timeout === undefined ? undefined : parseDuration(timeout),
    clockSkew: skew === undefined ? undefined : parseDuration(skew),
    realms
  }
}

/**
 * MIT's host → realm mapping from [domain_realm] (lib/krb5/os/hostrealm_domain.c
 * / hst_realm.c): the host itself, then each ".suffix" from the longest;
 * the first match wins.
 *
 * @since 0.1.0
 */
export const realmOfHost = (conf: Krb5Config, host: string): string | undefined => {
  const h = host.toLowerCase().replace(/\.$/, "")
  const exact = conf.domainRealm.get(h)
  if (exact !== undefined) return exact
  for (let i = h.indexOf("."); i >= 0; i = h.indexOf(".", i + 1)) {
    const realm = conf.domainRealm.get(h.slice(i))
    if (realm !== undefined) return realm
  }
  return undefined
}
