/**
 * Why Negotiate passed over a mechanism (issue 10): the initiator's Kerberos
 * that found no KDC, the acceptor without a credential for the client's first
 * choice. Kept on the context (NegotiationInfo's `fallback`), logged once, and
 * added to the detail of a later failure of the mechanism used instead, so
 * that an unreachable KDC is never reported as a bare "logon denied".
 * Details come from the packages' errors, which never hold a secret.
 */
import type { Oid } from "@effect-sspi/asn1"
import { SecurityError } from "@effect-sspi/core"
import { Effect } from "effect"
import { isKerberos, NEGOEX, NTLMSSP } from "./oids.ts"

/** One mechanism passed over, and why. */
export interface Fallback {
  readonly packageName: string
  readonly status: string
  readonly detail?: string | undefined
}

/** The passed-over mechanism, from the error that made Negotiate skip it. */
export const fromError = (packageName: string, error: SecurityError.SspiError): Fallback => ({
  packageName,
  status: error.status,
  ...(error.detail === undefined ? {} : { detail: error.detail })
})

/** A mechanism's name for people: the package name, or its dotted OID. */
export const mechanismName = (oid: Oid): string =>
  isKerberos(oid) ? "Kerberos" : oid.equals(NTLMSSP) ? "NTLM" : oid.equals(NEGOEX) ? "NEGOEX" : oid.toString()

/** What to fix, for the statuses after which the initiator falls back. */
const hints: Readonly<Record<string, string>> = {
  SEC_E_NO_AUTHENTICATING_AUTHORITY: "make a KDC of the realm reachable: krb5.conf [realms] kdc, or DNS SRV records",
  SEC_E_NO_CREDENTIALS: "give Kerberos a credential (a password, a keytab or a credential cache)",
  SEC_E_UNKNOWN_CREDENTIALS: "give Kerberos a credential (a password, a keytab or a credential cache)",
  SEC_E_TARGET_UNKNOWN: "register the target's service principal name with the KDC",
  SEC_E_KDC_UNKNOWN_ETYPE: "enable an encryption type both the client and the KDC support"
}

const one = (f: Fallback): string => {
  const hint = hints[f.status]
  return `${f.packageName} failed: ${f.status}${f.detail === undefined ? "" : `: ${f.detail}`}${hint === undefined ? "" : ` (to fix: ${hint})`}`
}

/** "NTLM was used because Kerberos failed: …". */
export const describe = (used: string, fallback: ReadonlyArray<Fallback>): string =>
  `${used} was used because ${fallback.map(one).join("; ")}`

/**
 * The same error (same SECURITY_STATUS) with a detail that says the
 * mechanism used was a fall-back, and why: "NTLM refused the logon
 * (SEC_E_LOGON_DENIED: …); NTLM was used because Kerberos failed: …".
 */
export const explain = (used: string, fallback: ReadonlyArray<Fallback>) => (error: SecurityError.SspiError): SecurityError.SspiError => {
  if (fallback.length === 0) return error
  const what = error.status === "SEC_E_LOGON_DENIED" ? `${used} refused the logon` : `${used} failed`
  const detail = `${what} (${error.status}${error.detail === undefined ? "" : `: ${error.detail}`}); ${describe(used, fallback)}`
  return SecurityError.fromStatus(error.status, detail) ?? error
}

/** Logs the fall-back once, when the context is created: a warning for the initiator, information for the acceptor. */
export const log = (role: "initiator" | "acceptor", used: string, fallback: ReadonlyArray<Fallback>): Effect.Effect<void> => {
  if (fallback.length === 0) return Effect.void
  const message = `Negotiate ${role}: ${describe(used, fallback)}`
  return (role === "initiator" ? Effect.logWarning(message) : Effect.logInfo(message)).pipe(
    Effect.annotateLogs({ package: "Negotiate", mechanism: used, fallback: fallback.map((f) => `${f.packageName}: ${f.status}`).join(", ") })
  )
}
