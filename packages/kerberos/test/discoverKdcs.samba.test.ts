/**
 * `Kerberos.discoverKdcs` against a REAL DNS server, the Samba AD DC's
 * (SAMBA_INTERNAL on 127.0.0.1:53): with a krb5.conf that names no KDC for
 * the realm, every KDC comes from DNS SRV, each with the target, port,
 * priority and weight `host -t SRV` reads from the same server and the
 * records that named it (`_kerberos._udp` and `_kerberos._tcp`); a DNS
 * server that does not answer leaves no KDC and says why. Missing Samba:
 * loud skip, or a failure under CI=true.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Command, SambaDc } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) console.warn("discoverKdcs.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")

describe.skipIf(!hasSamba && process.env["CI"] !== "true")("Kerberos.discoverKdcs against the Samba AD DC's DNS", () => {
  it.live("no KDC in krb5.conf: source SRV, with the records host -t SRV reads; a silent DNS server: none, and why", () =>
    Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "krb-discover-"))
      const krb5Config = Path.join(dir, "krb5.conf")
      Fs.writeFileSync(krb5Config, `[libdefaults]\n  default_realm = ${dc.realm}\n[realms]\n  ${dc.realm} = {\n  }\n`)
      const host = yield* Command.run("/usr/bin/host", ["-t", "SRV", `_kerberos._tcp.${dc.realm}`, "127.0.0.1"], { timeout: Duration.seconds(10) })
      const records = host.stdout.split("\n").flatMap((line) => {
        const m = /has SRV record (\d+) (\d+) (\d+) (\S+?)\.?$/.exec(line.trim())
        return m === null ? [] : [`${m[1]} ${m[2]} ${m[3]} ${m[4]!.toLowerCase()}`]
      }).sort()
      assert.isAbove(records.length, 0, host.stdout + host.stderr)

      const found = yield* Kerberos.discoverKdcs(dc.realm, { krb5Config, dnsServers: ["127.0.0.1"] })
      assert.isTrue(found.dnsAsked)
      assert.strictEqual(found.dnsFailure, undefined)
      assert.isAbove(found.kdcs.length, 0)
      for (const k of found.kdcs) {
        assert.strictEqual(k.source, "SRV")
        assert.strictEqual(k.host, "127.0.0.1")
        if (k.source === "SRV") {
          assert.deepStrictEqual([...k.srv.records].sort(), [`_kerberos._tcp.${dc.realm}`, `_kerberos._udp.${dc.realm}`])
        }
      }
      assert.deepStrictEqual(
        found.kdcs.flatMap((k) => k.source === "SRV" ? [`${k.srv.priority} ${k.srv.weight} ${k.port} ${k.srv.target.toLowerCase()}`] : []).sort(),
        records
      )

      const silent = yield* Kerberos.discoverKdcs(dc.realm, { krb5Config, dnsServers: ["127.0.0.1:1"], kdcTimeout: "1 second" })
      assert.deepStrictEqual(silent.kdcs, [])
      assert.isTrue(silent.dnsAsked)
      assert.include(silent.dnsFailure ?? "", `_kerberos._udp.${dc.realm}`)
    }).pipe(Effect.scoped), { timeout: 360_000 })
})
