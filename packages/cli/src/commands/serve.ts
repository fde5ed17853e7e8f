/**
 * `sspi serve`: a Negotiate/NTLM-protected HTTP server on loopback that
 * answers `hello <principal>`. `--users` gives NTLM its user file,
 * `--keytab` gives Negotiate's Kerberos mechanism its service keys; at least
 * one of them is needed.
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Console, Effect, Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { HttpServer, HttpServerResponse } from "effect/http"
import { Credentials, Flags } from "@effect-sspi/core"
import { UserStore } from "@effect-sspi/ntlm"
import { Principal, SspiServer } from "@effect-sspi/http"
import { explained, usage } from "../internal/failure.ts"
import { negotiateMechanisms, type Packages, runtimeLayer } from "../internal/packages.ts"
import { serverLeg } from "../internal/print.ts"

/** The app behind the middleware. */
export const whoami = Effect.gen(function*() {
  const principal = yield* Principal
  return HttpServerResponse.text(`hello ${principal.name} (${principal.scheme})\n`)
})

/** Reads the keytab once through the Kerberos package, so that a bad one stops the server at start-up. */
const checkKeytab = (keytab: string) =>
  explained(
    Effect.scoped(Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab } })),
    `--keytab ${keytab}`
  )

/** The `serve` command. */
export const serve = Command.make(
  "serve",
  {
    users: Flag.String("users").pipe(Flag.withDescription("NTLM_USER_FILE: DOMAIN:USER:PASSWORD per line, enables NTLM (default: none)"), Flag.optional),
    keytab: Flag.String("keytab").pipe(
      Flag.withDescription("Kerberos keytab with the HTTP/<host> service keys, enables Kerberos through Negotiate (default: none)"),
      Flag.optional
    ),
    port: Flag.Int("port").pipe(Flag.withDescription("TCP port, 0 for any (default: 8080)"), Flag.withDefault(8080)),
    host: Flag.String("host").pipe(Flag.withDescription("listen address (default: 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    verbose: Flag.Boolean("verbose").pipe(Flag.withAlias("v"), Flag.withDescription("print each handshake leg (default: no)"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function*() {
      const users = Option.getOrUndefined(args.users)
      const keytab = Option.getOrUndefined(args.keytab)
      if (users === undefined && keytab === undefined) {
        return yield* usage("--users FILE (NTLM_USER_FILE format: DOMAIN:USER:PASSWORD) or --keytab FILE (Kerberos) is required")
      }
      const packages: Packages = {
        negotiate: true,
        // krb5.conf, KRB5_CONFIG: read for the clock skew; an acceptor with a keytab needs no KDC.
        kerberos: keytab === undefined ? undefined : {},
        negotiateWithoutNtlm: users === undefined
      }
      const schemes = users === undefined ? ["Negotiate"] : ["Negotiate", "NTLM"]
      const offer = schemes.map((s) => s === "Negotiate" ? `Negotiate (${negotiateMechanisms(packages).join(", ")})` : s)
      let address = ""
      const server = HttpServer.serve(whoami, SspiServer.middleware).pipe(
        Layer.provideMerge(SspiServer.layer({
          schemes,
          credentials: (name) =>
            keytab === undefined
              ? {}
              : name === "Negotiate"
              ? { authData: { kerberos: { keytab }, ntlm: undefined } }
              : name === "Kerberos"
              ? { authData: { keytab } }
              : {},
          onLeg: (leg) => args.verbose ? Console.log(serverLeg(leg)) : Effect.void
        })),
        Layer.provideMerge(NodeHttpServer.layer(() => {
          const s = createServer()
          s.once("listening", () => {
            const a = s.address()
            address = typeof a === "object" && a !== null ? `http://${args.host}:${a.port}` : String(a)
          })
          return s
        }, { port: args.port, host: args.host }))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        if (keytab !== undefined) yield* checkKeytab(keytab)
        yield* Layer.build(server)
        yield* Console.log(`listening on ${address} (${offer.join(", ")}); Ctrl-C stops`)
        return yield* Effect.never
      })).pipe(
        Effect.provide(runtimeLayer(packages, users === undefined ? UserStore.layerMemory([]) : UserStore.layerFile(users))),
        explained
      )
    })
).pipe(
  Command.withDescription("Serve a Negotiate (Kerberos, NTLM) / NTLM-protected page on loopback"),
  Command.withExamples([
    { command: "sspi serve --users users.txt", description: "NTLM (and Negotiate over NTLM) for the users of the file, on 127.0.0.1:8080" },
    { command: "sspi serve --keytab /etc/krb5.keytab --users users.txt --port 0 -v", description: "Kerberos and NTLM, any free port, each leg printed" }
  ])
)
