/**
 * Attacks on the HTTP server middleware (issue 9), kept as the regression
 * suite: held handshakes (D8), cross-connection confusion, oversized
 * Authorization headers, and a required attribute not granted (H).
 */
import { createServer } from "node:http"
import { connect, type Socket } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { type Context, Duration, Effect, Layer, Schedule, type Scope } from "effect"
import { TestClock } from "effect/testing"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { AuthHeader, ChannelBindings, SspiServer } from "@effect-sspi/http"
import { Command, Paths, requirePeersSync } from "@effect-sspi/interop-harness"
import { alice, clientLayer, ConnectionLog, runtimeLayer, serve } from "./support/server.ts"

const env = Layer.mergeAll(runtimeLayer, clientLayer)
const curlAvailable = requirePeersSync("curl")

const get = (authorization?: string) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${authorization === undefined ? "" : `Authorization: ${authorization}\r\n`}\r\n`

const status = (answer: string) => Number(answer.slice(9, 12))

/** A socket we control, closed with the scope. */
const open = (port: number): Effect.Effect<Socket, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(() => connect(port, "127.0.0.1")), (socket) => Effect.sync(() => socket.destroy()))

/** Sends one request on `socket` and reads one response (headers and Content-Length body). */
const exchange = (socket: Socket, request: string) =>
  Effect.callback<string>((resume) => {
    let buffer = ""
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("latin1")
      const end = buffer.indexOf("\r\n\r\n")
      if (end < 0) return
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? "0")
      if (buffer.length < end + 4 + length) return
      socket.off("data", onData)
      resume(Effect.succeed(buffer.slice(0, end + 4 + length)))
    }
    socket.on("data", onData)
    socket.once("close", () => resume(Effect.succeed(buffer)))
    socket.write(request)
  })

const challengeOf = (answer: string): Uint8Array => {
  const header = /WWW-Authenticate: (NTLM [A-Za-z0-9+/=]+)/i.exec(answer)?.[1]
  return AuthHeader.parseAuthorization(header)!.token!
}

/** An NTLM client on its own socket: NEGOTIATE sent, CHALLENGE received and answered (AUTHENTICATE ready). */
const heldClient = (port: number) =>
  Effect.gen(function*() {
    const credentials = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.OUTBOUND, authData: alice.authData })
    const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/127.0.0.1" })
    const socket = yield* open(port)
    const first = yield* exchange(socket, get(AuthHeader.format("NTLM", (yield* context.step()).token!)))
    assert.strictEqual(status(first), 401)
    const authenticate = (yield* context.step(challengeOf(first))).token!
    return { socket, authenticate }
  })

const finish = (client: { readonly socket: Socket; readonly authenticate: Uint8Array }) =>
  Effect.map(exchange(client.socket, get(AuthHeader.format("NTLM", client.authenticate))), status)

const serverStats = <R extends SspiServer.Authenticator>(context: Context.Context<R>) =>
  SspiServer.stats.pipe(Effect.provideContext(context))

/** Polls until the runtime holds no context (bounded). */
const noLiveContexts = Effect.gen(function*() {
  const stats = yield* SspiRuntime.stats
  if (stats.contexts !== 0) return yield* Effect.fail(stats)
  return stats
}).pipe(Effect.retry({ schedule: Schedule.spaced(Duration.millis(20)), times: 250 }))

describe("D8: pending handshakes are bounded, the oldest is shed", () => {
  it.live("per client address: the client's oldest held handshakes are shed, its newest completes", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context, server } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], maxPendingHandshakesPerClient: 3 })
      const port = (server.address() as { port: number }).port
      const clients = []
      for (let i = 0; i < 5; i++) clients.push(yield* heldClient(port))
      const stats = yield* serverStats(context)
      assert.strictEqual(stats.pendingHandshakes, 3)
      assert.strictEqual(stats.pendingClients, 1)
      assert.deepStrictEqual(stats.shed, { capacity: 0, perClient: 2, timedOut: 0 })
      // the shed ones start over (their AUTHENTICATE finds no handshake): 401; the held ones get in
      assert.deepStrictEqual(yield* Effect.forEach(clients, finish), [401, 401, 200, 200, 200])
      assert.strictEqual((yield* serverStats(context)).pendingHandshakes, 0)
    }).pipe(Effect.provide(env))))

  it.live("per server: the oldest held handshakes are shed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context, server } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], maxPendingHandshakes: 2 })
      const port = (server.address() as { port: number }).port
      const clients = []
      for (let i = 0; i < 4; i++) clients.push(yield* heldClient(port))
      const stats = yield* serverStats(context)
      assert.strictEqual(stats.pendingHandshakes, 2)
      assert.deepStrictEqual(stats.shed, { capacity: 2, perClient: 0, timedOut: 0 })
      assert.deepStrictEqual(yield* Effect.forEach(clients, finish), [401, 401, 200, 200])
    }).pipe(Effect.provide(env))))

  it.effect("a held handshake past its time-out (Clock) is deleted, even with requests without Authorization keeping the connection", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context, server } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], pendingHandshakeTimeout: Duration.seconds(10) })
      const port = (server.address() as { port: number }).port
      const held = yield* heldClient(port)
      const contexts = (yield* SspiRuntime.stats).contexts // the client's and the server's
      assert.strictEqual(status(yield* exchange(held.socket, get())), 401) // keeps the connection alive
      yield* TestClock.adjust(Duration.seconds(9))
      assert.strictEqual((yield* serverStats(context)).pendingHandshakes, 1)
      yield* TestClock.adjust(Duration.seconds(1))
      const stats = yield* serverStats(context)
      assert.strictEqual(stats.pendingHandshakes, 0)
      assert.strictEqual(stats.shed.timedOut, 1)
      assert.strictEqual((yield* SspiRuntime.stats).contexts, contexts - 1)
      assert.strictEqual(yield* finish(held), 401)
    }).pipe(Effect.provide(env))))
})

describe("cross-connection confusion", () => {
  it.live("an AUTHENTICATE replayed on another connection is refused and does not disturb the real one", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context, server } = yield* serve(new ConnectionLog())
      const port = (server.address() as { port: number }).port
      const victim = yield* heldClient(port)
      const attacker = yield* open(port)
      const stolen = yield* exchange(attacker, get(AuthHeader.format("NTLM", victim.authenticate)))
      assert.strictEqual(status(stolen), 401)
      assert.notInclude(stolen, "hello")
      assert.strictEqual(yield* finish(victim), 200)
      assert.strictEqual((yield* serverStats(context)).pendingHandshakes, 0)
    }).pipe(Effect.provide(env))))
})

describe("oversized Authorization headers", () => {
  /** A valid NEGOTIATE_MESSAGE padded to `size` bytes (trailing bytes are allowed by MS-NLMP 2.2.1.1 payload rules). */
  const paddedNegotiate = (negotiate: Uint8Array, size: number) => {
    const out = new Uint8Array(size)
    out.set(negotiate)
    return out
  }

  it.live("Node's header limit answers 431 before the middleware; the server keeps working", () =>
    Effect.scoped(Effect.gen(function*() {
      const { server } = yield* serve(new ConnectionLog())
      const port = (server.address() as { port: number }).port
      const socket = yield* open(port)
      const answer = yield* exchange(socket, get(`NTLM ${"A".repeat(20_000)}`))
      assert.strictEqual(status(answer), 431)
      const ok = yield* heldClient(port)
      assert.strictEqual(yield* finish(ok), 200)
    }).pipe(Effect.provide(env))))

  it.live("a token above maxTokenBytes never reaches a package: 401 offering the schemes, no handshake held", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context, server } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], maxTokenBytes: 4096 }, () => createServer({ maxHeaderSize: 1 << 20 }))
      const port = (server.address() as { port: number }).port
      const credentials = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.OUTBOUND, authData: alice.authData })
      const negotiate = (yield* (yield* SecurityContext.initiator(credentials, { targetName: "HTTP/127.0.0.1" })).step()).token!
      const socket = yield* open(port)
      const small = yield* exchange(socket, get(AuthHeader.format("NTLM", paddedNegotiate(negotiate, 4096))))
      assert.match(small, /WWW-Authenticate: NTLM [A-Za-z0-9+/=]+/i, "a padded NEGOTIATE within the bound is answered")
      const big = yield* exchange(socket, get(AuthHeader.format("NTLM", paddedNegotiate(negotiate, 100_000))))
      assert.strictEqual(status(big), 401)
      assert.match(big, /WWW-Authenticate: NTLM\r\n/i)
      assert.strictEqual((yield* serverStats(context)).pendingHandshakes, 0)
    }).pipe(Effect.provide(env))))
})

describe("H: a required attribute not granted", () => {
  /** curl --ntlm (a real peer): its NEGOTIATE asks for no sealing (0x00088206). */
  const curl = (url: string) =>
    Command.run("/usr/bin/curl", ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "20", url], {
      env: { OPENSSL_CONF: Paths.opensslLegacyConf },
      input: `user = "EXAMPLE\\\\alice:Passw0rd!"\n`,
      timeout: "30 seconds"
    })

  it.live.skipIf(!curlAvailable)("the server asks for CONFIDENTIALITY, curl's NTLM grants none: 401 (SEC_E_SECURITY_QOS_FAILED); without the ask: 200", () =>
    Effect.scoped(Effect.gen(function*() {
      const legs: Array<string> = []
      const strict = yield* serve(new ConnectionLog(), {
        schemes: ["NTLM"],
        contextReq: Flags.AscReq.CONNECTION | Flags.AscReq.CONFIDENTIALITY,
        onLeg: (leg) => Effect.sync(() => legs.push(leg.status))
      })
      assert.strictEqual((yield* curl(`${strict.origin}/`)).stdout.split("\n").pop(), "401")
      assert.strictEqual(legs[legs.length - 1], "SEC_E_SECURITY_QOS_FAILED")
      yield* noLiveContexts
      const lenient = yield* serve(new ConnectionLog())
      assert.strictEqual((yield* curl(`${lenient.origin}/`)).stdout.split("\n").pop(), "200")
    }).pipe(Effect.provide(env))))
})

describe("D1 through the HTTP client: a server certificate with a huge signatureAlgorithm OID", () => {
  /** DER SEQUENCE with a long-form length. */
  const seq = (content: Uint8Array) => {
    const n = content.length
    return Uint8Array.from([0x30, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff, ...content])
  }
  it("a 200 KiB single-arc OID is refused at decode: the bindings hash falls back to SHA-256 at once (was minutes)", () => {
    const arc = new Uint8Array(200 * 1024).fill(0xff)
    arc[arc.length - 1] = 0x7f
    const oid = Uint8Array.from([0x06, 0x83, arc.length >> 16, (arc.length >> 8) & 0xff, arc.length & 0xff, ...arc])
    const certificate = seq(Uint8Array.from([...seq(new Uint8Array(0)), ...seq(oid), 0x03, 0x01, 0x00]))
    assert.strictEqual(ChannelBindings.hashAlgorithm(certificate), "sha256")
  }, 10_000)
})
