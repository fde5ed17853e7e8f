/**
 * NTSTATUS answers of a network logon mapped to the SECURITY_STATUS that
 * Windows' NTLM acceptor returns for them (the LSA's NTSTATUS → SEC_E
 * mapping): every account condition is SEC_E_LOGON_DENIED, domain
 * controller trouble is SEC_E_NO_AUTHENTICATING_AUTHORITY.
 *
 * Wrong password, unknown user and STATUS_LOGON_FAILURE give the same
 * status *and* the same detail, so nothing that reaches a client or a log
 * tells whether the account exists; account conditions (disabled, locked,
 * expired) keep the status and name the condition in the detail only.
 *
 * @since 0.1.0
 */
import { SecurityError } from "@effect-sspi/core"

/** NTSTATUS values (MS-ERREF 2.3.1) a network logon can answer. */
export const NtStatus = {
  SUCCESS: 0x00000000,
  ACCESS_DENIED: 0xc0000022,
  NO_SUCH_USER: 0xc0000064,
  WRONG_PASSWORD: 0xc000006a,
  LOGON_FAILURE: 0xc000006d,
  ACCOUNT_RESTRICTION: 0xc000006e,
  INVALID_LOGON_HOURS: 0xc000006f,
  INVALID_WORKSTATION: 0xc0000070,
  PASSWORD_EXPIRED: 0xc0000071,
  ACCOUNT_DISABLED: 0xc0000072,
  NO_LOGON_SERVERS: 0xc000005e,
  NO_SUCH_DOMAIN: 0xc00000df,
  INVALID_PARAMETER: 0xc000000d,
  INVALID_INFO_CLASS: 0xc0000003,
  ACCOUNT_EXPIRED: 0xc0000193,
  PASSWORD_MUST_CHANGE: 0xc0000224,
  ACCOUNT_LOCKED_OUT: 0xc0000234,
  TRUSTED_RELATIONSHIP_FAILURE: 0xc000018d,
  TRUSTED_DOMAIN_FAILURE: 0xc000018c,
  NO_TRUST_SAM_ACCOUNT: 0xc000018b,
  DOWNGRADE_DETECTED: 0xc0000388,
  NOT_SUPPORTED: 0xc00000bb
} as const

/** The detail shared by wrong password and unknown user. */
export const DENIED = "the domain controller refused the logon"

const names = new Map<number, string>(Object.entries(NtStatus).map(([k, v]) => [v, `STATUS_${k}`]))

/** `STATUS_NAME` or the hex value. */
export const statusName = (status: number): string =>
  names.get(status) ?? `NTSTATUS 0x${status.toString(16).padStart(8, "0")}`

const accountConditions: Record<number, string> = {
  [NtStatus.ACCOUNT_DISABLED]: "the account is disabled",
  [NtStatus.ACCOUNT_LOCKED_OUT]: "the account is locked out",
  [NtStatus.ACCOUNT_EXPIRED]: "the account has expired",
  [NtStatus.PASSWORD_EXPIRED]: "the password has expired",
  [NtStatus.PASSWORD_MUST_CHANGE]: "the password must be changed",
  [NtStatus.ACCOUNT_RESTRICTION]: "an account restriction prevents the logon",
  [NtStatus.INVALID_LOGON_HOURS]: "the account may not log on at this time",
  [NtStatus.INVALID_WORKSTATION]: "the account may not log on from this workstation"
}

/**
 * The typed error for a logon that did not succeed, by its NTSTATUS
 * (`dc` names the domain controller in SEC_E_NO_AUTHENTICATING_AUTHORITY).
 */
export const logonError = (
  status: number,
  dc: string
): SecurityError.LogonDenied | SecurityError.NoAuthenticatingAuthority | SecurityError.InvalidToken | SecurityError.InternalError => {
  if (status === NtStatus.NO_SUCH_USER || status === NtStatus.WRONG_PASSWORD || status === NtStatus.LOGON_FAILURE) {
    return new SecurityError.LogonDenied({ detail: DENIED })
  }
  const condition = accountConditions[status]
  if (condition !== undefined) return new SecurityError.LogonDenied({ detail: condition })
  switch (status) {
    case NtStatus.NO_LOGON_SERVERS:
    case NtStatus.NO_SUCH_DOMAIN:
    case NtStatus.TRUSTED_RELATIONSHIP_FAILURE:
    case NtStatus.TRUSTED_DOMAIN_FAILURE:
    case NtStatus.NO_TRUST_SAM_ACCOUNT:
    case NtStatus.ACCESS_DENIED:
      return new SecurityError.NoAuthenticatingAuthority({ detail: `domain controller ${dc}: ${statusName(status)}` })
    case NtStatus.INVALID_PARAMETER:
      return new SecurityError.InvalidToken({ detail: `domain controller ${dc} refused the response as malformed` })
    default:
      return new SecurityError.InternalError({ detail: `domain controller ${dc}: ${statusName(status)}` })
  }
}
