/**
 * The `sspi` command line: demo, get, serve, decode.
 *
 * @since 0.1.0
 */
import { Command } from "effect/cli"
import { decode } from "./commands/decode.ts"
import { demo } from "./commands/demo.ts"
import { get } from "./commands/get.ts"
import { serve } from "./commands/serve.ts"

/**
 * The root command.
 *
 * @since 0.1.0
 */
export const sspi = Command.make("sspi").pipe(
  Command.withDescription("Negotiate / NTLM over HTTP with effect-sspi"),
  Command.withSubcommands([demo, get, serve, decode])
)

/**
 * Runs the command line with the process arguments (needs the Node services).
 *
 * @since 0.1.0
 */
export const run = Command.run(sspi, { version: "0.1.0" })
