/** `npm run load -w @effect-sspi/http [-- HANDSHAKES CONCURRENCY]`: the full load run (default 10,000 × 200). */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer } from "effect"
import { runLoad } from "./support/load.ts"
import { clientLayer, runtimeLayer } from "./support/server.ts"

const handshakes = Number(process.argv[2] ?? 10_000)
const concurrency = Number(process.argv[3] ?? 200)

runLoad(handshakes, concurrency).pipe(
  Effect.flatMap((r) =>
    Console.log(
      `${r.handshakes} handshakes, ${r.concurrency} concurrent: ${r.failures} failures, ${r.elapsedMs} ms ` +
        `(${Math.round(r.handshakes / (r.elapsedMs / 1000))}/s), live contexts afterwards ${r.liveContexts}, ` +
        `pending ${r.pendingHandshakes}${r.firstFailure !== undefined ? `; first failure: ${r.firstFailure}` : ""}`
    ).pipe(Effect.andThen(r.failures === 0 && r.liveContexts === 0 ? Effect.void : Effect.fail("load run failed")))
  ),
  Effect.provide(Layer.mergeAll(runtimeLayer, clientLayer)),
  NodeRuntime.runMain
)
