/** The `sspi` entry point. */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect, Logger, References } from "effect"
import { run } from "./Cli.ts"

// stdout is the command's output (a body with `get -o -`, JSON with `decode
// --json`): log lines go to stderr. The one-shot commands are quiet as curl
// (a failure is one `sspi: …` line; `-v` explains the mechanism chosen and
// why); `serve` and `demo` keep warnings (shed handshakes, a Negotiate
// fall-back, Redis away). `--log-level` overrides both.
const longRunning = process.argv[2] === "serve" || process.argv[2] === "demo"

run.pipe(
  Effect.provideService(References.MinimumLogLevel, longRunning ? "Warn" : "Error"),
  Effect.provideService(Logger.LogToStderr, true),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
