/**
 * The password of a command: `SSPI_PASSWORD`, else a prompt on a terminal,
 * else the first line of stdin (as `kinit` and `curl -u user` do when piped).
 */
import * as Fs from "node:fs"
import { Effect, Redacted } from "effect"
import { Prompt } from "effect/cli"
import { CliFailure } from "./failure.ts"

const firstLine = (text: string) => text.split(/\r?\n/)[0] ?? ""

/** Reads the password for `who` (never echoed, never printed). */
export const readPassword = (who: string) =>
  Effect.gen(function*() {
    const fromEnv = process.env["SSPI_PASSWORD"]
    if (fromEnv !== undefined) return Redacted.make(fromEnv)
    if (process.stdin.isTTY === true) {
      return yield* Prompt.run(Prompt.Password({ message: `Password for ${who}` })).pipe(
        Effect.mapError(() => new CliFailure({ message: "no password given" }))
      )
    }
    const piped = yield* Effect.try({
      try: () => firstLine(Fs.readFileSync(0, "utf8")),
      catch: () => new CliFailure({ message: "cannot read the password from stdin" })
    })
    if (piped === "") {
      return yield* new CliFailure({ message: `no password for ${who}: stdin is empty (pipe it, run in a terminal, or set SSPI_PASSWORD)` })
    }
    return Redacted.make(piped)
  })
