/**
 * `sspi get URL`: an authenticated GET, like `curl --ntlm` / `--negotiate`.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Predicate, Redacted } from "effect"
import { Argument, Command, Flag, Prompt } from "effect/cli"
import { HttpClient } from "effect/http"
import { Connector, SspiClient } from "@effect-sspi/http"
import { CliFailure, explain, explained } from "../internal/failure.ts"
import { runtimeLayer } from "../internal/packages.ts"
import { clientLeg } from "../internal/print.ts"

/** The password: `SSPI_PASSWORD`, else a prompt. */
const password = Effect.gen(function*() {
  const fromEnv = process.env["SSPI_PASSWORD"]
  if (fromEnv !== undefined) return Redacted.make(fromEnv)
  if (process.stdin.isTTY !== true) {
    return yield* new CliFailure({ message: "no password: set SSPI_PASSWORD or run in a terminal to be prompted" })
  }
  return yield* Prompt.run(Prompt.Password({ message: "Password" }))
})

/** `DOMAIN\\user` → `user@DOMAIN`; `user@REALM` and `user` as they are (the default realm comes from krb5.conf). */
const kerberosPrincipal = (user: string): string => {
  const slash = user.indexOf("\\")
  return slash >= 0 ? `${user.slice(slash + 1)}@${user.slice(0, slash)}` : user
}

/** The `get` command. */
export const get = Command.make(
  "get",
  {
    url: Argument.String("url").pipe(Argument.withDescription("http:// or https:// URL")),
    negotiate: Flag.Boolean("negotiate").pipe(Flag.withDescription("answer Negotiate challenges"), Flag.withDefault(false)),
    ntlm: Flag.Boolean("ntlm").pipe(Flag.withDescription("answer NTLM challenges"), Flag.withDefault(false)),
    user: Flag.String("user").pipe(
      Flag.withAlias("u"),
      Flag.withDescription("DOMAIN\\user or user@domain (Kerberos: user@REALM); with --negotiate and no -u, Kerberos tickets from KRB5CCNAME"),
      Flag.optional
    ),
    insecure: Flag.Boolean("insecure").pipe(Flag.withAlias("k"), Flag.withDescription("accept any TLS certificate"), Flag.withDefault(false)),
    include: Flag.Boolean("include").pipe(Flag.withAlias("i"), Flag.withDescription("print the status line and headers"), Flag.withDefault(false)),
    verbose: Flag.Boolean("verbose").pipe(Flag.withAlias("v"), Flag.withDescription("print each handshake leg on stderr"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function*() {
      const user = Option.getOrUndefined(args.user)
      if (user === undefined && !args.negotiate) {
        return yield* new CliFailure({ message: "-u DOMAIN\\user is required (the password comes from SSPI_PASSWORD or a prompt)" })
      }
      const ntlm = args.ntlm || !args.negotiate
      const schemes = [...(args.negotiate ? ["Negotiate"] : []), ...(ntlm ? ["NTLM"] : [])]
      // Without -u, Negotiate uses Kerberos tickets from the credential cache (KRB5CCNAME), as curl --negotiate -u : does.
      const secret = user === undefined ? undefined : yield* explained(password, "no password")
      const ntlmCredentials = user === undefined || secret === undefined ? undefined : SspiClient.password(user, secret)
      const credentials = (packageName: string): SspiClient.ClientCredentials =>
        packageName === "Negotiate"
          ? {
            authData: {
              kerberos: user === undefined || secret === undefined
                ? { ccache: process.env["KRB5CCNAME"] }
                : { principal: kerberosPrincipal(user), password: secret },
              ntlm: ntlmCredentials?.authData
            }
          }
          : ntlmCredentials ?? {}
      const tls = args.insecure ? { rejectUnauthorized: false } : {}
      const response = yield* Effect.gen(function*() {
        const base = yield* HttpClient.HttpClient
        const client = base.pipe(SspiClient.withAuthentication({
          schemes,
          credentials,
          onLeg: (leg) => args.verbose ? Console.error(clientLeg(leg)) : Effect.void
        }))
        const response = yield* client.get(args.url)
        const body = yield* response.text
        return { status: response.status, headers: response.headers, body }
      }).pipe(
        Effect.timeout("2 minutes"),
        Effect.scoped,
        Effect.provide(Layer.mergeAll(
          // Kerberos (inside Negotiate) reads krb5.conf: KRB5_CONFIG, else /etc/krb5.conf.
          runtimeLayer({ negotiate: args.negotiate, kerberos: args.negotiate ? {} : undefined }),
          NodeHttpClient.layerNodeHttpOptions(tls),
          Connector.layerNode(tls)
        )),
        Effect.mapError((error) =>
          user === undefined && (Predicate.isTagged(error, "NoCredentials") || Predicate.isTagged(error, "ContextExpired"))
            ? new CliFailure({ message: `no usable Kerberos tickets in KRB5CCNAME (run kinit, or give -u USER@REALM): ${explain(error)}` })
            : error
        ),
        explained
      )
      if (args.include) {
        yield* Console.log(`HTTP ${response.status}`)
        for (const [key, value] of Object.entries(response.headers)) yield* Console.log(`${key}: ${value}`)
        yield* Console.log("")
      }
      yield* Console.log(response.body)
      if (response.status >= 400) {
        return yield* new CliFailure({ message: `the server answered HTTP ${response.status}` })
      }
    })
).pipe(Command.withDescription("GET a URL with Negotiate (Kerberos, NTLM) / NTLM authentication (like curl --negotiate / --ntlm)"))
