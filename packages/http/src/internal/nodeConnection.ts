/**
 * The transport connection under a server request (Node: the socket of the
 * IncomingMessage), used as the key of per-connection handshake state.
 */
import type { Socket } from "node:net"
import { TLSSocket } from "node:tls"
import type { HttpServerRequest } from "effect/http/HttpServerRequest"

/** The socket of a Node request, or `undefined` for other transports. */
export const socketOf = (request: HttpServerRequest): Socket | undefined => {
  const source = request.source as { readonly socket?: unknown }
  const socket = source.socket
  return typeof socket === "object" && socket !== null && "once" in socket ? (socket as Socket) : undefined
}

/** The DER certificate the server presented on a TLS socket. */
export const localCertificate = (socket: Socket): Uint8Array | undefined => {
  if (!(socket instanceof TLSSocket)) return undefined
  const certificate = socket.getCertificate()
  const raw = certificate !== null && "raw" in certificate ? certificate.raw : undefined
  return raw === undefined ? undefined : new Uint8Array(raw)
}
