/**
 * curl's exit codes, where they apply (curl(1) "EXIT CODES"): what a `sspi
 * get` failure exits with.
 */
import { Predicate } from "effect"
import { SecurityStatus } from "@effect-sspi/core"

/** The codes `sspi` uses. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  URL_MALFORMAT: 3,
  COULDNT_RESOLVE_HOST: 6,
  COULDNT_CONNECT: 7,
  HTTP_RETURNED_ERROR: 22,
  WRITE_ERROR: 23,
  READ_ERROR: 26,
  OPERATION_TIMEDOUT: 28,
  SSL_CONNECT_ERROR: 35,
  PEER_FAILED_VERIFICATION: 60,
  LOGIN_DENIED: 67
} as const

const causeCode = (error: unknown): string | undefined => {
  for (let e: unknown = error, depth = 0; Predicate.isObject(e) && depth < 6; depth++) {
    if (Predicate.hasProperty(e, "code") && Predicate.isString(e.code)) return e.code
    e = Predicate.hasProperty(e, "reason") && !Predicate.isString(e.reason) ? e.reason : Predicate.hasProperty(e, "cause") ? e.cause : undefined
  }
  return undefined
}

const denied = new Set(["SEC_E_LOGON_DENIED", "SEC_E_NO_CREDENTIALS", "SEC_E_UNKNOWN_CREDENTIALS", "SEC_E_WRONG_PRINCIPAL", "SEC_E_TARGET_UNKNOWN"])

/** The exit code of a failure of the request (transport or security). */
export const exitCodeOf = (error: unknown): number => {
  if (Predicate.hasProperty(error, "code") && Predicate.isNumber(error.code)) {
    const name = SecurityStatus.nameOf(error.code)
    if (name !== undefined) return denied.has(name) ? ExitCode.LOGIN_DENIED : ExitCode.FAILURE
  }
  if (Predicate.isTagged(error, "TimeoutError") || Predicate.isTagged(error, "HttpAuthError") && Predicate.hasProperty(error, "reason") && error.reason === "Timeout") {
    return ExitCode.OPERATION_TIMEDOUT
  }
  const code = causeCode(error)
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return ExitCode.COULDNT_RESOLVE_HOST
    case "ECONNREFUSED":
    case "ECONNRESET":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return ExitCode.COULDNT_CONNECT
    case "ETIMEDOUT":
      return ExitCode.OPERATION_TIMEDOUT
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "CERT_HAS_EXPIRED":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return ExitCode.PEER_FAILED_VERIFICATION
    default:
      return code?.startsWith("ERR_SSL") === true ? ExitCode.SSL_CONNECT_ERROR : ExitCode.FAILURE
  }
}
