/**
 * Package settings: explicit options over an MIT krb5.conf (KRB5_CONFIG,
 * else /etc/krb5.conf), and the KDC sender they define.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import { Duration, Effect } from "effect"
import { type ChannelBindings, SecurityError } from "@effect-sspi/core"
import { type KdcAddress, type Krb5Config, parseKdcAddress, parseKrb5Conf } from "./files/krb5Conf.ts"
import type { KdcSend } from "./kdc/client.ts"
import { send as sendToKdc } from "./kdc/transport.ts"

/**
 * Options of the Kerberos package. Unset values come from krb5.conf.
 *
 * @since 0.1.0
 */
export interface KerberosOptions {
  /** The default realm. */
  readonly realm?: string | undefined
  /** KDCs of the default realm, "host[:port]". */
  readonly kdc?: ReadonlyArray<string> | undefined
  /** krb5.conf path (default: KRB5_CONFIG, then /etc/krb5.conf; a missing file is ignored). */
  readonly krb5Config?: string | undefined
  /** Requests this long or longer go over TCP only (default from krb5.conf, else 1465). */
  readonly udpPreferenceLimit?: number | undefined
  /** Wait per KDC attempt (default kdc_timeout, else 3 seconds). */
  readonly kdcTimeout?: Duration.Input | undefined
  /** Allowed clock skew (default clockskew, else 5 minutes). */
  readonly clockSkew?: Duration.Input | undefined
  /** Requested TGT lifetime (default 10 hours). */
  readonly ticketLifetime?: Duration.Input | undefined
  /**
   * Capacity of the package's own replay cache, used only when no
   * `ReplayCache` service is provided (default: sized for 1,000 AP-REQ/s over
   * twice the clock skew, see `ReplayCache.makeMemory`).
   */
  readonly replayCacheSize?: number | undefined
  /**
   * Channel-binding enforcement (Windows' Extended Protection levels, RFC 4121
   * section 4.1.1.2): `"off"`, `"whenSupported"` (default) or `"required"`.
   */
  readonly extendedProtection?: ChannelBindings.ExtendedProtection | undefined
  /**
   * The service principals a keytab acceptor acquired without a principal
   * accepts tickets for ("HTTP/web.example" or "HTTP/web.example@REALM"; no
   * realm matches any realm). Default: the keytab's first principal (the
   * same default as an outbound keytab credential), as Windows accepts only
   * its own SPNs; `"any"` accepts every key in the keytab (MIT's default).
   */
  readonly acceptorPrincipals?: ReadonlyArray<string> | "any" | undefined
  /** Environment to read KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

/**
 * Resolved settings.
 *
 * @since 0.1.0
 */
export interface Settings {
  readonly defaultRealm: string | undefined
  readonly kdcsFor: (realm: string) => ReadonlyArray<KdcAddress>
  readonly udpPreferenceLimit: number
  readonly kdcTimeout: Duration.Duration
  readonly clockSkewMs: number
  readonly ticketLifetimeMs: number
  readonly replayCacheSize: number | undefined
  readonly extendedProtection: ChannelBindings.ExtendedProtection
  readonly acceptorPrincipals: ReadonlyArray<string> | "any" | undefined
  readonly env: Readonly<Record<string, string | undefined>>
  readonly send: KdcSend
}

const readConfig = (path: string): Krb5Config => {
  try {
    return parseKrb5Conf(Fs.readFileSync(path, "utf8"))
  } catch {
    return parseKrb5Conf("")
  }
}

/**
 * Resolves options (reads krb5.conf once).
 *
 * @since 0.1.0
 */
export const resolveSettings = (options: KerberosOptions): Effect.Effect<Settings> =>
  Effect.sync(() => {
    const env = options.env ?? process.env
    const conf = readConfig(options.krb5Config ?? env["KRB5_CONFIG"]?.split(":")[0] ?? "/etc/krb5.conf")
    const defaultRealm = options.realm ?? conf.defaultRealm
    const explicit = (options.kdc ?? []).map(parseKdcAddress).filter((a): a is KdcAddress => a !== undefined)
    const kdcsFor = (realm: string) =>
      explicit.length > 0 && realm === defaultRealm ? explicit : conf.realms.get(realm) ?? []
    const udpPreferenceLimit = options.udpPreferenceLimit ?? conf.udpPreferenceLimit
    const kdcTimeout = Duration.fromInputUnsafe(options.kdcTimeout ?? conf.kdcTimeout ?? Duration.seconds(3))
    const settings: Settings = {
      defaultRealm,
      kdcsFor,
      udpPreferenceLimit,
      kdcTimeout,
      clockSkewMs: Duration.toMillis(Duration.fromInputUnsafe(options.clockSkew ?? conf.clockSkew ?? Duration.minutes(5))),
      ticketLifetimeMs: Duration.toMillis(Duration.fromInputUnsafe(options.ticketLifetime ?? Duration.hours(10))),
      replayCacheSize: options.replayCacheSize,
      extendedProtection: options.extendedProtection ?? "whenSupported",
      acceptorPrincipals: options.acceptorPrincipals,
      env,
      send: (realm, request) =>
        sendToKdc({ kdcs: kdcsFor(realm), udpPreferenceLimit, timeout: kdcTimeout }, request).pipe(
          Effect.mapError((e) => new SecurityError.NoAuthenticatingAuthority({ detail: `realm ${realm}: ${e.reason}` }))
        )
    }
    return settings
  })
