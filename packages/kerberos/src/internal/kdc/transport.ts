/**
 * Talking to a KDC: one request, one reply, over TCP (4-byte length prefix,
 * RFC 4120 section 7.2.2) or UDP, on effect's socket abstractions:
 *
 * - TCP: an `effect/socket` `Socket` from `NodeSocket.makeNet`
 *   (@effect/platform-node). Acquiring its reader dials the KDC; the request
 *   goes out through its writer and the reply is pulled until the length
 *   prefix is satisfied.
 * - UDP: an `effect/socket` `DatagramSocket` from `NodeDatagramSocket.make`
 *   with `connect`, so the native socket is connected to the KDC: the kernel
 *   drops datagrams from any other address or port, and an ICMP port
 *   unreachable comes back as ECONNREFUSED (reported through the adapter's
 *   `onError`, which fails the attempt at once instead of waiting for the
 *   time-out).
 *
 * Each wait is bounded by an Effect time-out (so `TestClock` drives it). Every
 * exchange runs in its own scope, which closes the socket when the exchange
 * succeeds, fails or is interrupted.
 *
 * @since 0.1.0
 */
import { NodeDatagramSocket, NodeSocket } from "@effect/platform-node"
import { Data, Deferred, Duration, Effect, Result } from "effect"
import { DatagramSocket, Socket } from "effect/socket"
import type { KdcAddress } from "../files/krb5Conf.ts"
import { decodeKrbError, ErrorCode } from "../messages/error.ts"

/**
 * A KDC could not be reached or did not answer in time.
 *
 * @since 0.1.0
 */
export class KdcUnreachable extends Data.TaggedError("KdcUnreachable")<{ readonly reason: string }> {}

const MAX_REPLY = 1 << 20

/** A socket failure as KdcUnreachable, with the native error's message when there is one. */
const unreachable = (
  transport: "tcp" | "udp",
  address: KdcAddress,
  error: Socket.SocketError | DatagramSocket.DatagramSocketError
): KdcUnreachable => {
  const reason = error.reason
  if (reason._tag === "SocketCloseError") return new KdcUnreachable({ reason: "connection closed before a reply" })
  const cause = "cause" in reason ? reason.cause : undefined
  const message = cause instanceof Error ? cause.message : reason.message
  return new KdcUnreachable({ reason: `${transport} ${formatKdc(address)}: ${message}` })
}

/**
 * Collects one length-prefixed TCP reply from the chunks fed to it: `feed`
 * returns the reply once complete (trailing bytes ignored), `undefined` while
 * more is needed, and fails when the announced length exceeds MAX_REPLY.
 */
const lengthPrefixed = () => {
  const header = new Uint8Array(4)
  let headerFill = 0
  let body: Uint8Array | undefined
  let bodyFill = 0
  return (chunk: Uint8Array): Result.Result<Uint8Array | undefined, KdcUnreachable> => {
    let offset = 0
    if (body === undefined) {
      const n = Math.min(4 - headerFill, chunk.length)
      header.set(chunk.subarray(0, n), headerFill)
      headerFill += n
      offset = n
      if (headerFill < 4) return Result.succeed(undefined)
      const length = new DataView(header.buffer).getUint32(0)
      if (length > MAX_REPLY) return Result.fail(new KdcUnreachable({ reason: "reply too long" }))
      body = new Uint8Array(length)
    }
    const n = Math.min(body.length - bodyFill, chunk.length - offset)
    body.set(chunk.subarray(offset, offset + n), bodyFill)
    bodyFill += n
    return Result.succeed(bodyFill === body.length ? body : undefined)
  }
}

/**
 * One exchange over TCP.
 *
 * @since 0.1.0
 */
export const exchangeTcp = (address: KdcAddress, request: Uint8Array): Effect.Effect<Uint8Array, KdcUnreachable> =>
  Effect.gen(function*() {
    const socket = yield* NodeSocket.makeNet({ host: address.host, port: address.port })
    const pull = yield* Socket.readerBytes(socket)
    const writer = yield* socket.writer
    const framed = new Uint8Array(4 + request.length)
    new DataView(framed.buffer).setUint32(0, request.length)
    framed.set(request, 4)
    yield* writer.write(framed)
    const feed = lengthPrefixed()
    while (true) {
      for (const chunk of yield* pull) {
        const reply = yield* Effect.fromResult(feed(chunk))
        if (reply !== undefined) return reply
      }
    }
  }).pipe(
    Effect.catchTag("SocketError", (error) => Effect.fail(unreachable("tcp", address, error))),
    Effect.scoped
  )

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
  Effect.gen(function*() {
    // ICMP errors on a connected socket have no write left to fail: the
    // adapter reports them through `onError`, which ends the wait here
    const reported = Deferred.makeUnsafe<never, DatagramSocket.DatagramSocketError>()
    const socket = yield* NodeDatagramSocket.make({
      connect: { address: address.host, port: address.port },
      receiveBuffer: { capacity: 8 },
      onError: (error) => {
        Deferred.doneUnsafe(reported, Effect.fail(error))
      }
    })
    const reader = yield* socket.reader
    const writer = yield* socket.writer
    yield* writer.write({ payload: request })
    const [reply] = yield* Effect.raceFirst(reader.pull, Deferred.await(reported))
    return reply.payload
  }).pipe(
    Effect.catchTag("DatagramSocketError", (error) => Effect.fail(unreachable("udp", address, error))),
    Effect.scoped
  )

/**
 * How to reach the KDCs of a realm.
 *
 * @since 0.1.0
 */
export interface TransportSettings {
  readonly kdcs: ReadonlyArray<KdcAddress>
  /** Requests at least this long go over TCP only. */
  readonly udpPreferenceLimit: number
  /** Per-attempt wait (connect and reply). */
  readonly timeout: Duration.Duration
}

/** Whether `reply` is a KRB-ERROR with KRB_ERR_RESPONSE_TOO_BIG. */
const tooBig = (reply: Uint8Array): boolean =>
  reply[0] === 0x7e && Result.match(decodeKrbError(reply), {
    onFailure: () => false,
    onSuccess: (e) => e.errorCode === ErrorCode.KRB_ERR_RESPONSE_TOO_BIG
  })

/**
 * "name (address):port" or "address:port", as messages name a KDC.
 *
 * @since 0.1.0
 */
export const formatKdc = (a: KdcAddress): string =>
  a.name !== undefined && a.name !== a.host ? `${a.name} (${a.host}):${a.port}` : `${a.host}:${a.port}`

const attempt = (exchange: Effect.Effect<Uint8Array, KdcUnreachable>, timeout: Duration.Duration, transport: string, address: KdcAddress) =>
  Effect.timeoutOrElse(exchange, {
    duration: timeout,
    orElse: () => Effect.fail(new KdcUnreachable({ reason: `${transport} ${formatKdc(address)}: no reply within ${Duration.format(timeout)}` }))
  })

/**
 * One KDC: UDP first for short requests (then TCP on
 * KRB_ERR_RESPONSE_TOO_BIG or no answer), else, or for a TCP-only KDC, TCP.
 * A failure lists every attempt.
 *
 * @since 0.1.0
 */
export const sendTo = (
  address: KdcAddress,
  request: Uint8Array,
  settings: Pick<TransportSettings, "udpPreferenceLimit" | "timeout">
): Effect.Effect<Uint8Array, KdcUnreachable> => {
  const tcp = attempt(exchangeTcp(address, request), settings.timeout, "tcp", address)
  if (address.transport === "tcp" || request.length >= settings.udpPreferenceLimit) return tcp
  return attempt(exchangeUdp(address, request), settings.timeout, "udp", address).pipe(
    Effect.flatMap((reply) => tooBig(reply) ? tcp : Effect.succeed(reply)),
    Effect.catchTag("KdcUnreachable", (udp) =>
      Effect.mapError(tcp, (e) => new KdcUnreachable({ reason: `${udp.reason}; ${e.reason}` })))
  )
}

/**
 * Sends `request` to the first KDC that answers, in order; `onAnswer` is
 * told which one did. Every wait is bounded (at most two attempts of
 * `timeout` per KDC); the failure names every address tried and why.
 *
 * @since 0.1.0
 */
export const send = (
  settings: TransportSettings,
  request: Uint8Array,
  onAnswer: (address: KdcAddress) => void = () => {}
): Effect.Effect<Uint8Array, KdcUnreachable> =>
  Effect.gen(function*() {
    if (settings.kdcs.length === 0) return yield* new KdcUnreachable({ reason: "no KDC is configured for the realm" })
    const failures: Array<string> = []
    for (const address of settings.kdcs) {
      const reply = yield* Effect.result(sendTo(address, request, settings))
      if (reply._tag === "Success") {
        onAnswer(address)
        return reply.success
      }
      failures.push(reply.failure.reason)
    }
    return yield* new KdcUnreachable({ reason: `no KDC answered (tried ${failures.join("; ")})` })
  })
