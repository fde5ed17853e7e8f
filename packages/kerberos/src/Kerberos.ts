/**
 * The Kerberos security package ("Kerberos"): `make(options)` builds it,
 * `layer(options)` installs it in the SSPI runtime.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Option } from "effect"
import { ReplayCache, SecurityError, SecurityPackage } from "@effect-sspi/core"
import { accept } from "./internal/context/acceptor.ts"
import { acquire, free, type KerberosCredential } from "./internal/context/credential.ts"
import { initialize } from "./internal/context/initiator.ts"
import { decryptMessage, encryptMessage, makeSignature, verifySignature } from "./internal/context/protection.ts"
import { type KerberosContext, protectionKey, wipe } from "./internal/context/state.ts"
import { formatPrincipal } from "./internal/messages/common.ts"
import { type KdcLocation, type KerberosOptions, resolveSettings } from "./internal/settings.ts"
import { copyBytes } from "./internal/bytes.ts"
import { delegatedAuthData } from "./internal/context/delegation.ts"

export type { CcacheAuthData, KerberosAuthData, KeytabAuthData, PasswordAuthData } from "./internal/context/credential.ts"
export type { KerberosOptions } from "./internal/settings.ts"
export {
  /**
   * The effect `Config` the package reads from the app's `ConfigProvider`
   * (KRB5_CONFIG, KRB5_KTNAME, KRB5_CLIENT_KTNAME, KRB5CCNAME,
   * SSPI_KRB5_CLOCKSKEW, SSPI_KRB5_KDC_TIMEOUT, SSPI_KRB5_REPLAY_CACHE_SIZE,
   * SSPI_KRB5_DNS_SERVERS).
   *
   * @since 0.1.0
   */
  config
} from "./internal/settings.ts"

/**
 * The package's SecPkgInfo.
 *
 * @since 0.1.0
 */
export const info: SecurityPackage.PackageInfo = {
  name: "Kerberos",
  comment: "Microsoft Kerberos V1.0 (effect-sspi)",
  capabilities: 0x0002bbbf,
  version: 1,
  rpcId: 16,
  maxToken: 48000
}

/**
 * The Kerberos package state types.
 *
 * @since 0.1.0
 */
export type KerberosPackage = SecurityPackage.SecurityPackage<KerberosCredential, KerberosContext>

/**
 * SEC_E_TARGET_UNKNOWN names the service principal asked for.
 */
const namingTarget = (targetName: string | undefined) => (e: SecurityError.SspiError): SecurityError.SspiError =>
  e._tag === "TargetUnknown" && targetName !== undefined && targetName !== "" && !(e.detail ?? "").includes(targetName)
    ? new SecurityError.TargetUnknown({ detail: `${e.detail ?? "unknown"}: service principal ${targetName}` })
    : e

/**
 * Builds the package: resolves settings (the app's `ConfigProvider`, see
 * {@link config}, and krb5.conf) and takes the acceptor's
 * replay cache from the `ReplayCache` service when one is provided (e.g.
 * `ReplayCache.layerMemory()` shared by several packages, or a Redis Layer
 * shared by several processes); without one, the package makes its own
 * memory cache (`ReplayCache.makeMemory`, window twice the clock skew), as
 * before. A config value of the wrong form (e.g. SSPI_KRB5_CLOCKSKEW=abc)
 * fails `make` with SEC_E_INVALID_PARAMETER naming it (the app fails at
 * start, not at its first logon). KDC discovery uses the app's `Dns` service (effect/net/Dns) when
 * one is provided.
 *
 * @since 0.1.0
 */
export const make = (options: KerberosOptions = {}): Effect.Effect<KerberosPackage, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(options)
    const provided = yield* Effect.serviceOption(ReplayCache.ReplayCache)
    const replay = Option.isSome(provided)
      ? provided.value
      : yield* ReplayCache.makeMemory({ window: settings.clockSkewMs * 2 + 1000, capacity: settings.replayCacheSize })
    const pkg: KerberosPackage = {
      info,
      acquireCredentials: (request) => acquire(settings, request),
      freeCredentials: free,
      initialize: (cred, state, request) =>
        Effect.mapError(initialize(settings, cred, state, request), namingTarget(request.targetName)),
      accept: (cred, state, request) => accept(settings, replay, cred, state, request),
      deleteContext: (state) => Effect.sync(() => wipe(state)),
      queryAttribute: (state, attribute) =>
        Effect.suspend((): Effect.Effect<SecurityPackage.ContextAttributes[typeof attribute], SecurityError.SspiError> => {
          const answer = (v: unknown) => Effect.succeed(v as SecurityPackage.ContextAttributes[typeof attribute])
          const key = protectionKey(state)
          switch (attribute) {
            case "Names":
              return answer({ userName: formatPrincipal(state.client) })
            case "NativeNames":
              return answer({ clientName: formatPrincipal(state.client), serverName: formatPrincipal(state.server) })
            case "SessionKey":
              return answer({ key: copyBytes(key?.key ?? state.sessionKey.keyvalue) })
            case "Sizes": {
              const mac = key?.profile.checksumSize ?? 12
              return answer({ maxToken: info.maxToken, maxSignature: 16 + mac, blockSize: 1, securityTrailer: 48 + mac })
            }
            case "NegotiationInfo":
              return answer({ packageInfo: info, complete: state.stage === "established" })
            case "LogonInfo":
              // the PAC's identity (verified at accept); none for a ticket without a PAC, and on an initiator
              return answer({ identity: state.identity === undefined ? undefined : Option.getOrUndefined(state.identity) })
            case "DelegatedCredential":
              return Effect.flatMap(delegatedAuthData(state), (authData) => answer({ packageName: info.name, authData }))
            default:
              return Effect.fail(new SecurityError.UnsupportedFunction({ detail: `attribute ${String(attribute)}` }))
          }
        }),
      makeSignature: (state, _qop, message) => makeSignature(state, message),
      verifySignature: (state, message) => verifySignature(state, message),
      encryptMessage: (state, qop, message) => encryptMessage(state, qop, message),
      decryptMessage: (state, message) => decryptMessage(state, message)
    }
    return pkg
  })

/**
 * The runtime's package registry with Kerberos installed; building it fails
 * with SEC_E_INVALID_PARAMETER when a config value has the wrong form.
 *
 * @since 0.1.0
 */
export const layer = (options: KerberosOptions = {}): Layer.Layer<SecurityPackage.SecurityPackages, SecurityError.SspiError> =>
  Layer.unwrap(Effect.map(make(options), (pkg) => SecurityPackage.SecurityPackages.layer(pkg)))

/**
 * One KDC of a realm and where it came from: the `kdc` option, krb5.conf
 * `[realms] REALM = { kdc = … }`, or DNS SRV (`srv`: the target, its
 * priority and weight, and the record(s) `_kerberos._udp.REALM` /
 * `_kerberos._tcp.REALM` that named it). `transport: "tcp"`: TCP only.
 *
 * @since 0.3.0
 */
export type DiscoveredKdc = KdcLocation["kdcs"][number]

/**
 * A realm's KDCs as the package finds them, in the order it tries them.
 *
 * @since 0.3.0
 */
export interface KdcDiscovery {
  readonly realm: string
  readonly kdcs: ReadonlyArray<DiscoveredKdc>
  /** The krb5.conf files read, in order. */
  readonly confFiles: ReadonlyArray<string>
  /** Whether DNS SRV was asked (krb5.conf names no KDC and dns_lookup_kdc is not false, or dns_lookup_kdc = true). */
  readonly dnsAsked: boolean
  /** Why DNS gave no KDC, when it was asked and gave none. */
  readonly dnsFailure: string | undefined
}

/**
 * Where the package finds a realm's KDCs (RFC 4120 section 7.2.3, MIT's
 * locate_kdc): the `kdc` option, else krb5.conf `[realms]`, else (or also,
 * with `dns_lookup_kdc = true`) DNS SRV `_kerberos._udp/_tcp.REALM` in
 * RFC 2782 order — the same lookup the KDC client makes, reported with each
 * address's source, for diagnostics (`sspi doctor`). Nothing is sent to a
 * KDC. A DNS failure is data (`dnsFailure`), not an error; `realm`
 * defaults to the default realm, and none is SEC_E_NO_AUTHORITY; a config
 * value of the wrong form is SEC_E_INVALID_PARAMETER.
 *
 * @since 0.3.0
 */
export const discoverKdcs = (
  realm?: string,
  options: KerberosOptions = {}
): Effect.Effect<KdcDiscovery, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(options)
    const name = realm ?? settings.defaultRealm
    if (name === undefined || name === "") {
      return yield* new SecurityError.NoAuthenticatingAuthority({ detail: "no realm: give one or set default_realm in krb5.conf" })
    }
    const located = yield* settings.locateKdcs(name)
    return { realm: name, kdcs: located.kdcs, confFiles: settings.confFiles, dnsAsked: located.dnsAsked, dnsFailure: located.dnsFailure }
  })
