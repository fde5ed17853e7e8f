/**
 * SECURITY_STATUS: every status the async SSPI family produces, with its
 * winerror.h value. This module is the project's single source of these
 * numbers.
 *
 * @since 0.1.0
 */
import { Cause, Exit, Predicate, Schema, SchemaTransformation } from "effect"

/**
 * The statuses by name, with their exact winerror.h values.
 *
 * @since 0.1.0
 */
export const codes = {
  SEC_E_OK: 0x00000000,
  SEC_I_CONTINUE_NEEDED: 0x00090312,
  SEC_I_COMPLETE_NEEDED: 0x00090313,
  SEC_I_COMPLETE_AND_CONTINUE: 0x00090314,
  SEC_I_LOCAL_LOGON: 0x00090315,
  SEC_I_CONTEXT_EXPIRED: 0x00090317,
  SEC_I_INCOMPLETE_CREDENTIALS: 0x00090320,
  SEC_I_RENEGOTIATE: 0x00090321,
  SEC_I_NO_LSA_CONTEXT: 0x00090323,
  SEC_I_SIGNATURE_NEEDED: 0x0009035c,
  SEC_I_NO_RENEGOTIATION: 0x00090360,
  SEC_I_MESSAGE_FRAGMENT: 0x00090364,
  SEC_I_CONTINUE_NEEDED_MESSAGE_OK: 0x00090366,
  SEC_I_ASYNC_CALL_PENDING: 0x00090368,
  SEC_E_INSUFFICIENT_MEMORY: 0x80090300,
  SEC_E_INVALID_HANDLE: 0x80090301,
  SEC_E_UNSUPPORTED_FUNCTION: 0x80090302,
  SEC_E_TARGET_UNKNOWN: 0x80090303,
  SEC_E_INTERNAL_ERROR: 0x80090304,
  SEC_E_SECPKG_NOT_FOUND: 0x80090305,
  SEC_E_NOT_OWNER: 0x80090306,
  SEC_E_CANNOT_INSTALL: 0x80090307,
  SEC_E_INVALID_TOKEN: 0x80090308,
  SEC_E_CANNOT_PACK: 0x80090309,
  SEC_E_QOP_NOT_SUPPORTED: 0x8009030a,
  SEC_E_NO_IMPERSONATION: 0x8009030b,
  SEC_E_LOGON_DENIED: 0x8009030c,
  SEC_E_UNKNOWN_CREDENTIALS: 0x8009030d,
  SEC_E_NO_CREDENTIALS: 0x8009030e,
  SEC_E_MESSAGE_ALTERED: 0x8009030f,
  SEC_E_OUT_OF_SEQUENCE: 0x80090310,
  SEC_E_NO_AUTHENTICATING_AUTHORITY: 0x80090311,
  SEC_E_BAD_PKGID: 0x80090316,
  SEC_E_CONTEXT_EXPIRED: 0x80090317,
  SEC_E_INCOMPLETE_MESSAGE: 0x80090318,
  SEC_E_INCOMPLETE_CREDENTIALS: 0x80090320,
  SEC_E_BUFFER_TOO_SMALL: 0x80090321,
  SEC_E_WRONG_PRINCIPAL: 0x80090322,
  SEC_E_TIME_SKEW: 0x80090324,
  SEC_E_ILLEGAL_MESSAGE: 0x80090326,
  SEC_E_ENCRYPT_FAILURE: 0x80090329,
  SEC_E_DECRYPT_FAILURE: 0x80090330,
  SEC_E_ALGORITHM_MISMATCH: 0x80090331,
  SEC_E_SECURITY_QOS_FAILED: 0x80090332,
  SEC_E_UNFINISHED_CONTEXT_DELETED: 0x80090333,
  SEC_E_NO_TGT_REPLY: 0x80090334,
  SEC_E_WRONG_CREDENTIAL_HANDLE: 0x80090336,
  SEC_E_CRYPTO_SYSTEM_INVALID: 0x80090337,
  SEC_E_STRONG_CRYPTO_NOT_SUPPORTED: 0x8009033a,
  SEC_E_NO_PA_DATA: 0x8009033c,
  SEC_E_SHUTDOWN_IN_PROGRESS: 0x8009033f,
  SEC_E_KDC_INVALID_REQUEST: 0x80090340,
  SEC_E_KDC_UNABLE_TO_REFER: 0x80090341,
  SEC_E_KDC_UNKNOWN_ETYPE: 0x80090342,
  SEC_E_UNSUPPORTED_PREAUTH: 0x80090343,
  SEC_E_BAD_BINDINGS: 0x80090346,
  SEC_E_DOWNGRADE_DETECTED: 0x80090350,
  SEC_E_INVALID_PARAMETER: 0x8009035d,
  SEC_E_DELEGATION_POLICY: 0x8009035e,
  SEC_E_POLICY_NLTM_ONLY: 0x8009035f,
  SEC_E_NO_CONTEXT: 0x80090361,
  SEC_E_MUTUAL_AUTH_FAILED: 0x80090363
} as const

/**
 * A status name, e.g. `"SEC_E_INVALID_HANDLE"`.
 *
 * @since 0.1.0
 */
export type StatusName = keyof typeof codes

/**
 * A status value as winerror.h defines it (an unsigned 32-bit number).
 *
 * @since 0.1.0
 */
export type StatusCode = (typeof codes)[StatusName]

const names = Object.keys(codes) as ReadonlyArray<StatusName>
const nameByCode = new Map<number, StatusName>(names.map((name) => [codes[name], name]))

/**
 * Schema of the status names.
 *
 * @since 0.1.0
 */
export const StatusNameSchema = Schema.Literals(names)

/**
 * Schema of the status values: only documented values decode.
 *
 * @since 0.1.0
 */
export const StatusCodeSchema = Schema.Literals(names.map((name) => codes[name]))

/**
 * Schema that decodes a status value into its name and encodes a name back
 * into its value.
 *
 * @since 0.1.0
 */
export const StatusFromCode = StatusCodeSchema.pipe(
  Schema.decodeTo(
    StatusNameSchema,
    SchemaTransformation.transform({
      decode: (code) => nameByCode.get(code)!,
      encode: (name) => codes[name]
    })
  )
)

/**
 * The name of a status value, or `undefined` for a value the family never
 * produces.
 *
 * @since 0.1.0
 */
export const nameOf = (code: number): StatusName | undefined => nameByCode.get(code >>> 0)

/**
 * A status is a success when its severity bit is clear (SEC_E_OK and every
 * SEC_I_*).
 *
 * @since 0.1.0
 */
export const isSuccess = (code: number): boolean => ((code >>> 0) & 0x80000000) === 0

/**
 * A status is informational when it is a success other than SEC_E_OK.
 *
 * @since 0.1.0
 */
export const isInformational = (code: number): boolean => code !== 0 && isSuccess(code)

/**
 * A status is an error when its severity bit is set.
 *
 * @since 0.1.0
 */
export const isError = (code: number): boolean => !isSuccess(code)

/**
 * Formats a status for people: `SEC_E_LOGON_DENIED (0x8009030C)`.
 *
 * @since 0.1.0
 */
export const format = (code: number): string =>
  `${nameOf(code) ?? "UNKNOWN_STATUS"} (0x${(code >>> 0).toString(16).toUpperCase().padStart(8, "0")})`

/**
 * The status reported for a call whose fiber was interrupted without a more
 * specific reason: SEC_E_UNFINISHED_CONTEXT_DELETED ("a security context was
 * deleted before the context was completed"). The runtime reports the more
 * precise SEC_E_SHUTDOWN_IN_PROGRESS itself when it shuts down.
 *
 * @since 0.1.0
 */
export const interruptedStatus: StatusCode = codes.SEC_E_UNFINISHED_CONTEXT_DELETED

/**
 * The one total mapping from the `Exit` of an SSPI operation to a status:
 * success → the status it carries (SEC_E_OK when it carries none); typed
 * failure → the error's code; defect → SEC_E_INTERNAL_ERROR; interruption →
 * {@link interruptedStatus}.
 *
 * @since 0.1.0
 */
export const fromExit = <A, E extends { readonly code: number }>(exit: Exit.Exit<A, E>): number => {
  if (Exit.isSuccess(exit)) {
    const value: unknown = exit.value
    if (Predicate.isNumber(value)) return value
    return Predicate.hasProperty(value, "status") && Predicate.isNumber(value.status) ? value.status : codes.SEC_E_OK
  }
  const cause = exit.cause
  for (const reason of cause.reasons) {
    if (Cause.isFailReason(reason)) return reason.error.code
  }
  for (const reason of cause.reasons) {
    if (Cause.isDieReason(reason)) return codes.SEC_E_INTERNAL_ERROR
  }
  return interruptedStatus
}
