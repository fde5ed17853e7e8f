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
import { type KerberosOptions, resolveSettings } from "./internal/settings.ts"
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
