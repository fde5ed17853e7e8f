/**
 * The load run: N handshakes from C concurrent clients against one loopback
 * server, all through the client middleware; counts failures and live
 * contexts afterwards, and times the run with Clock.
 */
import { Clock, Duration, Effect, Exit, Schedule } from "effect"
import { SspiRuntime } from "@effect-sspi/core"
import { SspiServer } from "@effect-sspi/http"
import { client, ConnectionLog, serve } from "./server.ts"

export interface LoadResult {
  readonly handshakes: number
  readonly concurrency: number
  readonly failures: number
  readonly firstFailure: string | undefined
  readonly elapsedMs: number
  readonly liveContexts: number
  readonly pendingHandshakes: number
}

export const runLoad = (handshakes: number, concurrency: number) =>
  Effect.scoped(Effect.gen(function*() {
    const { context, origin } = yield* serve(new ConnectionLog())
    const http = yield* client()
    let failures = 0
    let firstFailure: string | undefined
    const start = yield* Clock.currentTimeMillis
    yield* Effect.forEach(
      Array.from({ length: handshakes }, (_, i) => i),
      (i) =>
        Effect.exit(Effect.flatMap(http.get(`${origin}/load/${i}`), (r) => r.text)).pipe(
          Effect.map((exit) => {
            if (Exit.isSuccess(exit) && exit.value === "hello EXAMPLE\\alice via NTLM") return
            failures++
            firstFailure ??= Exit.isSuccess(exit) ? `unexpected body ${JSON.stringify(exit.value)}` : String(exit.cause)
          })
        ),
      { concurrency, discard: true }
    )
    const elapsedMs = (yield* Clock.currentTimeMillis) - start
    // Server contexts are deleted as requests end; wait (bounded) for the last ones.
    const stats = yield* Effect.flatMap(SspiRuntime.stats, (s) => s.contexts === 0 ? Effect.succeed(s) : Effect.fail(s)).pipe(
      Effect.retry({ schedule: Schedule.spaced(Duration.millis(20)), times: 250 }),
      Effect.catch((s) => Effect.succeed(s))
    )
    const server = yield* SspiServer.stats.pipe(Effect.provideContext(context))
    return {
      handshakes,
      concurrency,
      failures,
      firstFailure,
      elapsedMs,
      liveContexts: stats.contexts,
      pendingHandshakes: server.pendingHandshakes
    } satisfies LoadResult
  }))
