/**
 * The security packages the CLI installs: NTLM always (over a user store);
 * Negotiate when asked, over NTLM and, when Kerberos is asked for, Kerberos;
 * Kerberos also under its own name. Kerberos reads its settings from
 * krb5.conf (KRB5_CONFIG, else /etc/krb5.conf), KRB5CCNAME and KRB5_KTNAME
 * unless given options; nothing contacts a KDC until a credential needs it,
 * so an acceptor with a keytab needs no KDC at all.
 */
import { Effect, Layer, Option } from "effect"
import { type HandshakeStore, type ReplayCache, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import type { KerberosOptions } from "@effect-sspi/kerberos"
import { Negotiate } from "@effect-sspi/negotiate"
import { DomainVerifier, Ntlm, UserStore } from "@effect-sspi/ntlm"

/** State shared between processes (the replay cache and the NTLM handshake store), given to the packages when they are built. */
export type SharedState = Layer.Layer<ReplayCache.ReplayCache | HandshakeStore.HandshakeStore, unknown>

/** Which packages to install besides NTLM. */
export interface Packages {
  /** Install Negotiate (SPNEGO over the other installed packages). */
  readonly negotiate: boolean
  /** Install Kerberos with these options (and put it inside Negotiate). */
  readonly kerberos?: KerberosOptions | undefined
  /** Leave NTLM out of Negotiate (a Kerberos-only server with no NTLM users). */
  readonly negotiateWithoutNtlm?: boolean | undefined
  /** NTLM options (e.g. `onDeletePending: "keep"` with a shared handshake store). */
  readonly ntlm?: Omit<Ntlm.NtlmOptions, "userStore"> | undefined
  /**
   * Shared state for the packages: Kerberos takes the `ReplayCache` and NTLM
   * the `HandshakeStore` from the context they are built in (default: none,
   * each package keeps its state in this process's memory).
   */
  readonly shared?: SharedState | undefined
  /**
   * NTLM verified by the domain instead of a user store: the verifier
   * (NetlogonClient glued to `DomainVerifier`) and the names the CHALLENGE
   * must announce (the machine account's).
   */
  readonly domain?: {
    readonly verifier: Layer.Layer<DomainVerifier.DomainVerifier, unknown>
    readonly serverNames: NonNullable<Ntlm.NtlmOptions["serverNames"]>
  } | undefined
}

/** The SSPI runtime with NTLM (over `users`) and the requested packages. */
export const runtimeLayer = (
  packages: Packages,
  users: Layer.Layer<UserStore.UserStore, unknown> = UserStore.layerMemory([])
) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Layer.unwrap(Effect.gen(function*() {
      // with --dc: every NTLM response goes to the domain (the verifier lives as long as the runtime)
      const verifier = Option.getOrUndefined(yield* Effect.serviceOption(DomainVerifier.DomainVerifier))
      const ntlm = yield* Ntlm.withUserStore({
        ...packages.ntlm,
        ...(verifier !== undefined && packages.domain !== undefined ? { domainVerifier: verifier, serverNames: packages.domain.serverNames } : {})
      })
      // Loaded only when asked for: `sspi demo` and NTLM-only runs neither load nor configure Kerberos.
      const options = packages.kerberos
      const kerberos = options === undefined
        ? undefined
        : yield* Effect.flatMap(Effect.promise(() => import("@effect-sspi/kerberos")), ({ Kerberos }) => Kerberos.make(options))
      const installed: Array<SecurityPackage.AnySecurityPackage> = [ntlm]
      if (kerberos !== undefined) installed.push(kerberos)
      if (packages.negotiate) {
        installed.push(Negotiate.make({ kerberos, ntlm: packages.negotiateWithoutNtlm === true ? undefined : ntlm }))
      }
      return SecurityPackage.SecurityPackages.layer(...installed)
    })).pipe(
      Layer.provide((packages.shared ?? Layer.empty) as Layer.Layer<never, unknown>),
      Layer.provide((packages.domain?.verifier ?? Layer.empty) as Layer.Layer<never, unknown>)
    )),
    Layer.provide(users)
  )

/** The names of the mechanisms inside Negotiate, for display. */
export const negotiateMechanisms = (packages: Packages): ReadonlyArray<string> => [
  ...(packages.kerberos !== undefined ? ["Kerberos"] : []),
  ...(packages.negotiateWithoutNtlm === true ? [] : ["NTLM"])
]
