/**
 * The `sspi` command line: demo, get, serve, decode, kinit, klist, kdestroy, doctor.
 *
 * @since 0.1.0
 */
import { Console, Effect } from "effect"
import { CliConfig, CliError, Command, Flag, GlobalFlag } from "effect/cli"
import { decode } from "./commands/decode.ts"
import { demo } from "./commands/demo.ts"
import { doctor } from "./commands/doctor.ts"
import { get } from "./commands/get.ts"
import { kdestroy } from "./commands/kdestroy.ts"
import { kinit } from "./commands/kinit.ts"
import { klist } from "./commands/klist.ts"
import { CliFailure } from "./internal/failure.ts"
import { serve } from "./commands/serve.ts"

/**
 * The root command.
 *
 * @since 0.1.0
 */
export const sspi = Command.make("sspi").pipe(
  Command.withDescription("Negotiate / NTLM / Kerberos with effect-sspi: curl-like requests, kinit/klist/kdestroy, a token decoder, a demo server"),
  Command.withSubcommands([demo, get, serve, decode, kinit, klist, kdestroy, doctor])
)

/** `--version` without the `-v` alias: `-v` is the subcommands' `--verbose`, as curl's. */
const version = GlobalFlag.Action({
  flag: Flag.Boolean("version").pipe(Flag.withDescription("Show version information"), Flag.withDefault(false)),
  run: GlobalFlag.Version.run
})

/**
 * Runs the command line with the process arguments (needs the Node services).
 *
 * @since 0.1.0
 */
export const run = Command.run(sspi, { version: "0.1.0", renderErrors: false }).pipe(
  // one line on stderr per error, as curl; a usage error (unknown flag, bad value) exits 2, --help alone 0
  Effect.catchIf(
    (e): e is CliError.ShowHelp => CliError.isCliError(e) && e._tag === "ShowHelp",
    (e) =>
      e.errors.length > 0
        ? Effect.andThen(
          Effect.forEach(e.errors, (error) => Console.error(`sspi: ${error.message}`)),
          Effect.fail(new CliFailure({ message: "usage", exitCode: 2 }))
        )
        : Effect.void
  ),
  Effect.tapError((e) => e instanceof CliFailure && e.message !== "usage" ? Console.error(`sspi: ${e.message}`) : Effect.void),
  Effect.provide(CliConfig.layer({ builtIns: [GlobalFlag.Help, version, GlobalFlag.Wizard, GlobalFlag.Completions, GlobalFlag.LogLevel] }))
)
