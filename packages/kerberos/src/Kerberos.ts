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

export type { CcacheAuthData, KerberosAuthData, KeytabAuthData, PasswordAuthData } from "./internal/context/credential.ts"
export type { KerberosOptions } from "./internal/settings.ts"

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
 * Builds the package: resolves settings (krb5.conf) and takes the acceptor's
 * replay cache from the `ReplayCache` service when one is provided (e.g.
 * `ReplayCache.layerMemory()` shared by several packages, or a Redis Layer
 * shared by several processes); without one, the package makes its own
 * memory cache (`ReplayCache.makeMemory`, window twice the clock skew), as
 * before.
 *
 * @since 0.1.0
 */
export const make = (options: KerberosOptions = {}): Effect.Effect<KerberosPackage> =>
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
      initialize: (cred, state, request) => initialize(settings, cred, state, request),
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
 * The runtime's package registry with Kerberos installed.
 *
 * @since 0.1.0
 */
export const layer = (options: KerberosOptions = {}): Layer.Layer<SecurityPackage.SecurityPackages> =>
  SecurityPackage.SecurityPackages.layer(make(options))
