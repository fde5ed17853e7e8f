/**
 * Talking to a KDC: one request, one reply, over TCP (4-byte length prefix,
 * RFC 4120 section 7.2.2) or UDP, each wait bounded by an Effect time-out
 * (so `TestClock` drives it). Sockets are closed when the effect ends,
 * succeeds, fails or is interrupted.
 *
 * @since 0.1.0
 */
import * as Dgram from "node:dgram"
import * as Net from "node:net"
import { Data, Duration, Effect, Result } from "effect"
import type { KdcAddress } from "../files/krb5Conf.ts"
import { decodeKrbError, ErrorCode } from "../messages/error.ts"

/**
 * A KDC could not be reached or did not answer in time.
 *
 * @since 0.1.0
 */
export class KdcUnreachable extends Data.TaggedError("KdcUnreachable")<{ readonly reason: string }> {}

const MAX_REPLY = 1 << 20

/**
 * One exchange over TCP.
 *
 * @since 0.1.0
 */
export const exchangeTcp = (address: KdcAddress, request: Uint8Array): Effect.Effect<Uint8Array, KdcUnreachable> =>
  Effect.callback<Uint8Array, KdcUnreachable>((resume) => {
    const socket = Net.createConnection({ host: address.host, port: address.port })
    const chunks: Array<Buffer> = []
    let received = 0
    let done = false
    const finish = (effect: Effect.Effect<Uint8Array, KdcUnreachable>) => {
      if (done) return
      done = true
      socket.destroy()
      resume(effect)
    }
    socket.on("connect", () => {
      const header = Buffer.alloc(4)
      header.writeUInt32BE(request.length)
      socket.write(Buffer.concat([header, request]))
    })
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      if (received < 4) return
      const all = Buffer.concat(chunks)
      const length = all.readUInt32BE(0)
      if (length > MAX_REPLY) return finish(Effect.fail(new KdcUnreachable({ reason: "reply too long" })))
      if (all.length >= 4 + length) finish(Effect.succeed(new Uint8Array(all.subarray(4, 4 + length))))
    })
    socket.on("error", (e) => finish(Effect.fail(new KdcUnreachable({ reason: `tcp ${address.host}:${address.port}: ${e.message}` }))))
    socket.on("close", () => finish(Effect.fail(new KdcUnreachable({ reason: "connection closed before a reply" }))))
    return Effect.sync(() => {
      done = true
      socket.destroy()
    })
  })

/**
 * One exchange over UDP. The socket is connected to the KDC, so only a
 * datagram from the KDC's address and port counts as the reply (a forged
 * KRB-ERROR from elsewhere is dropped by the kernel), and a closed port
 * (ICMP port unreachable → ECONNREFUSED) fails at once instead of waiting for
 * the time-out.
 *
 * @since 0.1.0
 */
export const exchangeUdp = (address: KdcAddress, request: Uint8Array): Effect.Effect<Uint8Array, KdcUnreachable> =>
  Effect.callback<Uint8Array, KdcUnreachable>((resume) => {
    const socket = Dgram.createSocket(Net.isIPv6(address.host) ? "udp6" : "udp4")
    let done = false
    const close = () => {
      try {
        socket.close()
      } catch {
        // already closed
      }
    }
    const finish = (effect: Effect.Effect<Uint8Array, KdcUnreachable>) => {
      if (done) return
      done = true
      close()
      resume(effect)
    }
    const failed = (e: Error) =>
      finish(Effect.fail(new KdcUnreachable({ reason: `udp ${address.host}:${address.port}: ${e.message}` })))
    socket.on("message", (msg) => finish(Effect.succeed(new Uint8Array(msg))))
    socket.on("error", failed)
    socket.on("connect", () => {
      if (!done) {
        socket.send(request, (e) => {
          if (e) failed(e)
        })
      }
    })
    socket.connect(address.port, address.host)
    return Effect.sync(() => {
      if (!done) {
        done = true
        close()
      }
    })
  })

/**
 * How to reach the KDCs of a realm.
 *
 * @since 0.1.0
 */
export interface TransportSettings {
  readonly kdcs: ReadonlyArray<KdcAddress>
  /** Requests at least this long go over TCP only. */
  readonly udpPreferenceLimit: number
  /** Per-attempt wait. */
  readonly timeout: Duration.Duration
}

/** Whether `reply` is a KRB-ERROR with KRB_ERR_RESPONSE_TOO_BIG. */
const tooBig = (reply: Uint8Array): boolean =>
  reply[0] === 0x7e && Result.match(decodeKrbError(reply), {
    onFailure: () => false,
    onSuccess: (e) => e.errorCode === ErrorCode.KRB_ERR_RESPONSE_TOO_BIG
  })

const attempt = (exchange: Effect.Effect<Uint8Array, KdcUnreachable>, timeout: Duration.Duration) =>
  Effect.timeoutOrElse(exchange, {
    duration: timeout,
    orElse: () => Effect.fail(new KdcUnreachable({ reason: `no reply within ${Duration.format(timeout)}` }))
  })

/**
 * Sends `request` to the first KDC that answers: per KDC, UDP first for short
 * requests (then TCP on KRB_ERR_RESPONSE_TOO_BIG or no answer), else TCP.
 *
 * @since 0.1.0
 */
export const send = (settings: TransportSettings, request: Uint8Array): Effect.Effect<Uint8Array, KdcUnreachable> => {
  if (settings.kdcs.length === 0) return Effect.fail(new KdcUnreachable({ reason: "no KDC is configured for the realm" }))
  const perKdc = (address: KdcAddress) => {
    const tcp = attempt(exchangeTcp(address, request), settings.timeout)
    if (request.length >= settings.udpPreferenceLimit) return tcp
    return attempt(exchangeUdp(address, request), settings.timeout).pipe(
      Effect.flatMap((reply) => tooBig(reply) ? tcp : Effect.succeed(reply)),
      Effect.catchTag("KdcUnreachable", () => tcp)
    )
  }
  const [head, ...rest] = settings.kdcs
  return rest.reduce(
    (acc, address) => Effect.catchTag(acc, "KdcUnreachable", () => perKdc(address)),
    perKdc(head!)
  )
}
