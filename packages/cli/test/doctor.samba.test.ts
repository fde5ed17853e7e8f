/**
 * `sspi doctor` against the Samba AD DC's DNS (SAMBA_INTERNAL on
 * 127.0.0.1:53): with a krb5.conf that names no KDC for CORP.TEST, the KDC
 * is found through DNS SRV (the Kerberos package's discovery, DNS server
 * from SSPI_KRB5_DNS_SERVERS) and answers, and doctor names that source and
 * the SRV target (Kerberos.discoverKdcs); a URL whose host is a CNAME added
 * to the DC's zone is reported as an alias with the fix naming both SPNs.
 * Missing Samba: loud skip, or a failure under CI=true.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { Command, SambaDc } from "@effect-sspi/interop-harness"
import { sspi } from "./support.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) console.warn("doctor.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")

describe.skipIf(!hasSamba && process.env["CI"] !== "true")("sspi doctor against the Samba AD DC's DNS", () => {
  it.live("no KDC in krb5.conf: found by DNS SRV and answering; a CNAME host is named as an alias with its fix", () =>
    Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "sspi-doctor-dns-"))
      const conf = Path.join(dir, "krb5.conf")
      Fs.writeFileSync(conf, `[libdefaults]\n  default_realm = ${dc.realm}\n  dns_lookup_kdc = true\n[realms]\n  ${dc.realm} = {\n  }\n`)
      const zone = dc.realm.toLowerCase()
      const alias = `doctor-alias-${process.pid}`
      const dns = (op: "add" | "delete") =>
        Command.run("samba-tool", [
          "dns", op, "127.0.0.1", zone, alias, "CNAME", `web1.${zone}`, "-s", dc.smbConf, "-U", `administrator%${dc.adminPassword}`
        ], { timeout: Duration.seconds(30) })
      const added = yield* Effect.acquireRelease(dns("add"), () => Effect.ignore(dns("delete")))
      assert.strictEqual(added.code, 0, added.stdout + added.stderr)
      const env = { KRB5_CONFIG: conf, SSPI_KRB5_DNS_SERVERS: "127.0.0.1", KRB5CCNAME: `FILE:${Path.join(dir, "ccache")}` }
      const r = yield* sspi(["doctor", "-p", dc.alice.principal, `http://${alias}.${zone}:1/`], env)
      assert.include(r.stdout, `ok      krb5.conf ${conf}, default realm ${dc.realm}`)
      // krb5.conf names no KDC: the KDC that answers was found through _kerberos SRV records in the DC's DNS
      assert.match(r.stdout, new RegExp(`ok {6}KDC of ${dc.realm} from DNS SRV _kerberos\\._(udp|tcp)\\.${dc.realm}, _kerberos\\._(udp|tcp)\\.${dc.realm} \\(krb5\\.conf names none\\): dc1\\.${zone}:88 \\(127\\.0\\.0\\.1\\) priority \\d+ weight \\d+\n`, "i"))
      assert.include(r.stdout, `ok      the KDC of ${dc.realm} answers`)
      assert.include(r.stdout, `ok      the KDC knows ${dc.alice.principal}`)
      assert.include(r.stdout, `warning ${alias}.${zone} is an alias (CNAME) of web1.${zone}: this client asks for HTTP/${alias}.${zone} as written`)
      assert.include(r.stdout, `fix: register both SPNs on the service's account (setspn -S HTTP/${alias}.${zone} ACCOUNT`)
      assert.include(r.stdout, `or use http://web1.${zone}:1/ in the URL`)
      // the same with a DNS server that does not answer: no SRV record, no KDC — so the one above came from DNS SRV
      const none = yield* sspi(["doctor", "-p", dc.alice.principal], { ...env, SSPI_KRB5_DNS_SERVERS: "127.0.0.1:1" })
      assert.strictEqual(none.code, 1)
      assert.include(none.stdout, `error   the KDC for ${dc.alice.principal} did not answer`)
      assert.include(none.stdout, "DNS SRV _kerberos._tcp.REALM")
      assert.include(none.stdout, `warning no KDC for ${dc.realm}: krb5.conf (${conf}) names none and DNS SRV _kerberos._udp/_tcp.${dc.realm} gave none (`)
    }).pipe(Effect.scoped), { timeout: 360_000 })
})
