/**
 * The one table from Kerberos error codes to SECURITY_STATUS, by phase of
 * the protocol, and the helpers that build the typed errors.
 *
 * @since 0.1.0
 */
import { SecurityError, type SecurityStatus } from "@effect-sspi/core"
import { ErrorCode } from "./messages/error.ts"

/**
 * Where an error arose: the AS exchange (logon), the TGS exchange (service
 * ticket), or the AP exchange (context establishment).
 *
 * @since 0.1.0
 */
export type Phase = "as" | "tgs" | "ap"

type Status = SecurityStatus.StatusName

/**
 * error code → status, per phase (`all` applies to every phase). README.md
 * reproduces this table.
 *
 * @since 0.1.0
 */
export const statusTable: ReadonlyArray<{
  readonly code: number
  readonly name: string
  readonly phase: Phase | "all"
  readonly status: Status
}> = [
  // Windows answers an unknown client with SEC_E_LOGON_DENIED too (it does not tell who exists).
  { code: ErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN, name: "KDC_ERR_C_PRINCIPAL_UNKNOWN", phase: "all", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN, name: "KDC_ERR_S_PRINCIPAL_UNKNOWN", phase: "all", status: "SEC_E_TARGET_UNKNOWN" },
  { code: ErrorCode.KDC_ERR_NEVER_VALID, name: "KDC_ERR_NEVER_VALID", phase: "all", status: "SEC_E_TIME_SKEW" },
  { code: ErrorCode.KDC_ERR_POLICY, name: "KDC_ERR_POLICY", phase: "all", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KDC_ERR_BADOPTION, name: "KDC_ERR_BADOPTION", phase: "all", status: "SEC_E_KDC_INVALID_REQUEST" },
  { code: ErrorCode.KDC_ERR_ETYPE_NOSUPP, name: "KDC_ERR_ETYPE_NOSUPP", phase: "all", status: "SEC_E_KDC_UNKNOWN_ETYPE" },
  { code: ErrorCode.KDC_ERR_CLIENT_REVOKED, name: "KDC_ERR_CLIENT_REVOKED", phase: "all", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KDC_ERR_KEY_EXPIRED, name: "KDC_ERR_KEY_EXPIRED", phase: "all", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KDC_ERR_PREAUTH_FAILED, name: "KDC_ERR_PREAUTH_FAILED", phase: "all", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KDC_ERR_PREAUTH_REQUIRED, name: "KDC_ERR_PREAUTH_REQUIRED", phase: "all", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, name: "KRB_AP_ERR_BAD_INTEGRITY", phase: "as", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, name: "KRB_AP_ERR_BAD_INTEGRITY", phase: "tgs", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KRB_AP_ERR_BAD_INTEGRITY, name: "KRB_AP_ERR_BAD_INTEGRITY", phase: "ap", status: "SEC_E_LOGON_DENIED" },
  { code: ErrorCode.KRB_AP_ERR_TKT_EXPIRED, name: "KRB_AP_ERR_TKT_EXPIRED", phase: "all", status: "SEC_E_CONTEXT_EXPIRED" },
  { code: ErrorCode.KRB_AP_ERR_TKT_NYV, name: "KRB_AP_ERR_TKT_NYV", phase: "all", status: "SEC_E_TIME_SKEW" },
  // Windows has no replay status for SSPI callers; the token is refused.
  { code: ErrorCode.KRB_AP_ERR_REPEAT, name: "KRB_AP_ERR_REPEAT", phase: "all", status: "SEC_E_INVALID_TOKEN" },
  { code: ErrorCode.KRB_AP_ERR_NOT_US, name: "KRB_AP_ERR_NOT_US", phase: "all", status: "SEC_E_WRONG_PRINCIPAL" },
  { code: ErrorCode.KRB_AP_ERR_BADMATCH, name: "KRB_AP_ERR_BADMATCH", phase: "all", status: "SEC_E_INVALID_TOKEN" },
  { code: ErrorCode.KRB_AP_ERR_SKEW, name: "KRB_AP_ERR_SKEW", phase: "all", status: "SEC_E_TIME_SKEW" },
  // Windows' well-known "target principal name is incorrect".
  { code: ErrorCode.KRB_AP_ERR_MODIFIED, name: "KRB_AP_ERR_MODIFIED", phase: "all", status: "SEC_E_WRONG_PRINCIPAL" },
  { code: ErrorCode.KRB_AP_ERR_BADKEYVER, name: "KRB_AP_ERR_BADKEYVER", phase: "all", status: "SEC_E_WRONG_PRINCIPAL" },
  { code: ErrorCode.KRB_AP_ERR_NOKEY, name: "KRB_AP_ERR_NOKEY", phase: "all", status: "SEC_E_WRONG_PRINCIPAL" },
  { code: ErrorCode.KRB_AP_ERR_MUT_FAIL, name: "KRB_AP_ERR_MUT_FAIL", phase: "all", status: "SEC_E_MUTUAL_AUTH_FAILED" },
  // a client in another realm that the KDC could not (or we would not) follow
  { code: ErrorCode.KDC_ERR_WRONG_REALM, name: "KDC_ERR_WRONG_REALM", phase: "all", status: "SEC_E_NO_AUTHENTICATING_AUTHORITY" },
  { code: ErrorCode.KRB_ERR_GENERIC, name: "KRB_ERR_GENERIC", phase: "all", status: "SEC_E_INTERNAL_ERROR" }
]

const fallback: Record<Phase, Status> = { as: "SEC_E_LOGON_DENIED", tgs: "SEC_E_KDC_INVALID_REQUEST", ap: "SEC_E_INVALID_TOKEN" }

/**
 * The status of a Kerberos error code in a phase.
 *
 * @since 0.1.0
 */
export const statusOf = (code: number, phase: Phase): Status =>
  (statusTable.find((row) => row.code === code && row.phase === phase) ??
    statusTable.find((row) => row.code === code && row.phase === "all"))?.status ?? fallback[phase]

/**
 * The name of an error code, for details.
 *
 * @since 0.1.0
 */
export const errorName = (code: number): string =>
  statusTable.find((row) => row.code === code)?.name ?? `Kerberos error ${code}`

/**
 * A typed error for a Kerberos error code (the detail names the code, never a secret).
 *
 * @since 0.1.0
 */
export const krbFailure = (code: number, phase: Phase, detail?: string): SecurityError.SspiError =>
  SecurityError.fromStatus(statusOf(code, phase), detail === undefined ? errorName(code) : `${errorName(code)}: ${detail}`) ??
    new SecurityError.InternalError({ detail: errorName(code) })

/** SEC_E_INVALID_TOKEN for a malformed message. */
export const invalidToken = (detail: string): SecurityError.SspiError => new SecurityError.InvalidToken({ detail })
