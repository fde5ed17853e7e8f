/**
 * What a completed async call leaves behind: the Windows out parameters,
 * readable once the call has completed with a non-error status.
 *
 * @since 0.1.0
 */
import type { CredHandle, CtxtHandle } from "./internal/handleTable.ts"
import type { SecBuffer } from "./SecBuffer.ts"
import type { HandshakeStatus } from "./SecurityPackage.ts"

/**
 * SspiAcquireCredentialsHandleAsync: phCredential and ptsExpiry.
 *
 * @since 0.1.0
 */
export interface CredentialsAcquired {
  readonly _tag: "CredentialsAcquired"
  readonly status: 0
  readonly credential: CredHandle
  /** Milliseconds since the epoch; `Infinity` for none. */
  readonly expiry: number
}

/**
 * SspiInitializeSecurityContextAsync / SspiAcceptSecurityContextAsync:
 * phNewContext, pOutput, pfContextAttr and ptsExpiry, with the status.
 *
 * @since 0.1.0
 */
export interface ContextStep {
  readonly _tag: "ContextStep"
  readonly status: number
  readonly statusName: HandshakeStatus
  readonly context: CtxtHandle
  readonly output: ReadonlyArray<SecBuffer>
  readonly attributes: number
  readonly expiry: number
}

/**
 * SspiFreeCredentialsHandleAsync and SspiDeleteSecurityContextAsync complete
 * with no out value.
 *
 * @since 0.1.0
 */
export interface Released {
  readonly _tag: "Released"
  readonly status: 0
}

/**
 * Any async call's result.
 *
 * @since 0.1.0
 */
export type AsyncCallResult = CredentialsAcquired | ContextStep | Released
