/**
 * Package settings: explicit options, over effect `Config` read from the
 * app's `ConfigProvider` (by default the environment, under MIT's variable
 * names), over krb5.conf (every file of the KRB5_CONFIG list, with its
 * includes), over MIT's defaults; and the KDC sender they define (krb5.conf
 * KDCs, else DNS SRV discovery, the KDC that answered tried first next
 * time).
 *
 * @since 0.1.0
 */
import { Config, ConfigProvider, Duration, Effect, Option } from "effect"
import * as Dns from "effect/net/Dns"
import { type ChannelBindings, SecurityError } from "@effect-sspi/core"
import { type KdcAddress, type Krb5Config, parseKdcAddress, realmOfHost } from "./files/krb5Conf.ts"
import { loadKrb5Conf } from "./files/krb5ConfFiles.ts"
import type { KdcSend } from "./kdc/client.ts"
import { discoverSrvKdcs, type SrvKdc } from "./kdc/discovery.ts"
import { formatKdc, send as sendToKdc } from "./kdc/transport.ts"

/**
 * Options of the Kerberos package. Unset values come from the app's
 * `ConfigProvider` (see {@link config}), then krb5.conf, then MIT's defaults.
 *
 * @since 0.1.0
 */
export interface KerberosOptions {
  /** The default realm. */
  readonly realm?: string | undefined
  /** KDCs of the default realm, "host[:port]" ("tcp/host" for TCP only). */
  readonly kdc?: ReadonlyArray<string> | undefined
  /** krb5.conf paths, a `:`-separated list or an array (default: KRB5_CONFIG, then /etc/krb5.conf; missing files are skipped). */
  readonly krb5Config?: string | ReadonlyArray<string> | undefined
  /** The acceptor's default keytab (default: KRB5_KTNAME, then default_keytab_name, then FILE:/etc/krb5.keytab). */
  readonly keytab?: string | undefined
  /** The initiator's keytab when no ticket is cached (default: KRB5_CLIENT_KTNAME, then default_client_keytab_name). */
  readonly clientKeytab?: string | undefined
  /** The default credential cache, FILE: or DIR: (default: KRB5CCNAME, then default_ccache_name, then FILE:/tmp/krb5cc_%{uid}). */
  readonly ccache?: string | undefined
  /** Requests this long or longer go over TCP only (default from krb5.conf, else 1465). */
  readonly udpPreferenceLimit?: number | undefined
  /** Wait per KDC attempt (default SSPI_KRB5_KDC_TIMEOUT, then kdc_timeout, else 3 seconds). */
  readonly kdcTimeout?: Duration.Input | undefined
  /** Allowed clock skew (default SSPI_KRB5_CLOCKSKEW, then clockskew, else 5 minutes). */
  readonly clockSkew?: Duration.Input | undefined
  /** Requested TGT lifetime (default 10 hours). */
  readonly ticketLifetime?: Duration.Input | undefined
  /**
   * Ask the KDC to canonicalize the client name in the AS exchange (RFC 6806
   * section 5; MIT's `kinit -C`): the name it returns ("ALICE" → "alice")
   * becomes the credential's, and client referrals are followed. Enterprise
   * names (UPNs) always ask for it. Default false.
   */
  readonly canonicalize?: boolean | undefined
  /**
   * Capacity of the package's own replay cache, used only when no
   * `ReplayCache` service is provided (default SSPI_KRB5_REPLAY_CACHE_SIZE,
   * else sized for 1,000 AP-REQ/s over twice the clock skew, see
   * `ReplayCache.makeMemory`).
   */
  readonly replayCacheSize?: number | undefined
  /**
   * Find KDCs in DNS (SRV `_kerberos._udp/_tcp.REALM`, RFC 2782) for a realm
   * krb5.conf names none for (default: dns_lookup_kdc, else true as MIT);
   * `true` in krb5.conf also appends the SRV KDCs after the configured ones.
   */
  readonly dnsLookupKdc?: boolean | undefined
  /** DNS servers for discovery, "ip[:port]" (default SSPI_KRB5_DNS_SERVERS, else the system's; a provided `Dns` service wins). */
  readonly dnsServers?: ReadonlyArray<string> | undefined
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
  /**
   * An environment record to read the {@link config} keys from instead of the
   * app's `ConfigProvider` (a shortcut for providing
   * `ConfigProvider.fromEnv({ env })` to `make` alone).
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

const optional = <A>(c: Config.Config<A>) => Config.option(c)

/**
 * The `Config` the package reads from the app's `ConfigProvider`; the keys
 * are MIT's environment variables where MIT has one, else `SSPI_KRB5_*`.
 *
 * | key | meaning |
 * |---|---|
 * | KRB5_CONFIG | krb5.conf files, `:`-separated |
 * | KRB5_KTNAME | acceptor keytab |
 * | KRB5_CLIENT_KTNAME | initiator keytab |
 * | KRB5CCNAME | credential cache (FILE:, DIR:) |
 * | SSPI_KRB5_CLOCKSKEW | clock skew ("5 minutes") |
 * | SSPI_KRB5_KDC_TIMEOUT | per-KDC wait ("3 seconds") |
 * | SSPI_KRB5_REPLAY_CACHE_SIZE | replay cache capacity |
 * | SSPI_KRB5_DNS_SERVERS | DNS servers for KDC discovery, comma-separated |
 *
 * @since 0.1.0
 */
export const config = Config.all({
  krb5Config: optional(Config.String("KRB5_CONFIG")),
  keytab: optional(Config.String("KRB5_KTNAME")),
  clientKeytab: optional(Config.String("KRB5_CLIENT_KTNAME")),
  ccache: optional(Config.String("KRB5CCNAME")),
  clockSkew: optional(Config.Duration("SSPI_KRB5_CLOCKSKEW")),
  kdcTimeout: optional(Config.Duration("SSPI_KRB5_KDC_TIMEOUT")),
  replayCacheSize: optional(Config.Int("SSPI_KRB5_REPLAY_CACHE_SIZE")),
  dnsServers: optional(Config.String("SSPI_KRB5_DNS_SERVERS"))
})

/**
 * Resolved settings.
 *
 * @since 0.1.0
 */
export interface Settings {
  readonly defaultRealm: string | undefined
  readonly conf: Krb5Config
  /** The krb5.conf files read, in order. */
  readonly confFiles: ReadonlyArray<string>
  readonly udpPreferenceLimit: number
  readonly kdcTimeout: Duration.Duration
  readonly clockSkewMs: number
  readonly ticketLifetimeMs: number
  readonly canonicalize: boolean
  readonly replayCacheSize: number | undefined
  readonly extendedProtection: ChannelBindings.ExtendedProtection
  readonly acceptorPrincipals: ReadonlyArray<string> | "any" | undefined
  /** Default keytab, client keytab and ccache names (unexpanded). */
  readonly keytabName: string
  readonly clientKeytabName: string | undefined
  readonly ccacheName: string
  /** [domain_realm]: the realm of a host, when mapped. */
  readonly realmOfHost: (host: string) => string | undefined
  /** The realm's KDCs: krb5.conf's, else (or also, with dns_lookup_kdc = true) DNS SRV. */
  readonly kdcsFor: (realm: string) => Effect.Effect<ReadonlyArray<KdcAddress>, SecurityError.SspiError>
  /** Where the realm's KDCs come from, as `kdcsFor` finds them (for diagnostics); DNS failures are data. */
  readonly locateKdcs: (realm: string) => Effect.Effect<KdcLocation>
  readonly send: KdcSend
}

/**
 * The KDCs of a realm with where each came from: the `kdc` option, krb5.conf
 * `[realms]`, or DNS SRV (with its records).
 *
 * @since 0.3.0
 */
export interface KdcLocation {
  readonly kdcs: ReadonlyArray<
    | (KdcAddress & { readonly source: "options" | "krb5.conf" })
    | (SrvKdc & { readonly source: "SRV" })
  >
  /** Whether DNS was asked (dns_lookup_kdc, and whether krb5.conf names KDCs). */
  readonly dnsAsked: boolean
  /** Why DNS gave nothing, when it was asked and did. */
  readonly dnsFailure: string | undefined
}

const invalid = (e: Config.ConfigError) => new SecurityError.InvalidParameter({ detail: `Kerberos configuration: ${e.message}` })

const duration = (d: Duration.Input) => Duration.fromInputUnsafe(d)

/**
 * Resolves options: reads the {@link config} keys from the app's
 * `ConfigProvider` (or `options.env`) and krb5.conf once. A config value of
 * the wrong form is SEC_E_INVALID_PARAMETER naming it.
 *
 * @since 0.1.0
 */
export const resolveSettings = (options: KerberosOptions): Effect.Effect<Settings, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const read = options.env === undefined
      ? config
      : config.parse(ConfigProvider.fromEnvRecord({ ...options.env }))
    const fromConfig = yield* Effect.mapError(read, invalid)
    const dnsService = yield* Effect.serviceOption(Dns.Dns)
    const paths = typeof options.krb5Config === "string"
      ? options.krb5Config.split(":")
      : options.krb5Config ?? Option.getOrUndefined(fromConfig.krb5Config)?.split(":") ?? ["/etc/krb5.conf"]
    const loaded = yield* loadKrb5Conf(paths)
    const conf = loaded.config
    const defaultRealm = options.realm ?? conf.defaultRealm
    const explicit = (options.kdc ?? []).map(parseKdcAddress).filter((a): a is KdcAddress => a !== undefined)
    const udpPreferenceLimit = options.udpPreferenceLimit ?? conf.udpPreferenceLimit
    const kdcTimeout = duration(options.kdcTimeout ?? Option.getOrUndefined(fromConfig.kdcTimeout) ?? conf.kdcTimeout ?? Duration.seconds(3))
    const dnsLookup = options.dnsLookupKdc ?? conf.dnsLookupKdc
    const nameServers = options.dnsServers ??
      Option.getOrUndefined(fromConfig.dnsServers)?.split(",").map((s) => s.trim()).filter((s) => s !== "") ?? []
    // the KDC that answered last, per realm: tried first next time
    const answered = new Map<string, string>()
    const locateKdcs = (realm: string): Effect.Effect<KdcLocation> =>
      Effect.gen(function*() {
        const fromOptions = explicit.length > 0 && realm === defaultRealm
        const named = fromOptions ? explicit : conf.realms.get(realm) ?? []
        const source = fromOptions ? "options" as const : "krb5.conf" as const
        const useDns = named.length === 0 ? dnsLookup !== false : dnsLookup === true && explicit.length === 0
        const kdcs: KdcLocation["kdcs"] = named.map((k) => ({ ...k, source }))
        if (!useDns) return { kdcs, dnsAsked: false, dnsFailure: undefined }
        const found = yield* Effect.result(discoverSrvKdcs(realm, { dns: Option.getOrUndefined(dnsService), nameServers, timeout: kdcTimeout }))
        if (found._tag === "Failure") return { kdcs, dnsAsked: true, dnsFailure: found.failure.reason }
        const known = new Set(named.map(formatKdc))
        return {
          kdcs: [...kdcs, ...found.success.filter((k) => !known.has(formatKdc(k))).map((k) => ({ ...k, source: "SRV" as const }))],
          dnsAsked: true,
          dnsFailure: undefined
        }
      })
    const kdcsFor = (realm: string): Effect.Effect<ReadonlyArray<KdcAddress>, SecurityError.SspiError> =>
      Effect.gen(function*() {
        const located = yield* locateKdcs(realm)
        if (located.dnsFailure !== undefined && located.kdcs.length === 0) {
          return yield* new SecurityError.NoAuthenticatingAuthority({
            detail: `realm ${realm}: no KDC in krb5.conf (${loaded.files.join(", ") || "no krb5.conf read"}), and DNS found none: ${located.dnsFailure}`
          })
        }
        // the addresses alone, as the transport takes them
        const kdcs: ReadonlyArray<KdcAddress> = located.kdcs.map((k) => {
          const { source: _source, ...address } = k
          if (!("srv" in address)) return address
          const { srv: _srv, ...found } = address
          return found
        })
        const last = answered.get(realm)
        return last === undefined ? kdcs : [...kdcs.filter((k) => formatKdc(k) === last), ...kdcs.filter((k) => formatKdc(k) !== last)]
      })
    const settings: Settings = {
      defaultRealm,
      conf,
      confFiles: loaded.files,
      udpPreferenceLimit,
      kdcTimeout,
      clockSkewMs: Duration.toMillis(duration(options.clockSkew ?? Option.getOrUndefined(fromConfig.clockSkew) ?? conf.clockSkew ?? Duration.minutes(5))),
      ticketLifetimeMs: Duration.toMillis(duration(options.ticketLifetime ?? Duration.hours(10))),
      canonicalize: options.canonicalize === true,
      replayCacheSize: options.replayCacheSize ?? Option.getOrUndefined(fromConfig.replayCacheSize),
      extendedProtection: options.extendedProtection ?? "whenSupported",
      acceptorPrincipals: options.acceptorPrincipals,
      keytabName: options.keytab ?? Option.getOrUndefined(fromConfig.keytab) ?? conf.defaultKeytabName ?? "FILE:/etc/krb5.keytab",
      clientKeytabName: options.clientKeytab ?? Option.getOrUndefined(fromConfig.clientKeytab) ?? conf.defaultClientKeytabName,
      ccacheName: options.ccache ?? Option.getOrUndefined(fromConfig.ccache) ?? conf.defaultCcacheName ?? "FILE:/tmp/krb5cc_%{uid}",
      realmOfHost: (host) => realmOfHost(conf, host),
      kdcsFor,
      locateKdcs,
      send: (realm, request) =>
        Effect.flatMap(kdcsFor(realm), (kdcs) =>
          sendToKdc({ kdcs, udpPreferenceLimit, timeout: kdcTimeout }, request, (a) => answered.set(realm, formatKdc(a))).pipe(
            Effect.mapError((e) => new SecurityError.NoAuthenticatingAuthority({ detail: `realm ${realm}: ${e.reason}` }))
          ))
    }
    return settings
  })
