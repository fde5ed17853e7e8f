/**
 * `sspi get URL`: an authenticated GET, like `curl --ntlm` / `--negotiate`.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { Argument, Command, Flag, Prompt } from "effect/cli"
import { HttpClient } from "effect/http"
import { Connector, SspiClient } from "@effect-sspi/http"
import { CliFailure, explained } from "../internal/failure.ts"
import { loadOptional, runtimeLayer } from "../internal/packages.ts"
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

/** The `get` command. */
export const get = Command.make(
  "get",
  {
    url: Argument.String("url").pipe(Argument.withDescription("http:// or https:// URL")),
    negotiate: Flag.Boolean("negotiate").pipe(Flag.withDescription("answer Negotiate challenges"), Flag.withDefault(false)),
    ntlm: Flag.Boolean("ntlm").pipe(Flag.withDescription("answer NTLM challenges"), Flag.withDefault(false)),
    user: Flag.String("user").pipe(Flag.withAlias("u"), Flag.withDescription("DOMAIN\\user or user@domain"), Flag.optional),
    insecure: Flag.Boolean("insecure").pipe(Flag.withAlias("k"), Flag.withDescription("accept any TLS certificate"), Flag.withDefault(false)),
    include: Flag.Boolean("include").pipe(Flag.withAlias("i"), Flag.withDescription("print the status line and headers"), Flag.withDefault(false)),
    verbose: Flag.Boolean("verbose").pipe(Flag.withAlias("v"), Flag.withDescription("print each handshake leg on stderr"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function*() {
      if (Option.isNone(args.user)) {
        return yield* new CliFailure({ message: "-u DOMAIN\\user is required (the password comes from SSPI_PASSWORD or a prompt)" })
      }
      const negotiate = args.negotiate ? yield* loadOptional("Negotiate") : undefined
      if (args.negotiate && negotiate === undefined && !args.ntlm) {
        return yield* new CliFailure({ message: "--negotiate: the Negotiate package is not available yet; use --ntlm" })
      }
      const schemes = [
        ...(args.negotiate && negotiate !== undefined ? ["Negotiate"] : []),
        ...(args.ntlm || !args.negotiate ? ["NTLM"] : [])
      ]
      const secret = yield* explained(password, "no password")
      const tls = args.insecure ? { rejectUnauthorized: false } : {}
      const response = yield* Effect.gen(function*() {
        const base = yield* HttpClient.HttpClient
        const client = base.pipe(SspiClient.withAuthentication({
          schemes,
          credentials: SspiClient.password(args.user.pipe(Option.getOrElse(() => "")), secret),
          onLeg: (leg) => args.verbose ? Console.error(clientLeg(leg)) : Effect.void
        }))
        const response = yield* client.get(args.url)
        const body = yield* response.text
        return { status: response.status, headers: response.headers, body }
      }).pipe(
        Effect.timeout("2 minutes"),
        Effect.scoped,
        Effect.provide(Layer.mergeAll(
          runtimeLayer(negotiate === undefined ? [] : [negotiate]),
          NodeHttpClient.layerNodeHttpOptions(tls),
          Connector.layerNode(tls)
        )),
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
).pipe(Command.withDescription("GET a URL with Negotiate/NTLM authentication (like curl --ntlm)"))
