/**
 * One async call, seen from inside Effect: create an async context, queue
 * the call, await it, free the context. Interrupting the waiter frees the
 * async context while the call is pending: the call runs on and releases
 * what it created, so nothing leaks.
 */
import { Effect } from "effect"
import type { AsyncCallResult } from "../AsyncCallResult.ts"
import type { SspiError } from "../SecurityError.ts"
import { awaitAsyncCall, createAsyncContext, freeAsyncContext, type SspiAsyncContext } from "../Sspi.ts"
import type { SspiRuntime } from "../SspiRuntime.ts"

export const callAndAwait = <Tag extends AsyncCallResult["_tag"]>(
  tag: Tag,
  queue: (asyncContext: SspiAsyncContext) => Effect.Effect<void, SspiError, SspiRuntime>
): Effect.Effect<Extract<AsyncCallResult, { readonly _tag: Tag }>, SspiError, SspiRuntime> =>
  Effect.acquireUseRelease(
    createAsyncContext,
    (asyncContext) =>
      Effect.andThen(queue(asyncContext), awaitAsyncCall(asyncContext)) as Effect.Effect<
        Extract<AsyncCallResult, { readonly _tag: Tag }>,
        SspiError,
        SspiRuntime
      >,
    (asyncContext) => Effect.ignore(freeAsyncContext(asyncContext))
  ).pipe(Effect.withSpan(`sspi.${tag}`))
