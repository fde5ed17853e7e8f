/**
 * A failure that is the server's, not the client's (a shared handshake store
 * or replay cache that cannot answer, a domain controller out of reach): the
 * server answers 503 with Retry-After, not 401, so a browser does not ask its
 * user for a password again; the client's own failures stay 401.
 */
import { Agent } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Credentials, Flags, HandshakeStore, SecurityContext, SecurityError } from "@effect-sspi/core"
import { AuthHeader } from "@effect-sspi/http"
import { get } from "./support/requests.ts"
import { alice, ConnectionLog, runtimeLayerWith, serve } from "./support/server.ts"

const down = () => Effect.fail(new SecurityError.InternalError({ detail: "Redis at 127.0.0.1:1: connection refused" }))

/** A handshake store whose server is away: every write fails closed. */
const storeDown: HandshakeStore.HandshakeStoreService = {
  put: down,
  putIfAbsent: down,
  take: down,
  stats: Effect.succeed({ stored: 0, taken: 0, missing: 0, evicted: 0, expired: 0 })
}

const negotiateToken = Effect.gen(function*() {
  const credentials = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.OUTBOUND, authData: alice.authData })
  return (yield* (yield* SecurityContext.initiator(credentials, { targetName: "HTTP/127.0.0.1" })).step()).token!
})

const full = () => Effect.fail(new SecurityError.InsufficientMemory({ detail: "handshake store full" }))

/** A handshake store that is full: every write is refused. */
const storeFull: HandshakeStore.HandshakeStoreService = { ...storeDown, put: full, putIfAbsent: full }

describe("server-side failures", () => {
  it.live("a full handshake store (SEC_E_INSUFFICIENT_MEMORY): 503 with Retry-After, not 401", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog())
      const reply = yield* get(`${origin}/`, new Agent({ keepAlive: false }), { authorization: AuthHeader.format("NTLM", yield* negotiateToken) })
      assert.strictEqual(reply.status, 503)
      assert.strictEqual(reply.headers["retry-after"], "1")
    }).pipe(Effect.provide(runtimeLayerWith({ handshakeStore: storeFull })))))

  it.live("a handshake store that cannot answer: 503 with Retry-After, not 401; a garbled token is still 401", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog())
      const negotiate = yield* negotiateToken
      const reply = yield* get(`${origin}/`, new Agent({ keepAlive: false }), { authorization: AuthHeader.format("NTLM", negotiate) })
      assert.strictEqual(reply.status, 503)
      assert.strictEqual(reply.headers["retry-after"], "1")
      assert.notInclude(reply.body, "Redis", "nothing about the back-end reaches the client")
      const garbled = yield* get(`${origin}/`, new Agent({ keepAlive: false }), { authorization: "NTLM AAAA" })
      assert.strictEqual(garbled.status, 401)
    }).pipe(Effect.provide(runtimeLayerWith({ handshakeStore: storeDown })))))
})
