/** `sspi kdestroy [-c ccache]`: zeroes, then deletes, an MIT credential cache. */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { explained } from "../internal/failure.ts"
import { loadKerberos } from "../internal/kerberosModule.ts"

/** The `kdestroy` command. */
export const kdestroy = Command.make(
  "kdestroy",
  {
    cache: Flag.String("cache").pipe(Flag.withAlias("c"), Flag.withDescription("the ccache (default: KRB5CCNAME, else FILE:/tmp/krb5cc_<uid>)"), Flag.optional)
  },
  (args) =>
    Effect.flatMap(loadKerberos, ({ CredentialCache }) =>
      explained(CredentialCache.destroy(Option.getOrElse(args.cache, () => CredentialCache.defaultName())), "kdestroy"))
).pipe(
  Command.withDescription("Destroy an MIT credential cache (overwritten with zeros, then deleted; like MIT kdestroy)"),
  Command.withExamples([
    { command: "sspi kdestroy", description: "destroy KRB5CCNAME" },
    { command: "sspi kdestroy -c FILE:/tmp/cc", description: "destroy another cache" }
  ])
)
