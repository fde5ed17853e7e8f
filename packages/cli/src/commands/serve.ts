/**
 * `sspi serve`: a Negotiate/NTLM-protected HTTP server on loopback that
 * answers `hello DOMAIN\user`.
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { HttpServer, HttpServerResponse } from "effect/http"
import { UserStore } from "@effect-sspi/ntlm"
import { Principal, SspiServer } from "@effect-sspi/http"
import { CliFailure, explained } from "../internal/failure.ts"
import { loadOptional, runtimeLayer } from "../internal/packages.ts"
import { serverLeg } from "../internal/print.ts"

/** The app behind the middleware. */
export const whoami = Effect.gen(function*() {
  const principal = yield* Principal
  return HttpServerResponse.text(`hello ${principal.name} (${principal.scheme})\n`)
})

/** The `serve` command. */
export const serve = Command.make(
  "serve",
  {
    users: Flag.String("users").pipe(Flag.withDescription("NTLM_USER_FILE: DOMAIN:USER:PASSWORD per line"), Flag.optional),
    keytab: Flag.String("keytab").pipe(Flag.withDescription("Kerberos keytab (needs the Kerberos package)"), Flag.optional),
    port: Flag.Int("port").pipe(Flag.withDescription("TCP port (0: any)"), Flag.withDefault(8080)),
    host: Flag.String("host").pipe(Flag.withDescription("listen address"), Flag.withDefault("127.0.0.1")),
    verbose: Flag.Boolean("verbose").pipe(Flag.withAlias("v"), Flag.withDescription("print each handshake leg"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function*() {
      const negotiate = yield* loadOptional("Negotiate")
      const kerberos = yield* loadOptional("Kerberos")
      if (Option.isSome(args.keytab) && kerberos === undefined) {
        yield* Console.error("--keytab: Kerberos is not supported yet by sspi serve (no Kerberos package it can install); the keytab is ignored")
      }
      if (Option.isNone(args.users)) {
        return yield* new CliFailure({ message: "--users FILE is required (NTLM_USER_FILE format: DOMAIN:USER:PASSWORD)" })
      }
      const extra = [negotiate, Option.isSome(args.keytab) ? kerberos : undefined].filter((p) => p !== undefined)
      const schemes = [
        ...(negotiate !== undefined ? ["Negotiate"] : extra.length > 0 ? ["Kerberos"] : []),
        "NTLM"
      ]
      const keytab = Option.getOrUndefined(args.keytab)
      let address = ""
      const server = HttpServer.serve(whoami, SspiServer.middleware).pipe(
        Layer.provideMerge(SspiServer.layer({
          schemes,
          credentials: (name) => name.toLowerCase() === "kerberos" && keytab !== undefined ? { authData: { keytab } } : {},
          onLeg: (leg) => args.verbose ? Console.log(serverLeg(leg)) : Effect.void
        })),
        Layer.provideMerge(NodeHttpServer.layer(() => {
          const s = createServer()
          s.once("listening", () => {
            const a = s.address()
            address = typeof a === "object" && a !== null ? `http://${args.host}:${a.port}` : String(a)
          })
          return s
        }, { port: args.port, host: args.host })),
        Layer.provide(runtimeLayer(extra, UserStore.layerFile(args.users.value)))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(server)
        yield* Console.log(`listening on ${address} (${schemes.join(", ")}); Ctrl-C stops`)
        return yield* Effect.never
      })).pipe(explained)
    })
).pipe(Command.withDescription("Serve a Negotiate/NTLM-protected page on loopback"))
