/**
 * The server side of the HTTP bench, as a user deploys the library: effect's
 * HTTP server (NodeHttpServer) with `SspiServer`'s authenticator on one route
 * (`GET /auth`, Negotiate with Kerberos from a keytab, and NTLM from a user
 * file) and one public route (`GET /public`, our no-auth baseline).
 * Connections stay authenticated after a handshake (`authenticatedConnections:
 * "all"`, as Apache's `GssapiConnectionBound On`).
 *
 * Run as its own process (pinned by the bench with `taskset`):
 * `node --conditions=@effect-sspi/source --import tsx httpServer.ts PORT KEYTAB USERFILE`;
 * prints `listening PORT` once it accepts connections.
 */
import { createServer } from "node:http"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Principal, SspiServer } from "@effect-sspi/http"
import { Kerberos } from "@effect-sspi/kerberos"
import { Negotiate } from "@effect-sspi/negotiate"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"

const [portArg, keytab, userFile] = process.argv.slice(2)
const port = Number(portArg)
if (!Number.isInteger(port) || keytab === undefined || userFile === undefined) {
  console.error("usage: httpServer.ts PORT KEYTAB USERFILE")
  process.exit(2)
}

/** NTLM over the user file, Kerberos (krb5.conf from KRB5_CONFIG), Negotiate over both. */
const runtime = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(Layer.unwrap(Effect.gen(function*() {
    const ntlm = yield* Ntlm.withUserStore()
    const kerberos = yield* Kerberos.make({})
    return SecurityPackage.SecurityPackages.layer(ntlm, kerberos, Negotiate.make({ kerberos, ntlm }))
  }))),
  Layer.provide(UserStore.layerFile(userFile))
)

const Authenticated = HttpRouter.middleware<{ provides: Principal }>()(
  SspiServer.Authenticator.useSync((authenticator) => authenticator.authenticate)
).layer.pipe(Layer.provide(SspiServer.layer({
  schemes: ["Negotiate", "NTLM"],
  authenticatedConnections: "all",
  credentials: (name) =>
    name === "Negotiate"
      ? { authData: { kerberos: { keytab }, ntlm: undefined } }
      : name === "Kerberos"
      ? { authData: { keytab } }
      : {}
})))

const Public = HttpRouter.add("GET", "/public", HttpServerResponse.text("hello anyone\n"))
const Auth = HttpRouter.add(
  "GET",
  "/auth",
  Effect.map(Principal, (principal) => HttpServerResponse.text(`hello ${principal.name}\n`))
).pipe(Layer.provide(Authenticated))

const server = HttpRouter.serve(Layer.mergeAll(Public, Auth), { disableListenLog: true, disableLogger: true }).pipe(
  Layer.provide(NodeHttpServer.layer(() => {
    const s = createServer({ keepAliveTimeout: 60_000 })
    s.once("listening", () => console.log(`listening ${port}`))
    return s
  }, { port, host: "127.0.0.1" })),
  Layer.provide(runtime)
)

NodeRuntime.runMain(Layer.launch(server))
