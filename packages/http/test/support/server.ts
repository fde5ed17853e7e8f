/** A loopback server protected by the middleware, and an authenticating client, for tests. */
import { createServer, type Server } from "node:http"
import { Server as HttpsServer } from "node:https"
import type { Socket } from "node:net"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Redacted } from "effect"
import { HttpClient, HttpServer, HttpServerResponse } from "effect/http"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { Connector, Principal, SspiClient, SspiServer } from "@effect-sspi/http"

export const users: ReadonlyArray<UserStore.UserEntry> = [
  { domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }
]

/** The runtime with NTLM built with `options`. */
export const runtimeLayerWith = (options: Parameters<typeof Ntlm.withUserStore>[0] = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore(options))),
    Layer.provide(UserStore.layerMemory(users))
  )

export const runtimeLayer = runtimeLayerWith()

/** Counts the TCP connections the server accepted. */
export class ConnectionLog {
  readonly sockets = new Set<Socket>()
  /** The socket of every request that carried an Authorization header. */
  readonly authorized: Array<Socket> = []
  /** Every finished response: its socket, whether the request carried Authorization, the status. */
  readonly responses: Array<{ readonly socket: Socket; readonly authorization: boolean; readonly status: number }> = []
}

export const app = Effect.gen(function*() {
  const principal = yield* Principal
  return HttpServerResponse.text(`hello ${principal.name} via ${principal.scheme}`)
})

/** The server on 127.0.0.1:0 with the middleware; returns its origin. */
export const serve = (
  log: ConnectionLog,
  options: SspiServer.ServerOptions = { schemes: ["NTLM"] },
  make: () => Server = () => createServer(),
  closeAfter401 = false,
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, never, Principal> = app
) =>
  Effect.gen(function*() {
    let server: Server | undefined
    const middleware = <E, R>(inner: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
      Effect.map(SspiServer.middleware(inner), (response) =>
        closeAfter401 && response.status === 401 ? HttpServerResponse.setHeader(response, "connection", "close") : response)
    const layer = HttpServer.serve(handler, middleware).pipe(
      Layer.provideMerge(SspiServer.layer(options)),
      Layer.provideMerge(NodeHttpServer.layer(() => {
        server = make()
        server.on("connection", (socket: Socket) => log.sockets.add(socket))
        server.on("request", (request, response) => {
          const authorization = request.headers.authorization !== undefined
          response.on("finish", () => log.responses.push({ socket: request.socket, authorization, status: response.statusCode }))
          if (authorization) log.authorized.push(request.socket)
        })
        return server
      }, { port: 0, host: "127.0.0.1", gracefulShutdownTimeout: 1000 }))
    )
    const context = yield* Layer.build(layer)
    const address = server!.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    const scheme = server instanceof HttpsServer ? "https" : "http"
    return { origin: `${scheme}://127.0.0.1:${port}`, context, server: server! }
  })

export const alice = SspiClient.password("EXAMPLE\\alice", Redacted.make("Passw0rd!"))

/** An authenticating client over NodeHttpClient. */
export const client = (options: Partial<SspiClient.ClientOptions> = {}) =>
  Effect.gen(function*() {
    const base = yield* HttpClient.HttpClient
    return base.pipe(SspiClient.withAuthentication({ schemes: ["NTLM"], credentials: alice, ...options }))
  })

export const clientLayer = Layer.mergeAll(NodeHttpClient.layerNodeHttp, Connector.layerNode())
