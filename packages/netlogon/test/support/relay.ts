/**
 * A TCP relay in front of the real DC's Netlogon port: every connection to
 * it is piped to 127.0.0.1:target; `cut()` drops them all, as a DC that
 * restarts or closes idle connections does.
 */
import * as Net from "node:net"
import { listen } from "./forgedDc.ts"

export const start = (target: number) =>
  listen((socket) => {
    const upstream = Net.createConnection({ host: "127.0.0.1", port: target })
    socket.pipe(upstream).pipe(socket)
    socket.on("close", () => upstream.destroy())
    upstream.on("close", () => socket.destroy())
    upstream.on("error", () => socket.destroy())
  })
