/**
 * One async call, seen from inside Effect: create an async context, queue
 * the call, await it, free the context. Interrupting the waiter frees the
 * async context while the call is pending: the call runs on and releases
 * what it created, so nothing leaks.
 */
import { Effect } from "effect"
import type { AsyncCallResult } from "../AsyncCallResult.ts"
import type { SspiError } from "../SecurityError.ts"
import type { SspiAsyncContext } from "../Sspi.ts"
import { SspiRuntime } from "../SspiRuntime.ts"

export const callAndAwait = <Tag extends AsyncCallResult["_tag"]>(
  tag: Tag,
  queue: (asyncContext: SspiAsyncContext) => Effect.Effect<void, SspiError, SspiRuntime>,
  /** Records the result in the same step that takes it from the async context (see AsyncCalls.await). */
  claim?: (result: Extract<AsyncCallResult, { readonly _tag: Tag }>) => void
): Effect.Effect<Extract<AsyncCallResult, { readonly _tag: Tag }>, SspiError, SspiRuntime> =>
  // the runtime is looked up once per call, not once per step (create, await, free)
  SspiRuntime.use((runtime) =>
    Effect.acquireUseRelease(
      runtime.calls.create,
      (asyncContext) =>
        Effect.andThen(
          queue(asyncContext),
          runtime.await(asyncContext, claim as ((result: AsyncCallResult) => void) | undefined)
        ) as Effect.Effect<
          Extract<AsyncCallResult, { readonly _tag: Tag }>,
          SspiError,
          SspiRuntime
        >,
      (asyncContext) => Effect.ignore(runtime.calls.free(asyncContext))
    )
  ).pipe(
    // no stack trace captured for the span: an Error per call (~1.2% of a Kerberos request on the server);
    // the span's name says which SSPI call it is
    Effect.withSpan(`sspi.${tag}`, undefined, { captureStackTrace: false })
  )
