/**
 * KRB5CCNAME=DIR: collections written by the REAL MIT kinit: two principals
 * kinit'ed into one collection, the primary (the last kinit, named by the
 * `primary` file MIT wrote) used by default, the other found by principal
 * among the `tkt*` files, each proven by MIT's acceptor naming the
 * initiator. KRB5CCNAME comes through the Config (an env record), not
 * process.env. Missing krb5: loud skip, or a failure under CI=true.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Drivers, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"

const hasKrb5 = requirePeersSync("krb5")

describe("DIR: ccache collections from MIT kinit", () => {
  it.live.skipIf(!hasKrb5)("the primary cache by default, the other principal's by name; MIT's acceptor names each", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "krb-dir-cc-"))
      const collection = `DIR:${dir}/cc`
      Fs.mkdirSync(`${dir}/cc`)
      yield* Realm.kinit(realm, { ccache: collection })
      yield* Realm.kinit(realm, { ccache: collection, principal: realm.preauthPrincipal })
      const files = Fs.readdirSync(`${dir}/cc`).sort()
      assert.strictEqual(files.filter((f) => f.startsWith("tkt")).length, 2, `MIT wrote two caches: ${files.join(", ")}`)
      assert.include(files, "primary")
      const runtime = SspiRuntime.SspiRuntime.layer.pipe(
        Layer.provide(Kerberos.layer({ krb5Config: realm.env["KRB5_CONFIG"], env: { ...realm.env, KRB5CCNAME: collection } }))
      )
      const initiatorName = (principal: string | undefined) =>
        Effect.scoped(Effect.gen(function*() {
          const peer = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
          const cred = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.OUTBOUND, principal, authData: undefined })
          const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: Flags.IscReq.SEQUENCE_DETECT })
          const first = yield* ours.step()
          const reply = yield* Drivers.step(peer, first.token!)
          assert.isTrue(reply.done)
          return reply.status?.initiator_name
        })).pipe(Effect.provide(runtime))
      assert.strictEqual(yield* initiatorName(undefined), realm.preauthPrincipal, "the primary: the last kinit")
      assert.strictEqual(yield* initiatorName(realm.principal), realm.principal, "found among the tkt* files")
      Fs.rmSync(dir, { recursive: true, force: true })
    })), 60_000)
})
