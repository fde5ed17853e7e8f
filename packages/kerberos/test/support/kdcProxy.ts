/**
 * A counting relay in front of a REAL KDC, for the transport interop tests:
 * one 127.0.0.1 port that forwards UDP datagrams and TCP connections to the
 * KDC and records what went over which transport (and, for UDP, the
 * KRB-ERROR code of each reply). Each transport can also be closed (nothing
 * listens: TCP refuses, UDP answers with ICMP port unreachable) or, for UDP,
 * silently dropped. Scoped: every socket is closed on release.
 */
import * as Dgram from "node:dgram"
import * as Net from "node:net"
import { Effect, Result } from "effect"
import type { Scope } from "effect"
import { decodeKrbError } from "../../src/internal/messages/error.ts"

export interface KdcProxyOptions {
  readonly udp?: "forward" | "drop" | "closed" | undefined
  readonly tcp?: "forward" | "closed" | undefined
}

/** One request seen by the relay, in arrival order. */
export interface Seen {
  readonly transport: "udp" | "tcp"
  /** UDP only: the KRB-ERROR code of the KDC's reply, `null` for a non-error reply, `undefined` before it arrives or when dropped. */
  errorCode?: number | null
}

export interface KdcProxy {
  /** "127.0.0.1:port", for `KerberosOptions.kdc`. */
  readonly address: string
  readonly seen: ReadonlyArray<Seen>
  readonly count: (transport: "udp" | "tcp") => number
}

const errorCodeOf = (reply: Uint8Array): number | null => {
  if (reply[0] !== 0x7e) return null
  const e = decodeKrbError(reply)
  return Result.isSuccess(e) ? e.success.errorCode : null
}

const bindUdp = (socket: Dgram.Socket, port: number) =>
  new Promise<number>((resolve, reject) => {
    socket.once("error", reject)
    socket.bind(port, "127.0.0.1", () => {
      socket.off("error", reject)
      resolve(socket.address().port)
    })
  })

const listenTcp = (server: Net.Server, port: number) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      resolve((server.address() as Net.AddressInfo).port)
    })
  })

/** Starts a relay to the KDC at 127.0.0.1:`kdcPort`. */
export const start = (kdcPort: number, options: KdcProxyOptions = {}): Effect.Effect<KdcProxy, Error, Scope.Scope> => {
  const udpMode = options.udp ?? "forward"
  const tcpMode = options.tcp ?? "forward"
  const seen: Array<Seen> = []
  const sockets = new Set<{ destroy: () => void }>()
  let udp: Dgram.Socket | undefined
  let tcp: Net.Server | undefined

  const onDatagram = (msg: Buffer, from: Dgram.RemoteInfo) => {
    const entry: Seen = { transport: "udp" }
    seen.push(entry)
    if (udpMode === "drop") return
    const upstream = Dgram.createSocket("udp4")
    const timer = setTimeout(() => dispose(), 10_000)
    const dispose = () => {
      clearTimeout(timer)
      sockets.delete(handle)
      try {
        upstream.close()
      } catch {
        // closed
      }
    }
    const handle = { destroy: dispose }
    sockets.add(handle)
    upstream.on("error", dispose)
    upstream.on("message", (reply) => {
      entry.errorCode = errorCodeOf(reply)
      udp?.send(reply, from.port, from.address)
      dispose()
    })
    upstream.send(msg, kdcPort, "127.0.0.1")
  }

  const onConnection = (client: Net.Socket) => {
    seen.push({ transport: "tcp" })
    const upstream = Net.createConnection({ host: "127.0.0.1", port: kdcPort })
    const handle = {
      destroy: () => {
        client.destroy()
        upstream.destroy()
      }
    }
    sockets.add(handle)
    const end = () => {
      sockets.delete(handle)
      handle.destroy()
    }
    client.on("error", end).on("close", end)
    upstream.on("error", end).on("close", end)
    client.pipe(upstream)
    upstream.pipe(client)
  }

  const open = Effect.tryPromise({
    try: async () => {
      // a port free for both transports when both are open (retry on a clash)
      for (let i = 0; i < 20; i++) {
        udp = udpMode === "closed" ? undefined : Dgram.createSocket("udp4")
        tcp = tcpMode === "closed" ? undefined : Net.createServer(onConnection)
        try {
          let port = 0
          if (udp) port = await bindUdp(udp, 0)
          if (tcp) port = await listenTcp(tcp, port)
          if (port === 0) {
            // both closed: any port nothing listens on
            const probe = Net.createServer()
            port = await listenTcp(probe, 0)
            await new Promise<void>((r) => probe.close(() => r()))
          }
          udp?.on("message", onDatagram)
          return port
        } catch (e) {
          udp?.close()
          tcp?.close()
          if (i === 19) throw e
        }
      }
      throw new Error("no free port")
    },
    catch: (e) => e instanceof Error ? e : new Error(String(e))
  })

  const close = Effect.sync(() => {
    for (const s of sockets) s.destroy()
    sockets.clear()
    try {
      udp?.close()
    } catch {
      // closed
    }
    tcp?.close()
  })

  return Effect.acquireRelease(open, () => close).pipe(
    Effect.map((port): KdcProxy => ({
      address: `127.0.0.1:${port}`,
      seen,
      count: (transport) => seen.filter((s) => s.transport === transport).length
    }))
  )
}
