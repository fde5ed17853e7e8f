import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Negotiate } from "@effect-sspi/negotiate"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { type SspiClient, SspiClient as Client } from "@effect-sspi/http"
import { client, clientLayer, ConnectionLog, serve, users } from "./support/server.ts"

// Negotiate plugs in by name: the same middleware, with "Negotiate" (SPNEGO over NTLM here).
const runtime = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(
    Ntlm.withUserStore(),
    Effect.map(Ntlm.withUserStore(), (ntlm) => Negotiate.make({ ntlm }))
  )),
  Layer.provide(UserStore.layerMemory(users))
)
const env = Layer.mergeAll(runtime, clientLayer)

describe("Negotiate (SPNEGO over NTLM) over HTTP", () => {
  it.live("the server's final token (mechListMIC) reaches the client, which completes", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const { origin } = yield* serve(log, {})
      const legs: Array<SspiClient.ClientLeg> = []
      const http = yield* client({ schemes: ["Negotiate", "NTLM"], onLeg: (leg) => Effect.sync(() => legs.push(leg)) })
      const response = yield* http.get(`${origin}/`)
      assert.strictEqual(yield* response.text, "hello EXAMPLE\\alice via Negotiate")
      assert.match(response.headers["www-authenticate"] ?? "", /^Negotiate [A-Za-z0-9+/=]+$/)
      assert.deepStrictEqual(legs.map((l) => `${l.status}:${l.httpStatus}`), [
        "SEC_I_CONTINUE_NEEDED:401",
        "SEC_I_CONTINUE_NEEDED:200",
        "SEC_E_OK:undefined"
      ])
      assert.strictEqual(new Set(log.authorized).size, 1)
    }).pipe(Effect.provide(env))))

  it.live("a wrong password: LogonDenied", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog(), {})
      const http = yield* client({ schemes: ["Negotiate"], credentials: Client.password("EXAMPLE\\alice", Redacted.make("nope")) })
      assert.strictEqual((yield* Effect.flip(http.get(`${origin}/`)))._tag, "LogonDenied")
    }).pipe(Effect.provide(env))))
})
