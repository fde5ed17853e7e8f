/**
 * `sspi decode TOKEN`: an NTLM / SPNEGO / Kerberos token as a tree.
 */
import { Console, Effect, Result } from "effect"
import { Argument, Command } from "effect/cli"
import { decode as decodeInput } from "../internal/decodeInput.ts"
import { CliFailure } from "../internal/failure.ts"
import { render } from "../internal/tree.ts"

/** The `decode` command. */
export const decode = Command.make(
  "decode",
  {
    token: Argument.String("token").pipe(
      Argument.withDescription("base64 or hex token, or a whole `Authorization:` / `WWW-Authenticate:` line"),
      Argument.variadic({ min: 1 })
    )
  },
  ({ token }) =>
    Effect.suspend(() => {
      const result = decodeInput(token.join(" "))
      return Result.isSuccess(result)
        ? Console.log(render(result.success))
        : Effect.fail(new CliFailure({ message: `cannot decode: ${result.failure}` }))
    })
).pipe(Command.withDescription("Show an NTLM (or SPNEGO/Kerberos) token as a readable tree"))
