/**
 * Authenticated connections (issue 12 item 3a, as IIS): once a connection
 * finished a handshake, later requests on it without an Authorization
 * header are the same principal's; a new Authorization header starts over;
 * the context is deleted when the connection closes. Real keep-alive
 * clients: curl with two URLs on one connection, and Node's http.Agent
 * (keepAlive, one socket) driving an NTLM handshake through our initiator.
 * Also: the local user store knows no domain identity, so the Principal's
 * SID fields are absent.
 */
import { Agent } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { HttpServerResponse } from "effect/http"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Command, Paths, requirePeersSync } from "@effect-sspi/interop-harness"
import { Principal, SspiServer } from "@effect-sspi/http"
import * as requests from "./support/requests.ts"
import { alice, clientLayer, ConnectionLog, runtimeLayer, serve } from "./support/server.ts"

const curlAvailable = requirePeersSync("curl")
const env = Layer.mergeAll(runtimeLayer, clientLayer)

/** The principal as JSON, with whether it carries a domain identity. */
const whoami = Effect.gen(function*() {
  const p = yield* Principal
  return HttpServerResponse.jsonUnsafe({ name: p.name, userSid: p.userSid ?? null, groups: p.groupSids?.length ?? null })
})

/** `curl --ntlm` over one connection for every URL; user:password on stdin. */
const curl = (urls: ReadonlyArray<string>) =>
  Command.run("/usr/bin/curl", ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}\n", "--max-time", "20", ...urls], {
    env: { OPENSSL_CONF: Paths.opensslLegacyConf },
    input: `user = "EXAMPLE\\\\alice:Passw0rd!"\n`,
    timeout: "30 seconds"
  })

/** One request through `agent` (keep-alive). */
const get = (agent: Agent, url: string, authorization?: string) =>
  requests.get(url, agent, authorization === undefined ? {} : { authorization })

/** An NTLM handshake as alice over `agent`'s one socket, by our initiator (whose context is deleted after). */
const handshake = (agent: Agent, url: string) =>
  Effect.scoped(Effect.gen(function*() {
    const credentials = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.OUTBOUND, ...alice })
    const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/127.0.0.1" })
    const first = yield* context.step()
    const challenge = yield* get(agent, url, `NTLM ${Buffer.from(first.token!).toString("base64")}`)
    assert.strictEqual(challenge.status, 401)
    const token = /^NTLM (\S+)$/.exec(String(challenge.headers["www-authenticate"]))![1]!
    const last = yield* context.step(Buffer.from(token, "base64"))
    return yield* get(agent, url, `NTLM ${Buffer.from(last.token!).toString("base64")}`)
  }))

/** Waits (bounded) until the server keeps no authenticated connection and the runtime no context. */
const allReleased = Effect.gen(function*() {
  const stats = yield* SspiServer.stats
  const runtime = yield* SspiRuntime.stats
  if (stats.authenticatedConnections !== 0 || runtime.contexts !== 0) return yield* Effect.fail([stats, runtime] as const)
  return [stats, runtime] as const
}).pipe(Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 150 }))

describe("authenticated connections (NTLM, default on)", () => {
  it.live.skipIf(!curlAvailable)("curl --ntlm URL1 URL2: the second request needs no handshake and gets 200 as alice; released on close", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const { origin, context } = yield* serve(log, { schemes: ["NTLM"] }, undefined, false, whoami)
      const result = yield* curl([`${origin}/one`, `${origin}/two`])
      assert.strictEqual(result.code, 0, result.stderr)
      const lines = result.stdout.split("\n").filter((l) => l !== "")
      assert.deepStrictEqual(lines.filter((l) => /^\d{3}$/.test(l)), ["200", "200"])
      for (const body of lines.filter((l) => l.startsWith("{"))) {
        // the local user store vouches for no domain identity: no SIDs
        assert.deepStrictEqual(JSON.parse(body), { name: "EXAMPLE\\alice", userSid: null, groups: null })
      }
      assert.strictEqual(log.sockets.size, 1, "one connection")
      // one handshake (NEGOTIATE → 401, AUTHENTICATE → 200), then /two without Authorization → 200
      assert.deepStrictEqual(log.responses.map((r) => [r.authorization, r.status]), [[true, 401], [true, 200], [false, 200]])
      yield* allReleased.pipe(Effect.provideContext(context))
    }).pipe(Effect.provide(env))))

  it.live("Node http.Agent keepAlive: plain requests after the handshake are alice's; a new Authorization header starts over (a failed one leaves nobody authenticated); closing deletes the context", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const { origin, context } = yield* serve(log, { schemes: ["NTLM"] }, undefined, false, whoami)
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
      const done = yield* handshake(agent, `${origin}/a`)
      assert.strictEqual(done.status, 200)
      for (const path of ["/b", "/c"]) {
        const plain = yield* get(agent, `${origin}${path}`)
        assert.strictEqual(plain.status, 200)
        assert.strictEqual(JSON.parse(plain.body).name, "EXAMPLE\\alice")
      }
      const stats = yield* SspiServer.stats.pipe(Effect.provideContext(context))
      assert.strictEqual(stats.authenticatedConnections, 1)
      // attack: a bad token on the authenticated connection must not leave alice's session behind
      const bad = yield* get(agent, `${origin}/d`, "NTLM AAAA")
      assert.strictEqual(bad.status, 401)
      const after = yield* get(agent, `${origin}/e`)
      assert.strictEqual(after.status, 401)
      assert.strictEqual(log.sockets.size, 1, "every request on one socket")
      // a new handshake on the same connection authenticates again
      assert.strictEqual((yield* handshake(agent, `${origin}/f`)).status, 200)
      assert.strictEqual((yield* get(agent, `${origin}/g`)).status, 200)
      agent.destroy()
      yield* allReleased.pipe(Effect.provideContext(context))
    }).pipe(Effect.provide(env))))

  it.live("authenticatedConnections: \"none\": a plain request after a handshake gets 401", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin, context } = yield* serve(new ConnectionLog(), { schemes: ["NTLM"], authenticatedConnections: "none" }, undefined, false, whoami)
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
      assert.strictEqual((yield* handshake(agent, `${origin}/a`)).status, 200)
      assert.strictEqual((yield* get(agent, `${origin}/b`)).status, 401)
      assert.strictEqual((yield* SspiServer.stats.pipe(Effect.provideContext(context))).authenticatedConnections, 0)
    }).pipe(Effect.provide(env))))
})
