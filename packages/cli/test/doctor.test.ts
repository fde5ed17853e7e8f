/**
 * `sspi doctor` against a throwaway MIT realm and `sspi serve --keytab`:
 * a sound set-up passes; each broken one is found with its fix — an SPN the
 * KDC does not know, a keytab with the wrong kvno, an RC4-only keytab, a
 * clock ahead of the KDC's (TestClock). Missing peers: loud skip, or a
 * failure under CI=true.
 */
import { writeFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Keytab } from "@effect-sspi/kerberos"
import { Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { checkKdc } from "../src/internal/doctor/kdc.ts"
import { formatFinding } from "../src/internal/doctor/finding.ts"
import { sspi, startServer } from "./support.ts"

const available = requirePeersSync("krb5")

/** A copy of the realm's keytab with its entries changed. */
const keytabVariant = (realm: Realm.Realm, name: string, change: (e: Keytab.Entry) => Keytab.Entry) =>
  Effect.gen(function*() {
    const entries = yield* Keytab.read(realm.keytab)
    const path = `${realm.dir}/${name}`
    writeFileSync(path, Keytab.encode(entries.map(change)))
    Keytab.wipe(entries)
    return path
  })

describe("sspi doctor (MIT realm)", () => {
  it.live.skipIf(!available)("a sound set-up; then a missing SPN, a wrong kvno and an RC4-only keytab, each with its fix", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const kinit = yield* sspi(["kinit", realm.user], realm.env, 30_000, `${realm.password}\n`)
      assert.strictEqual(kinit.code, 0, kinit.stderr)
      const server = yield* startServer(["--keytab", realm.keytab], realm.env)
      const url = `${server.url.replace("//127.0.0.1:", "//localhost:")}/`

      const sound = yield* sspi(["doctor", "--keytab", realm.keytab, url], realm.env)
      assert.strictEqual(sound.code, 0, sound.stdout + sound.stderr)
      assert.include(sound.stdout, `default realm ${realm.realm}`)
      assert.include(sound.stdout, `ok      the KDC knows ${realm.principal}`)
      // where the KDC comes from: the realm's krb5.conf names it (Kerberos.discoverKdcs), no DNS
      assert.include(sound.stdout, `ok      KDC of ${realm.realm} from krb5.conf (${realm.env["KRB5_CONFIG"]}): 127.0.0.1:${realm.kdcPort}\n`)
      assert.notInclude(sound.stdout, "DNS SRV")
      assert.match(sound.stdout, /ok {6}this clock is \d+ s (ahead of|behind) the KDC's \(allowed: 300 s\)/)
      assert.include(sound.stdout, "offers Negotiate")
      assert.include(sound.stdout, "ok      the KDC issues tickets for HTTP/localhost: kvno 2, aes256-cts-hmac-sha1-96")
      assert.include(sound.stdout, "it can read the KDC's tickets")
      assert.include(sound.stdout, "ok      Negotiate will use Kerberos")
      assert.include(sound.stdout, "ok      the SPN HTTP/localhost comes from the URL's host name as written (localhost: a name, not an alias)")
      assert.notInclude(sound.stdout, "error")

      const noSpn = yield* sspi(["doctor", "--keytab", realm.keytab, server.url], realm.env)
      assert.strictEqual(noSpn.code, 1)
      assert.include(noSpn.stdout, "error   the KDC does not know HTTP/127.0.0.1")
      assert.include(noSpn.stdout, "fix: register the SPN")
      assert.include(noSpn.stdout, "warning Negotiate would fall back to NTLM (if the server allows it): the KDC has no SPN HTTP/127.0.0.1")
      // the SPN came from an address: the one-line fix names the host name it resolves back to
      assert.include(noSpn.stdout, "warning the URL names the host by its address 127.0.0.1: the client asks for HTTP/127.0.0.1")
      assert.include(noSpn.stdout, `fix: use the host's name: ${url.replace(/\/$/, "")}/ (127.0.0.1 resolves back to localhost)`)

      const oldKvno = yield* keytabVariant(realm, "old.keytab", (e) => ({ ...e, kvno: 1 }))
      const stale = yield* sspi(["doctor", "--keytab", oldKvno, url], realm.env)
      assert.strictEqual(stale.code, 1)
      assert.include(stale.stdout, `error   keytab ${oldKvno} has kvno 1 for HTTP/localhost, the KDC's is 2`)
      assert.include(stale.stdout, "fix: the password/keys changed since the keytab was made")

      const rc4 = yield* keytabVariant(realm, "rc4.keytab", (e) => ({ ...e, enctype: 23, key: e.key.subarray(0, 16) }))
      const weak = yield* sspi(["doctor", "--keytab", rc4, url], realm.env)
      assert.strictEqual(weak.code, 1)
      assert.include(weak.stdout, "error   the KDC encrypts tickets for HTTP/localhost with aes256-cts-hmac-sha1-96; keytab kvno 2 has only arcfour-hmac")
      assert.include(weak.stdout, `warning keytab ${rc4} has only RC4 keys for HTTP/localhost`)

      const unknownUser = yield* sspi(["doctor", "-p", "nobody"], realm.env)
      assert.strictEqual(unknownUser.code, 1)
      assert.include(unknownUser.stdout, "error   the KDC does not know nobody (KDC_ERR_C_PRINCIPAL_UNKNOWN)")
      // a realm krb5.conf does not name, with dns_lookup_kdc = false: a warning saying so, and its fix
      const nowhere = yield* sspi(["doctor", "-p", "someone@NOWHERE.TEST"], realm.env)
      assert.include(nowhere.stdout, `warning no KDC for NOWHERE.TEST: krb5.conf (${realm.env["KRB5_CONFIG"]}) names none and dns_lookup_kdc = false`)
      assert.include(nowhere.stdout, "fix: add [realms] NOWHERE.TEST = { kdc = host:88 } to krb5.conf, or publish SRV records _kerberos._tcp.NOWHERE.TEST")
    })), 120_000)

  it.live.skipIf(!available)("the clock against the KDC's: 10 minutes ahead (TestClock) is an error naming NTP; in step is ok", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const now = Date.now()
      const check = (offsetMs: number) =>
        Effect.gen(function*() {
          yield* TestClock.setTime(now + offsetMs)
          return (yield* checkKdc(realm.principal, { env: realm.env })).map(formatFinding).join("\n")
        }).pipe(Effect.provide(TestClock.layer()))
      const ahead = yield* check(10 * 60_000)
      assert.match(ahead, /error {3}this clock is 6\d\d s ahead of the KDC's \(allowed: 300 s\)\n {8}fix: synchronise the clock with NTP/)
      const inStep = yield* check(0)
      assert.match(inStep, /ok {6}this clock is \d s (ahead of|behind) the KDC's/)
      const behind = yield* check(-2 * 60_000)
      assert.match(behind, /warning this clock is 1\d\d s behind the KDC's/)
    })), 120_000)
})
