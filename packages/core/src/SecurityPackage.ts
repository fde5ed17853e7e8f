/**
 * The security package interface that NTLM, Kerberos and Negotiate implement,
 * and the registry through which packages are installed and found by name.
 *
 * A package is pure protocol: credential and context state in, tokens and
 * state out. It keeps no handle table and forks no fiber of its own (except
 * for network I/O). The runtime owns handles, fibers, expiry and deletion.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { ExtendedProtection } from "./ChannelBindings.ts"
import type { CredentialUse } from "./Flags.ts"
import type { SecBuffer } from "./SecBuffer.ts"
import { SecpkgNotFound, type SspiError } from "./SecurityError.ts"
import type { StatusName } from "./SecurityStatus.ts"

/**
 * SecPkgInfo: what a package is and can do.
 *
 * @since 0.1.0
 */
export interface PackageInfo {
  readonly name: string
  readonly comment: string
  readonly capabilities: number
  readonly version: number
  readonly rpcId: number
  readonly maxToken: number
}

/**
 * The parameters of AcquireCredentialsHandle that reach the package.
 *
 * @since 0.1.0
 */
export interface AcquireCredentialsRequest {
  readonly principal: string | undefined
  readonly credentialUse: CredentialUse
  /** Package-specific authentication data (SEC_WINNT_AUTH_IDENTITY and kin). */
  readonly authData: unknown
  /** Now, in milliseconds since the epoch, from `Clock`. */
  readonly now: number
}

/**
 * A credential as the package gives it: its state and its expiry
 * (milliseconds since the epoch; `Infinity` for none).
 *
 * @since 0.1.0
 */
export interface CredentialGrant<C> {
  readonly credential: C
  readonly expiry: number
}

/**
 * The parameters of one handshake leg that reach the package.
 *
 * @since 0.1.0
 */
export interface HandshakeRequest {
  readonly targetName: string | undefined
  readonly contextReq: number
  readonly dataRep: number
  readonly input: ReadonlyArray<SecBuffer>
  /** Now, in milliseconds since the epoch, from `Clock`. */
  readonly now: number
  /**
   * The caller's Extended Protection level for this leg (acceptors): when
   * set, it overrides the package's own `extendedProtection` setting, so
   * that a server (the HTTP middleware) decides the level per call, as
   * Windows servers do (IIS/HTTP.sys `tokenChecking`, .NET's
   * `ExtendedProtectionPolicy`). Packages enforce it.
   *
   * @since 0.2.0
   */
  readonly extendedProtection?: ExtendedProtection | undefined
  /**
   * The caller's delegation policy for this context (initiators): `"none"`
   * never forwards the user's credential; `"policy"` forwards it when the
   * realm trusts the service (Kerberos OK-AS-DELEGATE, as Windows);
   * `"always"` forwards it whatever the realm says (curl's `--delegation`).
   * Set, it decides on its own (ISC_REQ_DELEGATE is not needed); unset,
   * ISC_REQ_DELEGATE means `"policy"` and its absence `"none"`.
   *
   * @since 0.2.0
   */
  readonly delegation?: DelegationPolicy | undefined
}

/**
 * When an initiator forwards the user's credential (see
 * {@link HandshakeRequest.delegation}).
 *
 * @since 0.2.0
 */
export type DelegationPolicy = "none" | "policy" | "always"

/**
 * Who the client is in its domain, as its logon server vouched for it (the
 * Kerberos PAC's KERB_VALIDATION_INFO and UPN_DNS_INFO, MS-PAC; the same
 * shape suits NTLM's Netlogon validation info). SIDs in `S-1-…` text form;
 * group attributes are SE_GROUP_* bits (MS-DTYP 2.4.2.4).
 *
 * @since 0.2.0
 */
export interface LogonIdentity {
  readonly userSid: string
  readonly primaryGroupSid: string
  /** Every group SID with its attributes: domain groups, extra SIDs, resource groups. */
  readonly groupSids: ReadonlyArray<{ readonly sid: string; readonly attributes: number }>
  readonly upn?: string | undefined
  readonly dnsDomain?: string | undefined
  /** The NetBIOS logon domain, e.g. `CORP`. */
  readonly logonDomain?: string | undefined
  /** The account name (sAMAccountName). */
  readonly accountName?: string | undefined
  readonly fullName?: string | undefined
}

/**
 * The statuses a successful handshake leg can end with.
 *
 * @since 0.1.0
 */
export type HandshakeStatus = Extract<
  StatusName,
  "SEC_E_OK" | "SEC_I_CONTINUE_NEEDED" | "SEC_I_COMPLETE_NEEDED" | "SEC_I_COMPLETE_AND_CONTINUE"
>

/**
 * The outcome of one successful handshake leg.
 *
 * @since 0.1.0
 */
export interface HandshakeStep<S> {
  readonly status: HandshakeStatus
  readonly state: S
  readonly output: ReadonlyArray<SecBuffer>
  /** ISC_RET_* or ASC_RET_* bits. */
  readonly attributes: number
  /** Milliseconds since the epoch; `Infinity` for none. */
  readonly expiry: number
}

/**
 * The context attributes a caller can query, with their values.
 *
 * @since 0.1.0
 */
export interface ContextAttributes {
  /** SECPKG_ATTR_SIZES */
  readonly Sizes: {
    readonly maxToken: number
    readonly maxSignature: number
    readonly blockSize: number
    readonly securityTrailer: number
  }
  /** SECPKG_ATTR_NAMES: the client's name. */
  readonly Names: { readonly userName: string }
  /** SECPKG_ATTR_NATIVE_NAMES */
  readonly NativeNames: { readonly clientName: string; readonly serverName: string }
  /** SECPKG_ATTR_SESSION_KEY: a copy the caller owns. */
  readonly SessionKey: { readonly key: Uint8Array }
  /**
   * SECPKG_ATTR_NEGOTIATION_INFO: the package actually negotiated. Negotiate
   * adds `fallback` (not a Windows field): the mechanisms it passed over
   * before this one, in order, with the status and detail of why (the
   * initiator's Kerberos with no KDC, the acceptor without a credential for
   * the client's first choice). Absent when nothing was passed over.
   */
  readonly NegotiationInfo: {
    readonly packageInfo: PackageInfo
    readonly complete: boolean
    readonly fallback?: ReadonlyArray<{ readonly packageName: string; readonly status: string; readonly detail?: string | undefined }> | undefined
  }
  /** SECPKG_ATTR_PACKAGE_INFO */
  readonly PackageInfo: PackageInfo
  /**
   * The package's own negotiated flags (NTLMSSP_NEGOTIATE_* for NTLM, the
   * GSS flags for Kerberos); not a Windows attribute.
   */
  readonly PackageFlags: { readonly flags: number }
  /** SECPKG_ATTR_FLAGS: the negotiated ISC_RET_* / ASC_RET_* bits. */
  readonly Flags: { readonly flags: number }
  /** SECPKG_ATTR_LIFESPAN: milliseconds since the epoch. */
  readonly Lifespan: { readonly start: number; readonly expiry: number }
  /**
   * Acceptor: the client's verified domain identity (SECPKG_ATTR_LOGON_INFO's
   * role; for Kerberos, the PAC whose server signature verified), or
   * `identity: undefined` when the logon carried none (an MIT KDC's ticket).
   * Not a Windows attribute in this shape.
   *
   * @since 0.2.0
   */
  readonly LogonInfo: { readonly identity: LogonIdentity | undefined }
  /**
   * Acceptor: the credential the client delegated (Kerberos: its forwarded
   * TGT), as `authData` for an OUTBOUND `Credentials.acquire` with
   * `packageName`; SEC_E_NO_CREDENTIALS when the client delegated nothing.
   * `authData` is opaque and refers to the context: acquire it before the
   * context is deleted (the credential then holds its own copy).
   *
   * @since 0.2.0
   */
  readonly DelegatedCredential: { readonly packageName: string; readonly authData: unknown }
}

/**
 * The name of a queryable context attribute.
 *
 * @since 0.1.0
 */
export type ContextAttribute = keyof ContextAttributes

/**
 * The attributes answered by the package (the runtime answers Flags and
 * Lifespan itself, and PackageInfo from {@link SecurityPackage.info}).
 *
 * @since 0.1.0
 */
export type PackageAttribute = Exclude<ContextAttribute, "Flags" | "Lifespan" | "PackageInfo">

/**
 * Message protection results.
 *
 * @since 0.1.0
 */
export interface Unprotected {
  readonly buffers: ReadonlyArray<SecBuffer>
  readonly qop: number
}

/**
 * One security package. `C` is its credential state and `S` its context
 * state, both opaque to the runtime.
 *
 * @since 0.1.0
 */
export interface SecurityPackage<C = unknown, S = unknown> {
  readonly info: PackageInfo
  readonly acquireCredentials: (request: AcquireCredentialsRequest) => Effect.Effect<CredentialGrant<C>, SspiError>
  /** Releases a credential's state (wipes its secrets). */
  readonly freeCredentials: (credential: C) => Effect.Effect<void>
  readonly initialize: (
    credential: C,
    state: S | undefined,
    request: HandshakeRequest
  ) => Effect.Effect<HandshakeStep<S>, SspiError>
  readonly accept: (
    credential: C,
    state: S | undefined,
    request: HandshakeRequest
  ) => Effect.Effect<HandshakeStep<S>, SspiError>
  /** Releases a context's state (zeroes its keys); runs for every context, finished or not. */
  readonly deleteContext: (state: S) => Effect.Effect<void>
  readonly queryAttribute: <K extends PackageAttribute>(
    state: S,
    attribute: K
  ) => Effect.Effect<ContextAttributes[K], SspiError>
  readonly makeSignature: (
    state: S,
    qop: number,
    message: ReadonlyArray<SecBuffer>,
    sequence: number | undefined
  ) => Effect.Effect<ReadonlyArray<SecBuffer>, SspiError>
  readonly verifySignature: (
    state: S,
    message: ReadonlyArray<SecBuffer>,
    sequence: number | undefined
  ) => Effect.Effect<number, SspiError>
  readonly encryptMessage: (
    state: S,
    qop: number,
    message: ReadonlyArray<SecBuffer>,
    sequence: number | undefined
  ) => Effect.Effect<ReadonlyArray<SecBuffer>, SspiError>
  readonly decryptMessage: (
    state: S,
    message: ReadonlyArray<SecBuffer>,
    sequence: number | undefined
  ) => Effect.Effect<Unprotected, SspiError>
  /**
   * Optional: SPNEGO calls it after signing (`"outbound"`) or verifying
   * (`"inbound"`) a mechListMIC with this package, for mechanisms whose
   * message state must then be reset (NTLM's RC4 state, MS-SPNG 3.3.5.1).
   */
  readonly afterMechListMic?: (state: S, direction: "outbound" | "inbound") => Effect.Effect<void>
}

/**
 * Any security package, its state types erased.
 *
 * @since 0.1.0
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySecurityPackage = SecurityPackage<any, any>

/**
 * The installed security packages, found by name (case-insensitive, as
 * Windows does).
 *
 * @since 0.1.0
 */
export class SecurityPackages extends Context.Service<SecurityPackages, {
  readonly find: (name: string) => Effect.Effect<AnySecurityPackage, SecpkgNotFound>
  readonly list: ReadonlyArray<PackageInfo>
}>()("@effect-sspi/core/SecurityPackages") {
  /**
   * Installs packages. Each is a package or an Effect that builds one (for
   * packages that need services, such as a KDC locator).
   */
  static readonly layer = <R = never>(
    ...packages: ReadonlyArray<AnySecurityPackage | Effect.Effect<AnySecurityPackage, never, R>>
  ): Layer.Layer<SecurityPackages, never, R> =>
    Layer.effect(
      SecurityPackages,
      Effect.gen(function*() {
        const installed = new Map<string, AnySecurityPackage>()
        for (const entry of packages) {
          const pkg = Effect.isEffect(entry) ? yield* entry : entry
          installed.set(pkg.info.name.toLowerCase(), pkg)
        }
        return SecurityPackages.of({
          find: (name) => {
            const pkg = installed.get(name.toLowerCase())
            return pkg === undefined
              ? Effect.fail(new SecpkgNotFound({ detail: `no package named ${JSON.stringify(name)}` }))
              : Effect.succeed(pkg)
          },
          list: Array.from(installed.values(), (pkg) => pkg.info)
        })
      })
    )
}
