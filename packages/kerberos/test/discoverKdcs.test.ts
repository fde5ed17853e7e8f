/**
 * `Kerberos.discoverKdcs`: where the package finds a realm's KDCs, with
 * the source of each. A throwaway MIT realm's krb5.conf names its KDC
 * (source krb5.conf, DNS not asked) and that KDC answers an AS-REQ sent
 * through the same settings; the `kdc` option wins (source options); a
 * realm krb5.conf does not name with DNS off has none and says DNS was not
 * asked; no realm at all is SEC_E_NO_AUTHORITY. Missing MIT: loud skip, or
 * a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { CredentialCache, Kerberos } from "../src/index.ts"

const available = requirePeersSync("krb5")

describe("Kerberos.discoverKdcs (MIT realm)", () => {
  it.live.skipIf(!available)("krb5.conf [realms]: source krb5.conf, the address that answers; the kdc option wins; an unnamed realm with DNS off has none", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const krb5Config = realm.env["KRB5_CONFIG"]!
      const found = yield* Kerberos.discoverKdcs(undefined, { krb5Config })
      assert.strictEqual(found.realm, realm.realm)
      assert.deepStrictEqual(found.confFiles, [krb5Config])
      assert.deepStrictEqual(found.kdcs, [{ host: "127.0.0.1", port: realm.kdcPort, source: "krb5.conf" }])
      assert.isFalse(found.dnsAsked, "dns_lookup_kdc = false and a KDC named: no DNS")
      assert.strictEqual(found.dnsFailure, undefined)
      // that KDC is the one the package talks to
      const answer = yield* CredentialCache.askKdc(realm.preauthPrincipal, { krb5Config })
      assert.strictEqual(answer.errorCode, 25)

      const option = yield* Kerberos.discoverKdcs(realm.realm, { krb5Config, kdc: [`tcp/127.0.0.1:${realm.kdcPort}`] })
      assert.deepStrictEqual(option.kdcs, [{ host: "127.0.0.1", port: realm.kdcPort, transport: "tcp", source: "options" }])

      const other = yield* Kerberos.discoverKdcs("OTHER.TEST", { krb5Config })
      assert.deepStrictEqual(other.kdcs, [])
      assert.isFalse(other.dnsAsked)

      const none = yield* Effect.flip(Kerberos.discoverKdcs(undefined, { krb5Config: `${realm.dir}/missing.conf` }))
      assert.strictEqual(none._tag, "NoAuthenticatingAuthority")
    })), 60_000)
})
