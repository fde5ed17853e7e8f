/**
 * Connections pinned to one transport connection. Connection-bound
 * handshakes (NTLM, and Negotiate over NTLM) must send every leg over the
 * same keep-alive connection; the client middleware asks a {@link Connector}
 * for a fresh pinned connection per authenticated request and closes it
 * when the request ends.
 *
 * @since 0.1.0
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Context, Effect, Layer, type Scope } from "effect"
import type { HttpClient } from "effect/http"
import { makePinnedAgents } from "./internal/pinnedAgent.ts"

/**
 * One pinned connection.
 *
 * @since 0.1.0
 */
export interface Connection {
  /** A client whose requests all go over one keep-alive connection. */
  readonly client: HttpClient.HttpClient
  /** How many transport connections were opened so far (1 while the pinning holds). */
  readonly connectionsOpened: () => number
  /** The server's DER certificate, once connected over TLS. */
  readonly peerCertificate: () => Uint8Array | undefined
}

/**
 * Opens pinned connections.
 *
 * @since 0.1.0
 */
export class Connector extends Context.Service<Connector, {
  /** A new pinned connection, closed with the scope. */
  readonly open: Effect.Effect<Connection, never, Scope.Scope>
}>()("@effect-sspi/http/Connector") {}

/**
 * Options of the Node connector: TLS settings (`ca`, `rejectUnauthorized`,
 * `servername`…) and the like; the pinning options are forced.
 *
 * @since 0.1.0
 */
export type NodeConnectorOptions = NodeHttpClient.HttpAgentOptions

/**
 * A Node connector: each connection is a private keep-alive agent pair with
 * one socket at most, destroyed when its scope closes.
 *
 * @since 0.1.0
 */
export const makeNode = (options: NodeConnectorOptions = {}): Connector["Service"] => ({
  open: Effect.gen(function*() {
    const agents = yield* Effect.acquireRelease(
      Effect.sync(() => makePinnedAgents(options)),
      (a) =>
        Effect.sync(() => {
          a.http.destroy()
          a.https.destroy()
        })
    )
    const client = yield* NodeHttpClient.makeNodeHttp.pipe(
      Effect.provideService(NodeHttpClient.HttpAgent, { http: agents.http, https: agents.https })
    )
    return {
      client,
      connectionsOpened: () => agents.log.sockets.length,
      peerCertificate: () => agents.log.peerCertificate()
    }
  })
})

/**
 * The Node connector as a layer.
 *
 * @since 0.1.0
 */
export const layerNode = (options: NodeConnectorOptions = {}): Layer.Layer<Connector> =>
  Layer.succeed(Connector, makeNode(options))
