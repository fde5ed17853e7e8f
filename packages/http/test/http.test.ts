import { connect } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, Schedule } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { AuthHeader, SspiClient, SspiServer } from "@effect-sspi/http"
import { alice, client, clientLayer, ConnectionLog, runtimeLayer, serve } from "./support/server.ts"

const env = Layer.mergeAll(runtimeLayer, clientLayer)

/** Polls until the runtime holds no context (bounded). */
const noLiveContexts = Effect.gen(function*() {
  const stats = yield* SspiRuntime.stats
  if (stats.contexts !== 0) return yield* Effect.fail(stats)
  return stats
}).pipe(Effect.retry({ schedule: Schedule.spaced(Duration.millis(20)), times: 250 }))

/** A raw HTTP/1.1 exchange over a socket we control. */
const rawRequests = (port: number, requests: ReadonlyArray<string>, keepOpen = false) =>
  Effect.callback<ReadonlyArray<string>>((resume) => {
    const socket = connect(port, "127.0.0.1")
    const answers: Array<string> = []
    let buffer = ""
    let index = 0
    const next = () => {
      if (index < requests.length) socket.write(requests[index++]!)
      else {
        if (!keepOpen) socket.destroy()
        resume(Effect.succeed(answers))
      }
    }
    socket.on("connect", next)
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1")
      const end = buffer.indexOf("\r\n\r\n")
      if (end < 0) return
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? "0")
      if (buffer.length < end + 4 + length) return
      answers.push(buffer.slice(0, end + 4 + length))
      buffer = buffer.slice(end + 4 + length)
      if (keepOpen && index === requests.length) {
        socket.destroy()
        resume(Effect.succeed(answers))
      } else next()
    })
    socket.on("error", () => resume(Effect.succeed(answers)))
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.timeout(Duration.seconds(10)))

const get = (path: string, authorization?: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${authorization === undefined ? "" : `Authorization: ${authorization}\r\n`}\r\n`

const status = (answer: string | undefined) => Number(answer?.slice(9, 12))

/** A client's first NTLM token (NEGOTIATE), from a context deleted right after. */
const firstNtlmToken = Effect.scoped(Effect.gen(function*() {
  const credentials = yield* Credentials.acquire({
    packageName: "NTLM",
    credentialUse: Flags.CredentialUse.OUTBOUND,
    authData: alice.authData
  })
  const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/127.0.0.1" })
  return (yield* context.step()).token!
}))

describe("NTLM over HTTP: our client against our server", () => {
  it.live("authenticates over one kept-alive connection and exposes the principal", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const { origin } = yield* serve(log)
      const legs: Array<SspiClient.ClientLeg> = []
      const http = yield* client({ onLeg: (leg) => Effect.sync(() => legs.push(leg)) })
      const response = yield* http.get(`${origin}/hello`)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(yield* response.text, "hello EXAMPLE\\alice via NTLM")
      assert.deepStrictEqual(legs.map((l) => `${l.status}:${l.httpStatus}`), ["SEC_I_CONTINUE_NEEDED:401", "SEC_E_OK:200"])
      assert.strictEqual(log.authorized.length, 2)
      assert.strictEqual(new Set(log.authorized).size, 1, "every leg went over one connection")
      const stats = yield* noLiveContexts
      assert.strictEqual(stats.credentials, 1, "only the server's credential is left")
    }).pipe(Effect.provide(env))))

  it.live("a wrong password fails with LogonDenied, typed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog())
      const http = yield* client({ credentials: SspiClient.password("EXAMPLE\\alice", Redacted.make("wrong")) })
      const error = yield* Effect.flip(http.get(`${origin}/hello`))
      assert.strictEqual(error._tag, "LogonDenied")
      assert.include(error.message, "SEC_E_LOGON_DENIED")
      yield* noLiveContexts
    }).pipe(Effect.provide(env))))

  it.live("requests without authentication get 401 offering the schemes", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog(), {})
      const response = yield* HttpClient.get(`${origin}/`)
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.headers["www-authenticate"], "NTLM")
    }).pipe(Effect.provide(env))))

  it.live("garbage Authorization headers get 401, never 500", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin, server } = yield* serve(new ConnectionLog())
      const port = (server.address() as { port: number }).port
      const garbage = [
        "NTLM !!!not-base64!!!",
        `NTLM ${Buffer.from("NTLMSSP\0garbage").toString("base64")}`,
        `NTLM ${Buffer.alloc(300, 0xff).toString("base64")}`,
        "NTLM",
        "Negotiate YIIB",
        "Basic YWxpY2U6cHc=",
        "",
        "   "
      ]
      const answers = yield* rawRequests(port, garbage.map((g) => get("/", g)))
      assert.deepStrictEqual(answers.map(status), garbage.map(() => 401))
      // Then a proper client still gets in.
      const http = yield* client()
      assert.strictEqual((yield* http.get(`${origin}/`)).status, 200)
      yield* noLiveContexts
    }).pipe(Effect.provide(env))))

  it.live("a client that disconnects mid-handshake leaves no context behind", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context: serverContext, server } = yield* serve(new ConnectionLog())
      const port = (server.address() as { port: number }).port
      const negotiate = yield* firstNtlmToken
      // Held open: the server keeps the unfinished context on the connection.
      const held = yield* Effect.acquireRelease(
        Effect.sync(() => connect(port, "127.0.0.1")),
        (socket) => Effect.sync(() => socket.destroy())
      )
      const first = yield* Effect.callback<string>((resume) => {
        held.once("data", (chunk) => resume(Effect.succeed(chunk.toString("latin1"))))
        held.write(get("/", AuthHeader.format("NTLM", negotiate)))
      }).pipe(Effect.timeout(Duration.seconds(10)))
      assert.strictEqual(status(first), 401)
      assert.strictEqual((yield* SspiServer.stats.pipe(Effect.provideContext(serverContext))).pendingHandshakes, 1)
      assert.strictEqual((yield* SspiRuntime.stats).contexts, 1)
      held.destroy()
      for (let i = 0; i < 20; i++) {
        const answers = yield* rawRequests(port, [get("/", AuthHeader.format("NTLM", negotiate))], true)
        assert.strictEqual(status(answers[0]), 401)
        assert.match(answers[0]!, /WWW-Authenticate: NTLM [A-Za-z0-9+/=]+/i)
      }
      const stats = yield* noLiveContexts
      assert.strictEqual(stats.contexts, 0)
      assert.strictEqual((yield* SspiServer.stats.pipe(Effect.provideContext(serverContext))).pendingHandshakes, 0)
    }).pipe(Effect.provide(env))))

  it.live("a server that drops the connection between legs: ConnectionChanged, typed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"] }, undefined, true)
      const http = yield* client()
      const error = yield* Effect.flip(http.get(`${origin}/`))
      assert.strictEqual(error._tag, "HttpAuthError")
      assert.strictEqual(error._tag === "HttpAuthError" ? error.reason : "", "ConnectionChanged")
      yield* noLiveContexts
    }).pipe(Effect.provide(env))))

  it.live("a client that starts over on the same connection replaces its held handshake", () =>
    Effect.scoped(Effect.gen(function*() {
      const { context: serverContext, server } = yield* serve(new ConnectionLog())
      const port = (server.address() as { port: number }).port
      const negotiate = yield* firstNtlmToken
      const header = AuthHeader.format("NTLM", negotiate)
      const bogusAuthenticate = new Uint8Array(Buffer.concat([Buffer.from("NTLMSSP\0"), Buffer.from([3, 0, 0, 0]), Buffer.alloc(80)]))
      const answers = yield* rawRequests(port, [
        get("/", header),
        get("/", header),
        get("/", AuthHeader.format("NTLM", bogusAuthenticate))
      ])
      assert.deepStrictEqual(answers.map(status), [401, 401, 401])
      assert.match(answers[1]!, /WWW-Authenticate: NTLM [A-Za-z0-9+/=]+/i)
      assert.match(answers[2]!, /WWW-Authenticate: NTLM\r\n/i)
      yield* noLiveContexts
      assert.strictEqual((yield* SspiServer.stats.pipe(Effect.provideContext(serverContext))).pendingHandshakes, 0)
    }).pipe(Effect.provide(env))))
})
