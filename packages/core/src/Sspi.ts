/**
 * The Windows-shaped API: one function per function of the asynchronous SSPI
 * family, with the same parameters and the same statuses.
 *
 * Every async function answers the status of *queueing* the call: the
 * Effect succeeds when the call was queued (SEC_E_OK) and fails with a typed
 * error when queueing failed (the async context is not live, already holds a
 * call, or the runtime is shutting down); then nothing was started. The
 * call's own status is read with {@link getAsyncCallStatus} (polling), a
 * callback ({@link setAsyncNotifyCallback}) or {@link awaitAsyncCall}; its
 * out parameters are the fields of the {@link AsyncCallResult}.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { AsyncCallResult } from "./AsyncCallResult.ts"
import type { AsyncNotifyCallback } from "./internal/asyncCalls.ts"
import type { AsyncContextHandle, CredHandle, CtxtHandle } from "./internal/handleTable.ts"
import type { AcquireCredentialsParams, HandshakeParams } from "./internal/runtime.ts"
import type { SecBuffer } from "./SecBuffer.ts"
import type { InvalidHandle, InvalidParameter, SspiError } from "./SecurityError.ts"
import type { ContextAttribute, ContextAttributes, Unprotected } from "./SecurityPackage.ts"
import { SspiRuntime } from "./SspiRuntime.ts"

export type {
  /** @since 0.1.0 */
  AcquireCredentialsParams,
  /** @since 0.1.0 */
  AsyncContextHandle as SspiAsyncContext,
  /** @since 0.1.0 */
  AsyncNotifyCallback,
  /** @since 0.1.0 */
  CredHandle,
  /** @since 0.1.0 */
  CtxtHandle,
  /** @since 0.1.0 */
  HandshakeParams
}

type Sspi<A, E> = Effect.Effect<A, E, SspiRuntime>

/**
 * SspiCreateAsyncContext: a new async call context, with no call and no
 * callback.
 *
 * @since 0.1.0
 */
export const createAsyncContext: Sspi<AsyncContextHandle, never> = SspiRuntime.use((rt) => rt.calls.create)

/**
 * SspiFreeAsyncContext. A call still pending runs to completion and releases
 * what it created; nobody is notified. SEC_E_INVALID_HANDLE for a context
 * that is not live (freed twice included).
 *
 * @since 0.1.0
 */
export const freeAsyncContext = (asyncContext: AsyncContextHandle): Sspi<void, InvalidHandle> =>
  SspiRuntime.use((rt) => rt.calls.free(asyncContext))

/**
 * SspiReinitAsyncContext: makes a completed context ready for a new call
 * (its callback stays). SEC_E_INVALID_PARAMETER while its call is pending.
 *
 * @since 0.1.0
 */
export const reinitAsyncContext = (asyncContext: AsyncContextHandle): Sspi<void, InvalidHandle | InvalidParameter> =>
  SspiRuntime.use((rt) => rt.calls.reinit(asyncContext))

/**
 * SspiSetAsyncNotifyCallback: `callback(asyncContext, data)` runs once when
 * the call completes, on the call's fiber (never on the caller's stack). A
 * `null` callback removes it. Set after completion, it runs once at once,
 * on a fiber of its own.
 *
 * @since 0.1.0
 */
export const setAsyncNotifyCallback = (
  asyncContext: AsyncContextHandle,
  callback: AsyncNotifyCallback | null,
  data?: unknown
): Sspi<void, InvalidHandle> => SspiRuntime.use((rt) => rt.setCallback(asyncContext, callback, data))

/**
 * SspiAsyncContextRequiresNotify: whether a callback is set.
 *
 * @since 0.1.0
 */
export const asyncContextRequiresNotify = (asyncContext: AsyncContextHandle): Sspi<boolean, InvalidHandle> =>
  SspiRuntime.use((rt) => rt.calls.requiresNotify(asyncContext))

/**
 * SspiGetAsyncCallStatus: SEC_I_ASYNC_CALL_PENDING while the call runs, then
 * its final status (an error status is a value here, not a failure). SEC_E_OK
 * when no call was made since creation or reinit. Fails only when the async
 * context itself is not live.
 *
 * @since 0.1.0
 */
export const getAsyncCallStatus = (asyncContext: AsyncContextHandle): Sspi<number, InvalidHandle> =>
  SspiRuntime.use((rt) => rt.calls.status(asyncContext))

/**
 * Waits for the call on an async context: its out values, or its status as
 * a typed error.
 *
 * @since 0.1.0
 */
export const awaitAsyncCall = (asyncContext: AsyncContextHandle): Sspi<AsyncCallResult, SspiError> =>
  SspiRuntime.use((rt) => rt.await(asyncContext))

/**
 * SspiAcquireCredentialsHandleAsync. Completes with the credential handle
 * and its expiry; SEC_E_SECPKG_NOT_FOUND for an unknown package.
 *
 * @since 0.1.0
 */
export const acquireCredentialsHandleAsync = (
  asyncContext: AsyncContextHandle,
  params: AcquireCredentialsParams
): Sspi<void, SspiError> => SspiRuntime.use((rt) => rt.acquireCredentials(asyncContext, params))

/**
 * SspiFreeCredentialsHandleAsync. The handle is invalid from the moment the
 * request is queued; contexts made with it keep working until deleted.
 *
 * @since 0.1.0
 */
export const freeCredentialsHandleAsync = (
  asyncContext: AsyncContextHandle,
  credential: CredHandle
): Sspi<void, SspiError> => SspiRuntime.use((rt) => rt.freeCredentials(asyncContext, credential))

/**
 * SspiInitializeSecurityContextAsync: the client leg. The first call (no
 * `context`) creates the context; SEC_I_CONTINUE_NEEDED until SEC_E_OK.
 *
 * @since 0.1.0
 */
export const initializeSecurityContextAsync = (
  asyncContext: AsyncContextHandle,
  params: HandshakeParams
): Sspi<void, SspiError> => SspiRuntime.use((rt) => rt.initialize(asyncContext, params))

/**
 * SspiAcceptSecurityContextAsync: the server leg.
 *
 * @since 0.1.0
 */
export const acceptSecurityContextAsync = (
  asyncContext: AsyncContextHandle,
  params: HandshakeParams
): Sspi<void, SspiError> => SspiRuntime.use((rt) => rt.accept(asyncContext, params))

/**
 * SspiDeleteSecurityContextAsync. Succeeds when the request is queued. The
 * handle is invalid from then on; a finalizer fiber interrupts any call
 * still running on the context (it reports SEC_E_UNFINISHED_CONTEXT_DELETED),
 * releases the package's state (keys zeroed), and its `Exit` becomes the
 * status that getAsyncCallStatus and the callback report: SEC_E_OK, or
 * SEC_E_INVALID_HANDLE when the handle was not live (deleting twice
 * included). Applies to partial, incomplete, rejected and failed contexts.
 *
 * @since 0.1.0
 */
export const deleteSecurityContextAsync = (
  asyncContext: AsyncContextHandle,
  context: CtxtHandle
): Sspi<void, SspiError> => SspiRuntime.use((rt) => rt.deleteContext(asyncContext, context))

/**
 * QueryContextAttributes.
 *
 * @since 0.1.0
 */
export const queryContextAttributes = <K extends ContextAttribute>(
  context: CtxtHandle,
  attribute: K
): Sspi<ContextAttributes[K], SspiError> => SspiRuntime.use((rt) => rt.queryAttribute(context, attribute))

/**
 * MakeSignature: returns the message buffers with the SECBUFFER_TOKEN filled
 * with the signature.
 *
 * @since 0.1.0
 */
export const makeSignature = (
  context: CtxtHandle,
  qop: number,
  message: ReadonlyArray<SecBuffer>,
  sequence?: number
): Sspi<ReadonlyArray<SecBuffer>, SspiError> => SspiRuntime.use((rt) => rt.makeSignature(context, qop, message, sequence))

/**
 * VerifySignature: the quality of protection, or SEC_E_MESSAGE_ALTERED /
 * SEC_E_OUT_OF_SEQUENCE.
 *
 * @since 0.1.0
 */
export const verifySignature = (
  context: CtxtHandle,
  message: ReadonlyArray<SecBuffer>,
  sequence?: number
): Sspi<number, SspiError> => SspiRuntime.use((rt) => rt.verifySignature(context, message, sequence))

/**
 * EncryptMessage: returns the message buffers with SECBUFFER_DATA encrypted
 * and SECBUFFER_TOKEN holding the trailer. As on Windows, a package may
 * encrypt the DATA buffers in place (NTLM does); use the returned buffers.
 *
 * @since 0.1.0
 */
export const encryptMessage = (
  context: CtxtHandle,
  qop: number,
  message: ReadonlyArray<SecBuffer>,
  sequence?: number
): Sspi<ReadonlyArray<SecBuffer>, SspiError> =>
  SspiRuntime.use((rt) => rt.encryptMessage(context, qop, message, sequence))

/**
 * DecryptMessage. As on Windows, a package may decrypt in place.
 *
 * @since 0.1.0
 */
export const decryptMessage = (
  context: CtxtHandle,
  message: ReadonlyArray<SecBuffer>,
  sequence?: number
): Sspi<Unprotected, SspiError> => SspiRuntime.use((rt) => rt.decryptMessage(context, message, sequence))
