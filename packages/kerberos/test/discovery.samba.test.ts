/**
 * KDC discovery against a REAL DNS server: the Samba AD DC's internal DNS
 * (SAMBA_INTERNAL on 127.0.0.1:53, SRV records written by `samba-tool
 * domain provision`). Discovery's answer is compared with what `host -t SRV`
 * (bind9-host) reads from the same server; then a krb5.conf naming no KDC
 * for CORP.TEST (only default_realm) is enough for our initiator to log on
 * with a password and get a ticket our acceptor takes, through the Heimdal
 * KDC DNS pointed at. A service the DC does not know is SEC_E_TARGET_UNKNOWN
 * naming it. Missing Samba: loud skip, or a failure under CI=true.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, Handshake, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Command, SambaDc } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"
import { discoverKdcs } from "../src/internal/kdc/discovery.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) console.warn("discovery.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")

/** A krb5.conf that names the realm and no KDC: the KDC must come from DNS. */
const confWithoutKdc = (realm: string) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "krb-discovery-"))
  const path = Path.join(dir, "krb5.conf")
  Fs.writeFileSync(path, `[libdefaults]\n  default_realm = ${realm}\n  dns_lookup_kdc = true\n[realms]\n  ${realm} = {\n  }\n`)
  return path
}

/** `host -t SRV name 127.0.0.1` → "priority weight port target" lines, sorted. */
const srvByHost = (name: string) =>
  Command.run("/usr/bin/host", ["-t", "SRV", name, "127.0.0.1"], { timeout: Duration.seconds(10) }).pipe(
    Effect.map((r) =>
      r.stdout.split("\n").flatMap((line) => {
        const m = /has SRV record (\d+) (\d+) (\d+) (\S+?)\.?$/.exec(line.trim())
        return m === null ? [] : [`${m[1]} ${m[2]} ${m[3]} ${m[4]!.toLowerCase()}`]
      }).sort()
    )
  )

describe.skipIf(!hasSamba && process.env["CI"] !== "true")("KDC discovery against the Samba AD DC's DNS", () => {
  it.live("SRV _kerberos._udp/_tcp.CORP.TEST through effect's Dns: the records `host` reads, the target resolved by the same server", () =>
    Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const udp = yield* srvByHost(`_kerberos._udp.${dc.realm}`)
      const tcp = yield* srvByHost(`_kerberos._tcp.${dc.realm}`)
      assert.isAbove(udp.length, 0, "Samba's DNS has _kerberos._udp records")
      assert.deepStrictEqual(udp.map((l) => l.split(" ").slice(2).join(" ")), tcp.map((l) => l.split(" ").slice(2).join(" ")))
      const kdcs = yield* discoverKdcs(dc.realm, { dns: undefined, nameServers: ["127.0.0.1"], timeout: Duration.seconds(5) })
      // each SRV target (in both lists) once, UDP first then TCP, at the address Samba's DNS gives it
      assert.deepStrictEqual(
        kdcs.map((k) => `${k.port} ${k.name}`).sort(),
        udp.map((l) => l.split(" ").slice(2).join(" "))
      )
      for (const k of kdcs) {
        assert.strictEqual(k.host, "127.0.0.1")
        assert.strictEqual(k.transport, undefined)
      }
    }), { timeout: 360_000 })

  it.live("a krb5.conf naming no KDC: our initiator (password) finds the DC in DNS and our acceptor takes the ticket; an unknown service is SEC_E_TARGET_UNKNOWN naming it", () =>
    Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const runtime = SspiRuntime.SspiRuntime.layer.pipe(
        Layer.provide(Kerberos.layer({
          krb5Config: confWithoutKdc(dc.realm),
          // the DNS server through the Config key, as an app's ConfigProvider would give it
          env: { SSPI_KRB5_DNS_SERVERS: "127.0.0.1" }
        }))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* Credentials.acquire({
          packageName: "Kerberos",
          credentialUse: Flags.CredentialUse.OUTBOUND,
          authData: { principal: dc.alice.principal, password: Redacted.make(dc.alice.password) }
        })
        const server = yield* Credentials.acquire({
          packageName: "Kerberos",
          credentialUse: Flags.CredentialUse.INBOUND,
          principal: dc.web1.service,
          authData: { keytab: dc.web1.keytab }
        })
        const initiator = yield* SecurityContext.initiator(client, {
          targetName: dc.web1.service.replace(/@.*$/, ""),
          contextReq: Flags.IscReq.MUTUAL_AUTH
        })
        const acceptor = yield* SecurityContext.acceptor(server)
        yield* Handshake.run(initiator, acceptor)
        const names = yield* acceptor.query("Names")
        assert.strictEqual(names.userName.toLowerCase(), dc.alice.principal.toLowerCase())
        const unknown = yield* SecurityContext.initiator(client, { targetName: `HTTP/nosuch.${dc.realm.toLowerCase()}` })
        const error = yield* Effect.flip(unknown.step())
        assert.strictEqual(error.status, "SEC_E_TARGET_UNKNOWN")
        assert.include(error.message, `service principal HTTP/nosuch.${dc.realm.toLowerCase()}`)
      })).pipe(Effect.provide(runtime))
      // the same krb5.conf with discovery off: no KDC, and the error says which realm and where it looked
      const off = yield* Kerberos.make({ krb5Config: confWithoutKdc(dc.realm), dnsLookupKdc: false, env: { SSPI_KRB5_DNS_SERVERS: "127.0.0.1" } })
      const cred = yield* off.acquireCredentials({
        principal: undefined,
        credentialUse: Flags.CredentialUse.OUTBOUND,
        authData: { principal: dc.alice.principal, password: Redacted.make(dc.alice.password) },
        now: Date.now()
      })
      const refused = yield* Effect.flip(off.initialize(cred.credential, undefined, {
        targetName: dc.web1.service.replace(/@.*$/, ""),
        contextReq: 0,
        dataRep: 0,
        input: [],
        now: Date.now()
      }))
      assert.strictEqual(refused.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.include(refused.message, `realm ${dc.realm}: no KDC is configured for the realm`)
    }), { timeout: 360_000 })
})
