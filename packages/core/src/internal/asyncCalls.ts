/**
 * Async call contexts: one call slot each, backed by a `Deferred`.
 *
 * Decisions where the Windows pages are silent (documented in the README):
 * - a call on an async context whose call is pending, or completed and not
 *   reinitialised, is refused when queued with SEC_E_INVALID_PARAMETER;
 * - reinit of a pending call is refused with SEC_E_INVALID_PARAMETER;
 * - a callback set after completion runs once, on its own fiber;
 * - callbacks never run on the caller's stack: always on the call's fiber;
 * - free while pending: the call runs on and releases what it created; no
 *   callback runs;
 * - the out values belong to whoever reads them (await): freeing or
 *   reinitialising an async context whose successful result was never read
 *   releases what the call created (a credential or a new context), since
 *   nobody can reach it any more.
 */
import { Cause, Deferred, Effect, Exit, FiberSet } from "effect"
import type { AsyncCallResult } from "../AsyncCallResult.ts"
import {
  InternalError,
  InvalidHandle,
  InvalidParameter,
  ShutdownInProgress,
  type SspiError,
  UnfinishedContextDeleted
} from "../SecurityError.ts"
import { codes } from "../SecurityStatus.ts"
import { AsyncContextHandle, HandleTable } from "./handleTable.ts"

/**
 * A completion callback: `callback(asyncContext, data)`. It may return an
 * Effect, which is run; its failures and defects are dropped.
 */
export type AsyncNotifyCallback = (asyncContext: AsyncContextHandle, data: unknown) => Effect.Effect<unknown, unknown> | void

interface CallSlot {
  status: number
  readonly deferred: Deferred.Deferred<AsyncCallResult, SspiError>
  notified: boolean
  /**
   * Set when the call succeeded and nobody has read its result yet: releases
   * what the call created. Reading the result clears it; freeing the async
   * context first runs it.
   */
  release: Effect.Effect<void> | undefined
}

interface AsyncContextEntry {
  readonly handle: AsyncContextHandle
  callback: { readonly fn: AsyncNotifyCallback; readonly data: unknown } | undefined
  call: CallSlot | undefined
  freed: boolean
}

const invalidAsyncContext = () => new InvalidHandle({ detail: "not a live async context" })

/** The async contexts of one runtime and the fibers of their calls. */
export class AsyncCalls {
  readonly #table = new HandleTable<AsyncContextHandle, AsyncContextEntry>(AsyncContextHandle)
  readonly #fibers: FiberSet.FiberSet<void, never>
  shuttingDown = false

  constructor(fibers: FiberSet.FiberSet<void, never>) {
    this.#fibers = fibers
  }

  get liveContexts(): number {
    return this.#table.size
  }

  liveCalls(): Effect.Effect<number> {
    return FiberSet.size(this.#fibers)
  }

  /** Waits until no call or callback fiber is running. */
  idle(): Effect.Effect<void> {
    return FiberSet.awaitEmpty(this.#fibers)
  }

  create = Effect.sync((): AsyncContextHandle => {
    const entry: AsyncContextEntry = {
      handle: undefined as unknown as AsyncContextHandle,
      callback: undefined,
      call: undefined,
      freed: false
    }
    const handle = this.#table.add(entry)
    ;(entry as { handle: AsyncContextHandle }).handle = handle
    return handle
  })

  #entry(handle: AsyncContextHandle): Effect.Effect<AsyncContextEntry, InvalidHandle> {
    return Effect.suspend(() => {
      const entry = this.#table.get(handle)
      return entry === undefined ? Effect.fail(invalidAsyncContext()) : Effect.succeed(entry)
    })
  }

  free(handle: AsyncContextHandle): Effect.Effect<void, InvalidHandle> {
    return Effect.suspend(() => {
      const entry = this.#table.remove(handle)
      if (entry === undefined) return Effect.fail(invalidAsyncContext())
      entry.freed = true
      entry.callback = undefined
      const release = entry.call?.release
      if (release === undefined) return Effect.void
      entry.call!.release = undefined
      return release
    })
  }

  reinit(handle: AsyncContextHandle): Effect.Effect<void, InvalidHandle | InvalidParameter> {
    return Effect.flatMap(this.#entry(handle), (entry) => {
      if (entry.call !== undefined && entry.call.status === codes.SEC_I_ASYNC_CALL_PENDING) {
        return Effect.fail(new InvalidParameter({ detail: "the async context's call is still pending" }))
      }
      const release = entry.call?.release ?? Effect.void
      entry.call = undefined
      return release
    })
  }

  setCallback(
    handle: AsyncContextHandle,
    fn: AsyncNotifyCallback | null,
    data: unknown
  ): Effect.Effect<void, InvalidHandle> {
    return Effect.flatMap(this.#entry(handle), (entry) => {
      entry.callback = fn === null ? undefined : { fn, data }
      const call = entry.call
      if (fn === null || call === undefined || call.status === codes.SEC_I_ASYNC_CALL_PENDING || call.notified) {
        return Effect.void
      }
      call.notified = true
      return Effect.asVoid(FiberSet.run(this.#fibers, runCallback(entry.handle, fn, data)))
    })
  }

  requiresNotify(handle: AsyncContextHandle): Effect.Effect<boolean, InvalidHandle> {
    return Effect.map(this.#entry(handle), (entry) => entry.callback !== undefined)
  }

  status(handle: AsyncContextHandle): Effect.Effect<number, InvalidHandle> {
    return Effect.map(this.#entry(handle), (entry) => entry.call?.status ?? codes.SEC_E_OK)
  }

  /**
   * Waits for the call's result. Taking it clears the orphan release, in the
   * same synchronous step as `claim` (which records it), so that an
   * interruption can never drop a result nobody then releases.
   */
  await(handle: AsyncContextHandle, claim?: (result: AsyncCallResult) => void): Effect.Effect<AsyncCallResult, SspiError> {
    return Effect.flatMap(this.#entry(handle), (entry) =>
      entry.call === undefined
        ? Effect.fail(new InvalidParameter({ detail: "no call was made on this async context" }))
        : Deferred.await(entry.call.deferred).pipe(Effect.tap((result) =>
          Effect.sync(() => {
            if (entry.call !== undefined) entry.call.release = undefined
            claim?.(result)
          })
        )))
  }

  /**
   * Queues a call: checks the async context (the queueing errors), runs
   * `prepare` at once (for work that must happen at queue time, such as
   * invalidating a handle being deleted), then forks the work. `orphan`
   * releases what a successful call created when nobody can receive it (the
   * async context was freed before completion).
   */
  queue<A extends AsyncCallResult>(
    handle: AsyncContextHandle,
    prepare: () => Effect.Effect<A, SspiError>,
    orphan: (result: A) => Effect.Effect<void>
  ): Effect.Effect<void, SspiError> {
    return Effect.flatMap(this.#entry(handle), (entry): Effect.Effect<void, SspiError> => {
      if (this.shuttingDown) return Effect.fail(new ShutdownInProgress({}))
      if (entry.call !== undefined) {
        return Effect.fail(new InvalidParameter({ detail: "the async context already holds a call; reinit it first" }))
      }
      const slot: CallSlot = {
        status: codes.SEC_I_ASYNC_CALL_PENDING,
        deferred: Deferred.makeUnsafe<AsyncCallResult, SspiError>(),
        notified: false,
        release: undefined
      }
      entry.call = slot
      const work = prepare().pipe(
        Effect.onExit((exit) => this.#complete(entry, slot, exit, orphan)),
        Effect.ignoreCause
      )
      return Effect.asVoid(FiberSet.run(this.#fibers, work))
    })
  }

  #complete<A extends AsyncCallResult>(
    entry: AsyncContextEntry,
    slot: CallSlot,
    exit: Exit.Exit<A, SspiError>,
    orphan: (result: A) => Effect.Effect<void>
  ): Effect.Effect<void> {
    const settle = Exit.isSuccess(exit)
      ? Effect.suspend(() => {
        slot.status = exit.value.status
        slot.release = orphan(exit.value)
        return Deferred.succeed(slot.deferred, exit.value)
      })
      : Effect.suspend(() => {
        const error = this.#failureOf(exit.cause)
        slot.status = error.code
        return Deferred.fail(slot.deferred, error)
      })
    return Effect.andThen(settle, () => {
      if (entry.freed) {
        const release = slot.release ?? Effect.void
        slot.release = undefined
        return release
      }
      const callback = entry.callback
      if (callback === undefined || slot.notified) return Effect.void
      slot.notified = true
      // the completion runs uninterruptibly; the caller's callback must not block shutdown or delete
      return Effect.interruptible(runCallback(entry.handle, callback.fn, callback.data))
    })
  }

  /** Typed failure → itself; interruption → shutdown or deleted; defect → SEC_E_INTERNAL_ERROR. */
  #failureOf(cause: Cause.Cause<SspiError>): SspiError {
    for (const reason of cause.reasons) if (Cause.isFailReason(reason)) return reason.error
    for (const reason of cause.reasons) {
      if (Cause.isDieReason(reason)) return new InternalError({ detail: "the security package failed unexpectedly" })
    }
    return this.shuttingDown ? new ShutdownInProgress({}) : new UnfinishedContextDeleted({})
  }

  /** Frees every async context (runtime shutdown). */
  clear(): void {
    for (const entry of this.#table.drain()) entry.freed = true
  }
}

const runCallback = (handle: AsyncContextHandle, fn: AsyncNotifyCallback, data: unknown): Effect.Effect<void> =>
  Effect.suspend(() => {
    const out = fn(handle, data)
    return Effect.isEffect(out) ? out : Effect.void
  }).pipe(Effect.ignoreCause)
