import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Command, Paths, requirePeersSync } from "@effect-sspi/interop-harness"
import { clientLayer, ConnectionLog, runtimeLayer, serve } from "./support/server.ts"

const curlAvailable = requirePeersSync("curl")
const env = Layer.mergeAll(runtimeLayer, clientLayer)

/** curl --ntlm; the user:password goes through stdin (`-K -`), not the command line. */
const curl = (url: string, userPassword: string) =>
  Command.run("/usr/bin/curl", ["-sS", "-v", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "20", url], {
    env: { OPENSSL_CONF: Paths.opensslLegacyConf },
    input: `user = "${userPassword.replace(/\\/g, "\\\\")}"\n`,
    timeout: "30 seconds"
  })

describe("curl --ntlm against our server", () => {
  it.live.skipIf(!curlAvailable)("authenticates alice over one connection", () =>
    Effect.scoped(Effect.gen(function*() {
      const log = new ConnectionLog()
      const { origin } = yield* serve(log)
      const result = yield* curl(`${origin}/curl`, "EXAMPLE\\alice:Passw0rd!")
      assert.strictEqual(result.code, 0, result.stderr)
      const [body, code] = result.stdout.split("\n")
      assert.strictEqual(code, "200")
      assert.strictEqual(body, "hello EXAMPLE\\alice via NTLM")
      assert.strictEqual(log.sockets.size, 1, "curl made one connection")
      assert.strictEqual(new Set(log.authorized).size, 1)
    }).pipe(Effect.provide(env))))

  it.live.skipIf(!curlAvailable)("a wrong password ends with 401", () =>
    Effect.scoped(Effect.gen(function*() {
      const { origin } = yield* serve(new ConnectionLog())
      const result = yield* curl(`${origin}/curl`, "EXAMPLE\\alice:wrong")
      assert.strictEqual(result.stdout.split("\n").pop(), "401")
    }).pipe(Effect.provide(env))))
})
