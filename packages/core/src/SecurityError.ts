/**
 * Typed errors: one Schema tagged error per SECURITY_STATUS error, each
 * carrying its status name and code, so `Effect.catchTag("InvalidHandle", …)`
 * selects exactly one status.
 *
 * @since 0.1.0
 */
import { type Cause, Schema } from "effect"
import { codes, format, type StatusName } from "./SecurityStatus.ts"

const fields = { detail: Schema.optional(Schema.String) }

/** What every status error has besides its fields: the status name and code. */
export interface StatusFacts<Name extends StatusName> {
  /** The status name. */
  readonly status: Name
  /** The status value (winerror.h). */
  readonly code: (typeof codes)[Name]
}

/**
 * The class of one status's error, spelled out so that declaration emit names
 * it instead of inlining effect's whole Schema class type in every error.
 */
export type StatusErrorClass<Tag extends string, Name extends StatusName> = Schema.Class<
  { readonly _tag: Tag; readonly detail?: string | undefined } & Cause.YieldableError & StatusFacts<Name>,
  Schema.TaggedStruct<Tag, typeof fields>,
  Cause.YieldableError & StatusFacts<Name>
>

/**
 * Builds the tagged error class of one status. The optional `detail` is for
 * people and never holds a secret.
 */
const StatusError = <const Tag extends string, const Name extends StatusName>(
  tag: Tag,
  status: Name
): StatusErrorClass<Tag, Name> => {
  class StatusError extends Schema.TaggedError<StatusError>()(tag, fields) {
    /** The status name. */
    get status(): Name {
      return status
    }
    /** The status value (winerror.h). */
    get code(): (typeof codes)[Name] {
      return codes[status]
    }
    override get message(): string {
      return this.detail === undefined ? format(this.code) : `${format(this.code)}: ${this.detail}`
    }
  }
  return StatusError
}

/** SEC_E_INSUFFICIENT_MEMORY. @since 0.1.0 */
export class InsufficientMemory extends StatusError("InsufficientMemory", "SEC_E_INSUFFICIENT_MEMORY") {}
/** SEC_E_INVALID_HANDLE. @since 0.1.0 */
export class InvalidHandle extends StatusError("InvalidHandle", "SEC_E_INVALID_HANDLE") {}
/** SEC_E_UNSUPPORTED_FUNCTION. @since 0.1.0 */
export class UnsupportedFunction extends StatusError("UnsupportedFunction", "SEC_E_UNSUPPORTED_FUNCTION") {}
/** SEC_E_TARGET_UNKNOWN. @since 0.1.0 */
export class TargetUnknown extends StatusError("TargetUnknown", "SEC_E_TARGET_UNKNOWN") {}
/** SEC_E_INTERNAL_ERROR. @since 0.1.0 */
export class InternalError extends StatusError("InternalError", "SEC_E_INTERNAL_ERROR") {}
/** SEC_E_SECPKG_NOT_FOUND. @since 0.1.0 */
export class SecpkgNotFound extends StatusError("SecpkgNotFound", "SEC_E_SECPKG_NOT_FOUND") {}
/** SEC_E_NOT_OWNER. @since 0.1.0 */
export class NotOwner extends StatusError("NotOwner", "SEC_E_NOT_OWNER") {}
/** SEC_E_CANNOT_INSTALL. @since 0.1.0 */
export class CannotInstall extends StatusError("CannotInstall", "SEC_E_CANNOT_INSTALL") {}
/** SEC_E_INVALID_TOKEN. @since 0.1.0 */
export class InvalidToken extends StatusError("InvalidToken", "SEC_E_INVALID_TOKEN") {}
/** SEC_E_CANNOT_PACK. @since 0.1.0 */
export class CannotPack extends StatusError("CannotPack", "SEC_E_CANNOT_PACK") {}
/** SEC_E_QOP_NOT_SUPPORTED. @since 0.1.0 */
export class QopNotSupported extends StatusError("QopNotSupported", "SEC_E_QOP_NOT_SUPPORTED") {}
/** SEC_E_NO_IMPERSONATION. @since 0.1.0 */
export class NoImpersonation extends StatusError("NoImpersonation", "SEC_E_NO_IMPERSONATION") {}
/** SEC_E_LOGON_DENIED. @since 0.1.0 */
export class LogonDenied extends StatusError("LogonDenied", "SEC_E_LOGON_DENIED") {}
/** SEC_E_UNKNOWN_CREDENTIALS. @since 0.1.0 */
export class UnknownCredentials extends StatusError("UnknownCredentials", "SEC_E_UNKNOWN_CREDENTIALS") {}
/** SEC_E_NO_CREDENTIALS. @since 0.1.0 */
export class NoCredentials extends StatusError("NoCredentials", "SEC_E_NO_CREDENTIALS") {}
/** SEC_E_MESSAGE_ALTERED. @since 0.1.0 */
export class MessageAltered extends StatusError("MessageAltered", "SEC_E_MESSAGE_ALTERED") {}
/** SEC_E_OUT_OF_SEQUENCE. @since 0.1.0 */
export class OutOfSequence extends StatusError("OutOfSequence", "SEC_E_OUT_OF_SEQUENCE") {}
/** SEC_E_NO_AUTHENTICATING_AUTHORITY. @since 0.1.0 */
export class NoAuthenticatingAuthority extends StatusError("NoAuthenticatingAuthority", "SEC_E_NO_AUTHENTICATING_AUTHORITY") {}
/** SEC_E_BAD_PKGID. @since 0.1.0 */
export class BadPkgid extends StatusError("BadPkgid", "SEC_E_BAD_PKGID") {}
/** SEC_E_CONTEXT_EXPIRED. @since 0.1.0 */
export class ContextExpired extends StatusError("ContextExpired", "SEC_E_CONTEXT_EXPIRED") {}
/** SEC_E_INCOMPLETE_MESSAGE. @since 0.1.0 */
export class IncompleteMessage extends StatusError("IncompleteMessage", "SEC_E_INCOMPLETE_MESSAGE") {}
/** SEC_E_INCOMPLETE_CREDENTIALS. @since 0.1.0 */
export class IncompleteCredentials extends StatusError("IncompleteCredentials", "SEC_E_INCOMPLETE_CREDENTIALS") {}
/** SEC_E_BUFFER_TOO_SMALL. @since 0.1.0 */
export class BufferTooSmall extends StatusError("BufferTooSmall", "SEC_E_BUFFER_TOO_SMALL") {}
/** SEC_E_WRONG_PRINCIPAL. @since 0.1.0 */
export class WrongPrincipal extends StatusError("WrongPrincipal", "SEC_E_WRONG_PRINCIPAL") {}
/** SEC_E_TIME_SKEW. @since 0.1.0 */
export class TimeSkew extends StatusError("TimeSkew", "SEC_E_TIME_SKEW") {}
/** SEC_E_ILLEGAL_MESSAGE. @since 0.1.0 */
export class IllegalMessage extends StatusError("IllegalMessage", "SEC_E_ILLEGAL_MESSAGE") {}
/** SEC_E_ENCRYPT_FAILURE. @since 0.1.0 */
export class EncryptFailure extends StatusError("EncryptFailure", "SEC_E_ENCRYPT_FAILURE") {}
/** SEC_E_DECRYPT_FAILURE. @since 0.1.0 */
export class DecryptFailure extends StatusError("DecryptFailure", "SEC_E_DECRYPT_FAILURE") {}
/** SEC_E_ALGORITHM_MISMATCH. @since 0.1.0 */
export class AlgorithmMismatch extends StatusError("AlgorithmMismatch", "SEC_E_ALGORITHM_MISMATCH") {}
/** SEC_E_SECURITY_QOS_FAILED. @since 0.1.0 */
export class SecurityQosFailed extends StatusError("SecurityQosFailed", "SEC_E_SECURITY_QOS_FAILED") {}
/** SEC_E_UNFINISHED_CONTEXT_DELETED. @since 0.1.0 */
export class UnfinishedContextDeleted extends StatusError("UnfinishedContextDeleted", "SEC_E_UNFINISHED_CONTEXT_DELETED") {}
/** SEC_E_NO_TGT_REPLY. @since 0.1.0 */
export class NoTgtReply extends StatusError("NoTgtReply", "SEC_E_NO_TGT_REPLY") {}
/** SEC_E_WRONG_CREDENTIAL_HANDLE. @since 0.1.0 */
export class WrongCredentialHandle extends StatusError("WrongCredentialHandle", "SEC_E_WRONG_CREDENTIAL_HANDLE") {}
/** SEC_E_CRYPTO_SYSTEM_INVALID. @since 0.1.0 */
export class CryptoSystemInvalid extends StatusError("CryptoSystemInvalid", "SEC_E_CRYPTO_SYSTEM_INVALID") {}
/** SEC_E_STRONG_CRYPTO_NOT_SUPPORTED. @since 0.1.0 */
export class StrongCryptoNotSupported extends StatusError("StrongCryptoNotSupported", "SEC_E_STRONG_CRYPTO_NOT_SUPPORTED") {}
/** SEC_E_NO_PA_DATA. @since 0.1.0 */
export class NoPaData extends StatusError("NoPaData", "SEC_E_NO_PA_DATA") {}
/** SEC_E_SHUTDOWN_IN_PROGRESS. @since 0.1.0 */
export class ShutdownInProgress extends StatusError("ShutdownInProgress", "SEC_E_SHUTDOWN_IN_PROGRESS") {}
/** SEC_E_KDC_INVALID_REQUEST. @since 0.1.0 */
export class KdcInvalidRequest extends StatusError("KdcInvalidRequest", "SEC_E_KDC_INVALID_REQUEST") {}
/** SEC_E_KDC_UNABLE_TO_REFER. @since 0.1.0 */
export class KdcUnableToRefer extends StatusError("KdcUnableToRefer", "SEC_E_KDC_UNABLE_TO_REFER") {}
/** SEC_E_KDC_UNKNOWN_ETYPE. @since 0.1.0 */
export class KdcUnknownEtype extends StatusError("KdcUnknownEtype", "SEC_E_KDC_UNKNOWN_ETYPE") {}
/** SEC_E_UNSUPPORTED_PREAUTH. @since 0.1.0 */
export class UnsupportedPreauth extends StatusError("UnsupportedPreauth", "SEC_E_UNSUPPORTED_PREAUTH") {}
/** SEC_E_BAD_BINDINGS. @since 0.1.0 */
export class BadBindings extends StatusError("BadBindings", "SEC_E_BAD_BINDINGS") {}
/** SEC_E_DOWNGRADE_DETECTED. @since 0.1.0 */
export class DowngradeDetected extends StatusError("DowngradeDetected", "SEC_E_DOWNGRADE_DETECTED") {}
/** SEC_E_INVALID_PARAMETER. @since 0.1.0 */
export class InvalidParameter extends StatusError("InvalidParameter", "SEC_E_INVALID_PARAMETER") {}
/** SEC_E_DELEGATION_POLICY. @since 0.1.0 */
export class DelegationPolicy extends StatusError("DelegationPolicy", "SEC_E_DELEGATION_POLICY") {}
/** SEC_E_POLICY_NLTM_ONLY. @since 0.1.0 */
export class PolicyNltmOnly extends StatusError("PolicyNltmOnly", "SEC_E_POLICY_NLTM_ONLY") {}
/** SEC_E_NO_CONTEXT. @since 0.1.0 */
export class NoContext extends StatusError("NoContext", "SEC_E_NO_CONTEXT") {}
/** SEC_E_MUTUAL_AUTH_FAILED. @since 0.1.0 */
export class MutualAuthFailed extends StatusError("MutualAuthFailed", "SEC_E_MUTUAL_AUTH_FAILED") {}

/**
 * Any SSPI error.
 *
 * @since 0.1.0
 */
export type SspiError =
  InsufficientMemory |
  InvalidHandle |
  UnsupportedFunction |
  TargetUnknown |
  InternalError |
  SecpkgNotFound |
  NotOwner |
  CannotInstall |
  InvalidToken |
  CannotPack |
  QopNotSupported |
  NoImpersonation |
  LogonDenied |
  UnknownCredentials |
  NoCredentials |
  MessageAltered |
  OutOfSequence |
  NoAuthenticatingAuthority |
  BadPkgid |
  ContextExpired |
  IncompleteMessage |
  IncompleteCredentials |
  BufferTooSmall |
  WrongPrincipal |
  TimeSkew |
  IllegalMessage |
  EncryptFailure |
  DecryptFailure |
  AlgorithmMismatch |
  SecurityQosFailed |
  UnfinishedContextDeleted |
  NoTgtReply |
  WrongCredentialHandle |
  CryptoSystemInvalid |
  StrongCryptoNotSupported |
  NoPaData |
  ShutdownInProgress |
  KdcInvalidRequest |
  KdcUnableToRefer |
  KdcUnknownEtype |
  UnsupportedPreauth |
  BadBindings |
  DowngradeDetected |
  InvalidParameter |
  DelegationPolicy |
  PolicyNltmOnly |
  NoContext |
  MutualAuthFailed

const byName: { readonly [K in StatusName]?: new(args: { readonly detail?: string }) => SspiError } = {
  SEC_E_INSUFFICIENT_MEMORY: InsufficientMemory, SEC_E_INVALID_HANDLE: InvalidHandle, SEC_E_UNSUPPORTED_FUNCTION: UnsupportedFunction, SEC_E_TARGET_UNKNOWN: TargetUnknown, SEC_E_INTERNAL_ERROR: InternalError, SEC_E_SECPKG_NOT_FOUND: SecpkgNotFound, SEC_E_NOT_OWNER: NotOwner, SEC_E_CANNOT_INSTALL: CannotInstall, SEC_E_INVALID_TOKEN: InvalidToken, SEC_E_CANNOT_PACK: CannotPack, SEC_E_QOP_NOT_SUPPORTED: QopNotSupported, SEC_E_NO_IMPERSONATION: NoImpersonation, SEC_E_LOGON_DENIED: LogonDenied, SEC_E_UNKNOWN_CREDENTIALS: UnknownCredentials, SEC_E_NO_CREDENTIALS: NoCredentials, SEC_E_MESSAGE_ALTERED: MessageAltered, SEC_E_OUT_OF_SEQUENCE: OutOfSequence, SEC_E_NO_AUTHENTICATING_AUTHORITY: NoAuthenticatingAuthority, SEC_E_BAD_PKGID: BadPkgid, SEC_E_CONTEXT_EXPIRED: ContextExpired, SEC_E_INCOMPLETE_MESSAGE: IncompleteMessage, SEC_E_INCOMPLETE_CREDENTIALS: IncompleteCredentials, SEC_E_BUFFER_TOO_SMALL: BufferTooSmall, SEC_E_WRONG_PRINCIPAL: WrongPrincipal, SEC_E_TIME_SKEW: TimeSkew, SEC_E_ILLEGAL_MESSAGE: IllegalMessage, SEC_E_ENCRYPT_FAILURE: EncryptFailure, SEC_E_DECRYPT_FAILURE: DecryptFailure, SEC_E_ALGORITHM_MISMATCH: AlgorithmMismatch, SEC_E_SECURITY_QOS_FAILED: SecurityQosFailed, SEC_E_UNFINISHED_CONTEXT_DELETED: UnfinishedContextDeleted, SEC_E_NO_TGT_REPLY: NoTgtReply, SEC_E_WRONG_CREDENTIAL_HANDLE: WrongCredentialHandle, SEC_E_CRYPTO_SYSTEM_INVALID: CryptoSystemInvalid, SEC_E_STRONG_CRYPTO_NOT_SUPPORTED: StrongCryptoNotSupported, SEC_E_NO_PA_DATA: NoPaData, SEC_E_SHUTDOWN_IN_PROGRESS: ShutdownInProgress, SEC_E_KDC_INVALID_REQUEST: KdcInvalidRequest, SEC_E_KDC_UNABLE_TO_REFER: KdcUnableToRefer, SEC_E_KDC_UNKNOWN_ETYPE: KdcUnknownEtype, SEC_E_UNSUPPORTED_PREAUTH: UnsupportedPreauth, SEC_E_BAD_BINDINGS: BadBindings, SEC_E_DOWNGRADE_DETECTED: DowngradeDetected, SEC_E_INVALID_PARAMETER: InvalidParameter, SEC_E_DELEGATION_POLICY: DelegationPolicy, SEC_E_POLICY_NLTM_ONLY: PolicyNltmOnly, SEC_E_NO_CONTEXT: NoContext, SEC_E_MUTUAL_AUTH_FAILED: MutualAuthFailed
}

/**
 * The typed error of an error status, or `undefined` for a success status.
 *
 * @since 0.1.0
 */
export const fromStatus = (status: StatusName, detail?: string): SspiError | undefined => {
  const ctor = byName[status]
  return ctor === undefined ? undefined : new ctor(detail === undefined ? {} : { detail })
}
