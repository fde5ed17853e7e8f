/**
 * The Negotiate security package (SPNEGO, RFC 4178 / MS-SPNG) over
 * Kerberos and NTLM: the name most Windows-integrated servers ask for.
 *
 * @since 0.1.0
 */
import { Flags, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Exit } from "effect"
import { accept, type NtlmPolicy } from "./internal/acceptor.ts"
import { initialize } from "./internal/initiator.ts"
import { mechanismsOf, type NegotiateContext, type NegotiateCredential } from "./internal/mechanisms.ts"

/**
 * The inner packages, in preference order Kerberos then NTLM. Either may be
 * absent.
 *
 * @since 0.1.0
 */
export interface NegotiateOptions {
  readonly kerberos?: SecurityPackage.AnySecurityPackage | undefined
  readonly ntlm?: SecurityPackage.AnySecurityPackage | undefined
  /**
   * What the acceptor does with NTLM, bare or chosen through SPNEGO:
   * - `"allow"` (default): accepted, as Windows' Negotiate does unless the
   *   "Network security: Restrict NTLM: Incoming NTLM traffic" policy
   *   blocks NTLM altogether (MS-NLMP 3.2.5.1.1: ServerBlock). A man in the middle
   *   who strips Negotiate from the server's offer (or Kerberos from the
   *   mechList) can then move a Kerberos-capable client to NTLM; inside
   *   SPNEGO the mechListMIC catches a stripped list (RFC 4178 section 5),
   *   a bare NTLM token carries none.
   * - `"refuseWhenKerberosPossible"`: when this acceptor holds a Kerberos
   *   credential, NTLM is refused with SEC_E_UNSUPPORTED_FUNCTION (the
   *   status of a blocked NTLM server, STATUS_NOT_SUPPORTED), and SPNEGO
   *   never chooses NTLM. Offer no separate `NTLM` HTTP scheme then.
   */
  readonly acceptorNtlm?: NtlmPolicy | undefined
  /**
   * Mechanisms whose credential must be acquired (package names, e.g.
   * `["Kerberos"]` for a server given a keytab). A required mechanism whose
   * credential fails (missing or unreadable keytab, no key for the
   * principal, a corrupt file) fails the Negotiate credential with that
   * mechanism's status and detail, so the server layer does not start
   * instead of quietly offering NTLM only. Mechanisms not listed are skipped
   * when their credential fails, with a warning in the log naming the
   * mechanism and why (default: none required).
   */
  readonly requireMechanisms?: ReadonlyArray<string> | undefined
}

export type { NtlmPolicy } from "./internal/acceptor.ts"

/**
 * SecPkgInfo of Negotiate, as Windows reports it.
 *
 * @since 0.1.0
 */
export const info: SecurityPackage.PackageInfo = {
  name: "Negotiate",
  comment: "Microsoft Package Negotiator",
  capabilities: 0x00083bb3,
  version: 1,
  rpcId: 9,
  maxToken: 48256
}

/**
 * Authentication data may name each mechanism's own (`{ ntlm: …, kerberos: … }`);
 * otherwise the same data goes to every mechanism.
 */
const authDataFor = (authData: unknown, pkg: SecurityPackage.AnySecurityPackage): unknown => {
  if (typeof authData !== "object" || authData === null) return authData
  const key = pkg.info.name.toLowerCase()
  return key in authData ? (authData as Record<string, unknown>)[key] : authData
}

const acquire = (mechs: ReturnType<typeof mechanismsOf>, required: ReadonlyArray<string>) =>
(request: SecurityPackage.AcquireCredentialsRequest) =>
  Effect.gen(function*() {
    const acquired: Array<NegotiateCredential["mechs"][number]> = []
    let firstError: SecurityError.SspiError | undefined
    let expiry = Infinity
    for (const mech of mechs) {
      const exit = yield* Effect.exit(mech.pkg.acquireCredentials({ ...request, authData: authDataFor(request.authData, mech.pkg) }))
      if (Exit.isSuccess(exit)) {
        acquired.push({ mech, credential: exit.value.credential })
        expiry = Math.min(expiry, exit.value.expiry)
      } else {
        const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
        const error = failure?._tag === "Fail" ? failure.error : undefined
        firstError ??= error
        const name = mech.pkg.info.name
        const why = error === undefined ? "a defect" : `${error.status}${error.detail === undefined ? "" : `: ${error.detail}`}`
        if (required.some((r) => r.toLowerCase() === name.toLowerCase())) {
          return yield* SecurityError.fromStatus(error?.status ?? "SEC_E_INTERNAL_ERROR", `Negotiate requires ${name}, whose credential failed: ${why}`) ??
            new SecurityError.InternalError({ detail: `Negotiate requires ${name}, whose credential failed: ${why}` })
        }
        // an acceptor never downgrades silently: the skipped mechanism and the reason are
        // logged (an initiator's fall-back is reported with the handshake: NegotiationInfo)
        if ((request.credentialUse & Flags.CredentialUse.INBOUND) !== 0) {
          yield* Effect.logWarning(`Negotiate: no ${name} credential (${why}); ${name} is not offered`)
        }
      }
    }
    if (acquired.length === 0) return yield* (firstError ?? new SecurityError.NoCredentials({}))
    return { credential: { mechs: acquired } satisfies NegotiateCredential, expiry }
  })

const innerOf = (state: NegotiateContext) =>
  state.inner === undefined ? Effect.fail(new SecurityError.NoContext({})) : Effect.succeed(state.inner)

const queryAttribute = <K extends SecurityPackage.PackageAttribute>(
  state: NegotiateContext,
  attribute: K
): Effect.Effect<SecurityPackage.ContextAttributes[K], SecurityError.SspiError> =>
  Effect.flatMap(innerOf(state), (inner) => {
    if (attribute === "NegotiationInfo") {
      return Effect.succeed({
        packageInfo: inner.mech.pkg.info,
        complete: state.done,
        ...(state.fallback.length === 0 ? {} : { fallback: state.fallback })
      } as SecurityPackage.ContextAttributes[K])
    }
    if (attribute === "Sizes") {
      return Effect.map(inner.mech.pkg.queryAttribute(inner.state, "Sizes"), (sizes) =>
        ({ ...sizes, maxToken: info.maxToken }) as SecurityPackage.ContextAttributes[K])
    }
    return inner.mech.pkg.queryAttribute(inner.state, attribute)
  })

/**
 * Builds the Negotiate package over the given inner packages.
 *
 * @since 0.1.0
 */
export const make = (options: NegotiateOptions): SecurityPackage.SecurityPackage<NegotiateCredential, NegotiateContext> => {
  const mechs = mechanismsOf(options)
  return {
    info,
    acquireCredentials: acquire(mechs, options.requireMechanisms ?? []),
    freeCredentials: (credential) =>
      Effect.forEach(credential.mechs, (m) => m.mech.pkg.freeCredentials(m.credential), { discard: true }),
    initialize,
    accept: accept(options.acceptorNtlm ?? "allow"),
    deleteContext: (state) =>
      Effect.suspend(() => {
        const inner = state.inner
        state.inner = undefined
        return inner === undefined || inner.state === undefined ? Effect.void : inner.mech.pkg.deleteContext(inner.state)
      }),
    queryAttribute,
    makeSignature: (state, qop, message, sequence) =>
      Effect.flatMap(innerOf(state), (inner) => inner.mech.pkg.makeSignature(inner.state, qop, message, sequence)),
    verifySignature: (state, message, sequence) =>
      Effect.flatMap(innerOf(state), (inner) => inner.mech.pkg.verifySignature(inner.state, message, sequence)),
    encryptMessage: (state, qop, message, sequence) =>
      Effect.flatMap(innerOf(state), (inner) => inner.mech.pkg.encryptMessage(inner.state, qop, message, sequence)),
    decryptMessage: (state, message, sequence) =>
      Effect.flatMap(innerOf(state), (inner) => inner.mech.pkg.decryptMessage(inner.state, message, sequence))
  }
}
