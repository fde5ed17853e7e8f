/**
 * `sspi kinit [principal]`: a TGT from the KDC into an MIT ccache (version 4),
 * with a password (terminal, stdin, SSPI_PASSWORD) or keytab keys (`-k -t`).
 */
import * as Os from "node:os"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { toggle } from "../internal/flags.ts"
import { explained, usage } from "../internal/failure.ts"
import { loadKerberos } from "../internal/kerberosModule.ts"
import { parseLifetime } from "../internal/lifetime.ts"
import { readPassword } from "../internal/password.ts"

/** The `kinit` command. */
export const kinit = Command.make(
  "kinit",
  {
    principal: Argument.String("principal").pipe(
      Argument.withDescription("alice or alice@REALM (default: $USER; with -k, the keytab's first principal)"),
      Argument.optional
    ),
    useKeytab: toggle("use-keytab", "k", "use keys from a keytab instead of a password (default: no)"),
    keytab: Flag.String("keytab").pipe(Flag.withAlias("t"), Flag.withDescription("the keytab for -k (default: KRB5_KTNAME, else /etc/krb5.keytab)"), Flag.optional),
    forwardable: toggle("forwardable", "f", "ask for a forwardable ticket (default: no)"),
    lifetime: Flag.String("lifetime").pipe(Flag.withAlias("l"), Flag.withDescription("ticket lifetime: 10h, 1d, 30m, 1h30m, seconds (default: 10h)"), Flag.optional),
    cache: Flag.String("cache").pipe(Flag.withAlias("c"), Flag.withDescription("the ccache to write (default: KRB5CCNAME, else FILE:/tmp/krb5cc_<uid>)"), Flag.optional),
    verbose: toggle("verbose", "V", "say what was obtained (default: quiet)")
  },
  (args) =>
    Effect.gen(function*() {
      if (Option.isSome(args.keytab) && !args.useKeytab) return yield* usage("-t KEYTAB needs -k (use keys from the keytab)")
      const lifetime = Option.isNone(args.lifetime) ? undefined : parseLifetime(args.lifetime.value)
      if (lifetime !== undefined && Option.isNone(lifetime)) {
        return yield* usage(`-l ${Option.getOrElse(args.lifetime, () => "")}: not a lifetime (e.g. 10h, 1d, 30m, 3600)`)
      }
      const { CredentialCache } = yield* loadKerberos
      const cache = Option.getOrElse(args.cache, () => CredentialCache.defaultName())
      const keytab = args.useKeytab
        ? Option.getOrElse(args.keytab, () => process.env["KRB5_KTNAME"] ?? "/etc/krb5.keytab")
        : undefined
      const principal = Option.getOrUndefined(args.principal) ?? (keytab === undefined ? Os.userInfo().username : undefined)
      const password = keytab === undefined ? yield* readPassword(principal ?? "") : undefined
      const got = yield* explained(
        CredentialCache.getInitialCredentials({
          principal,
          password,
          keytab,
          forwardable: args.forwardable,
          lifetime: lifetime === undefined ? undefined : Option.getOrUndefined(lifetime)
        }),
        "kinit"
      )
      yield* explained(CredentialCache.write(cache, got)).pipe(Effect.ensuring(Effect.sync(() => CredentialCache.wipe(got))))
      if (args.verbose) {
        yield* Console.log(`Authenticated to Kerberos v5 as ${CredentialCache.principalName(got.defaultPrincipal)}; tickets stored in ${cache}`)
      }
    })
).pipe(
  Command.withDescription("Get a Kerberos TGT into an MIT credential cache (like MIT kinit); password from SSPI_PASSWORD, a prompt, or stdin"),
  Command.withExamples([
    { command: "sspi kinit alice@EXAMPLE.COM", description: "prompt for the password, write KRB5CCNAME" },
    { command: "echo \"$PW\" | sspi kinit -f -l 1h -c FILE:/tmp/cc alice", description: "password on stdin, forwardable, 1 hour" },
    { command: "sspi kinit -k -t /etc/krb5.keytab HTTP/web.example.com", description: "with keytab keys" }
  ])
)
