/**
 * Node agents that hold at most one keep-alive socket and count the sockets
 * they open: an authenticated exchange made through them runs over one
 * connection, and can tell when it did not.
 */
import * as Http from "node:http"
import * as Https from "node:https"
import type { Duplex } from "node:stream"
import { TLSSocket } from "node:tls"

/** The sockets an agent pair opened. */
export class SocketLog {
  readonly sockets: Array<Duplex> = []
  record(socket: Duplex | null | undefined): void {
    if (socket !== null && socket !== undefined) this.sockets.push(socket)
  }
  /** The DER certificate the server presented on the latest TLS socket. */
  peerCertificate(): Uint8Array | undefined {
    const socket = this.sockets[this.sockets.length - 1]
    if (!(socket instanceof TLSSocket)) return undefined
    const raw = socket.getPeerCertificate().raw as Buffer | undefined
    return raw === undefined || raw.length === 0 ? undefined : new Uint8Array(raw)
  }
}

const pinned = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, maxTotalSockets: 1 } as const

class PinnedHttpAgent extends Http.Agent {
  constructor(readonly log: SocketLog, options: Http.AgentOptions) {
    super({ ...options, ...pinned })
  }
  override createConnection(
    options: Http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback)
    this.log.record(socket)
    return socket
  }
}

class PinnedHttpsAgent extends Https.Agent {
  constructor(readonly log: SocketLog, options: Https.AgentOptions) {
    super({ ...options, ...pinned })
  }
  override createConnection(
    options: Https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback)
    this.log.record(socket)
    return socket
  }
}

/** An http and an https agent sharing one socket log. */
export const makePinnedAgents = (options: Https.AgentOptions) => {
  const log = new SocketLog()
  return { log, http: new PinnedHttpAgent(log, options), https: new PinnedHttpsAgent(log, options) }
}
