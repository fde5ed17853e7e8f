/**
 * `sspi serve --forward-to URL --s4u`: whom S4U2Self may name. A Kerberos
 * logon names itself; an NTLM logon only when the domain verified it
 * (Netlogon's logon info, the user's SID). An account of a local user store
 * (`--users`, `EXAMPLE\alice`) is not the realm's `alice`: the front end
 * refuses (403) before asking the KDC anything. Against a throwaway MIT
 * realm whose user is also `alice`, with the real curl --ntlm; without the
 * check the front end asks the KDC for alice@REALM and answers the KDC's
 * refusal (502), not 403.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Command, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { s4uUser } from "../src/internal/serve/forward.ts"
import { user, usersFile } from "./proxyClients.ts"
import { startServer } from "./support.ts"

const available = requirePeersSync("krb5", "curl")

describe("--s4u names only a realm user", () => {
  it("s4uUser: Kerberos names as they are; NTLM names only when the domain verified them", () => {
    assert.deepStrictEqual(s4uUser({ name: "alice@EFFECT.TEST" }), { user: "alice@EFFECT.TEST" })
    assert.deepStrictEqual(s4uUser({ name: "CORP\\alice", userSid: "S-1-5-21-1-2-3-1104", dnsDomain: "corp.test" }), { user: "alice@CORP.TEST" })
    assert.deepStrictEqual(s4uUser({ name: "CORP\\alice", userSid: "S-1-5-21-1-2-3-1104" }), { user: "alice" })
    for (const name of ["EXAMPLE\\alice", "alice", "EXAMPLE\\alice@EFFECT.TEST"]) {
      assert.property(s4uUser({ name }), "refused", name)
    }
  })

  it.live.skipIf(!available)("an NTLM account of the users file → 403 (no S4U2Self for the realm's namesake)", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      assert.strictEqual(realm.user, user.user, "the realm's user and the file's have the same name")
      const { file } = yield* usersFile("forward-local")
      const front = yield* startServer(
        ["--users", file, "--keytab", realm.keytab, "--forward-to", "http://127.0.0.1:9/whoami", "--s4u"],
        realm.env
      )
      const r = yield* Command.run(
        "/usr/bin/curl",
        ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "30", `${front.url}/forward`],
        { input: `user = "${user.domain}\\\\${user.user}:${user.password}"\n`, timeout: "40 seconds" }
      )
      const lines = r.stdout.trimEnd().split("\n")
      const status = lines.pop()
      assert.strictEqual(status, "403", r.stdout + r.stderr)
      assert.include(lines.join("\n"), "EXAMPLE\\alice is an NTLM logon no domain verified")
    })), 120_000)
})
