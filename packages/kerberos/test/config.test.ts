/**
 * Configuration the Effect way (issue 10 item 5) and errors that say what to
 * fix (item 6), on real files in a temp directory: the KRB5_CONFIG list
 * merged as MIT's profile library does, include/includedir,
 * default_ccache_name/default_keytab_name, [domain_realm], DIR: ccache
 * collections, a ConfigProvider overriding process.env, and the keytab and
 * file errors naming the path, the errno and the principals held.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { Flags, SecurityPackage } from "@effect-sspi/core"
import { CredentialCache, Kerberos } from "../src/index.ts"
import { acquire } from "../src/internal/context/credential.ts"
import { encodeCcache } from "../src/internal/files/ccacheWriter.ts"
import { encodeKeytab, type KeytabEntry } from "../src/internal/files/keytab.ts"
import { resolveSettings } from "../src/internal/settings.ts"
import { targetPrincipal } from "../src/internal/context/initiator.ts"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "krb-config-"))
const file = (name: string, text: string | Uint8Array) => {
  const path = Path.join(dir, name)
  Fs.mkdirSync(Path.dirname(path), { recursive: true })
  Fs.writeFileSync(path, text)
  return path
}

const principal = (text: string, realm: string) => ({ name: { nameType: 1, components: text.split("/") }, realm })
const entry = (name: string, realm: string): KeytabEntry => ({
  principal: principal(name, realm),
  timestamp: 0,
  kvno: 1,
  enctype: 18,
  key: new Uint8Array(32).fill(7)
})

const keytab = file("http.keytab", encodeKeytab([entry("HTTP/web.example", "A.TEST"), entry("host/web.example", "A.TEST")]))

const first = file("first.conf", `
[libdefaults]
  default_realm = A.TEST
  dns_lookup_kdc = false
  default_keytab_name = FILE:${keytab}
  default_ccache_name = DIR:${dir}/collection
[realms]
  A.TEST = {
    kdc = kdc1.a.test:88
  }
include ${dir}/included/extra.conf
includedir ${dir}/conf.d
`)
const second = file("second.conf", `
[libdefaults]
  default_realm = IGNORED.TEST
  clockskew = 120
[realms]
  A.TEST = {
    kdc = tcp/kdc2.a.test:750
  }
`)
file("included/extra.conf", `
[domain_realm]
  .b.test = B.TEST
  exact.b.test = EXACT.TEST
`)
file("conf.d/10-realms", `
[realms]
  B.TEST = {
    kdc = kdc.b.test
  }
`)
file("conf.d/20-more.conf", "[realms]\n  C.TEST = {\n    kdc = kdc.c.test\n  }\n")
file("conf.d/skipped.bak", "[realms]\n  SKIPPED.TEST = {\n    kdc = nope\n  }\n")
file("conf.d/.hidden.conf", "[realms]\n  HIDDEN.TEST = {\n    kdc = nope\n  }\n")

const list = `${first}:${dir}/missing.conf:${second}`

const request = (credentialUse: Flags.CredentialUse, authData: unknown = undefined, p?: string) =>
  ({ principal: p, credentialUse, authData, now: 0 })

describe("Kerberos configuration", () => {
  it.effect("KRB5_CONFIG is a list: every file is read and merged as MIT does (first value wins, KDC lists concatenate, missing files skipped)", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ env: { KRB5_CONFIG: list } })
      assert.deepStrictEqual(settings.confFiles, [
        first,
        `${dir}/included/extra.conf`,
        `${dir}/conf.d/10-realms`,
        `${dir}/conf.d/20-more.conf`,
        second
      ])
      assert.strictEqual(settings.defaultRealm, "A.TEST")
      assert.strictEqual(settings.clockSkewMs, 120_000)
      const kdcs = yield* settings.kdcsFor("A.TEST")
      assert.deepStrictEqual(kdcs, [{ host: "kdc1.a.test", port: 88 }, { host: "kdc2.a.test", port: 750, transport: "tcp" }])
      assert.deepStrictEqual(yield* settings.kdcsFor("B.TEST"), [{ host: "kdc.b.test", port: 88 }])
      assert.deepStrictEqual(yield* settings.kdcsFor("C.TEST"), [{ host: "kdc.c.test", port: 88 }])
      assert.isFalse(settings.conf.realms.has("SKIPPED.TEST"), "includedir takes only [A-Za-z0-9_-] names or *.conf")
      assert.isFalse(settings.conf.realms.has("HIDDEN.TEST"))
    }))

  it.effect("[domain_realm]: the host, then its .domain suffixes, first match", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ env: { KRB5_CONFIG: list } })
      assert.strictEqual(settings.realmOfHost("exact.b.test"), "EXACT.TEST")
      assert.strictEqual(settings.realmOfHost("WWW.B.TEST"), "B.TEST")
      assert.strictEqual(settings.realmOfHost("deep.www.b.test"), "B.TEST")
      assert.strictEqual(settings.realmOfHost("b.test"), undefined)
    }))

  it.effect("[domain_realm] names the service's realm in the initiator: explicit @REALM wins, then the mapping, then the client's realm; a host in another realm → SEC_E_TARGET_UNKNOWN naming it, before any KDC is asked", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ env: { KRB5_CONFIG: list } })
      const realmOf = (target: string) => targetPrincipal(target, "A.TEST", settings.realmOfHost).realm
      assert.strictEqual(realmOf("HTTP/www.b.test"), "B.TEST")
      assert.strictEqual(realmOf("HTTP@exact.b.test"), "EXACT.TEST")
      assert.strictEqual(realmOf("HTTP/www.b.test@A.TEST"), "A.TEST")
      assert.strictEqual(realmOf("HTTP/unmapped.example"), "A.TEST")
      assert.strictEqual(realmOf("HTTP@unmapped.example"), "A.TEST")
      assert.deepStrictEqual(targetPrincipal("HTTP/www.b.test", "A.TEST", settings.realmOfHost).name.components, ["HTTP", "www.b.test"])
      const pkg = yield* Kerberos.make({ env: { KRB5_CONFIG: list }, kdcTimeout: "100 millis" })
      const cred = yield* pkg.acquireCredentials(request(Flags.CredentialUse.OUTBOUND, { principal: "alice", password: Redacted.make("p") }))
      const refused = yield* Effect.flip(pkg.initialize(cred.credential, undefined, { targetName: "HTTP/www.b.test", contextReq: 0, dataRep: 0, input: [], now: 0 }))
      assert.strictEqual(refused.status, "SEC_E_TARGET_UNKNOWN")
      assert.include(refused.detail, "HTTP/www.b.test@B.TEST")
      assert.include(refused.detail, "cross-realm")
      yield* pkg.freeCredentials(cred.credential)
    }))

  it.effect("default_keytab_name and default_ccache_name come from krb5.conf; the environment and explicit options win in turn", () =>
    Effect.gen(function*() {
      const fromConf = yield* resolveSettings({ env: { KRB5_CONFIG: first } })
      assert.strictEqual(fromConf.keytabName, `FILE:${keytab}`)
      assert.strictEqual(fromConf.ccacheName, `DIR:${dir}/collection`)
      const fromEnv = yield* resolveSettings({ env: { KRB5_CONFIG: first, KRB5_KTNAME: "FILE:/env.keytab", KRB5CCNAME: "FILE:/env.cc" } })
      assert.strictEqual(fromEnv.keytabName, "FILE:/env.keytab")
      assert.strictEqual(fromEnv.ccacheName, "FILE:/env.cc")
      const explicit = yield* resolveSettings({ env: { KRB5_CONFIG: first, KRB5_KTNAME: "FILE:/env.keytab" }, keytab: "/option.keytab" })
      assert.strictEqual(explicit.keytabName, "/option.keytab")
      const none = yield* resolveSettings({ krb5Config: "/nonexistent", env: {} })
      assert.strictEqual(none.keytabName, "FILE:/etc/krb5.keytab")
      assert.strictEqual(none.ccacheName, "FILE:/tmp/krb5cc_%{uid}")
      // CredentialCache.resolveDefaultName: the same resolution, path tokens expanded
      assert.strictEqual(yield* CredentialCache.resolveDefaultName({ env: { KRB5_CONFIG: first } }), `DIR:${dir}/collection`)
      assert.strictEqual(yield* CredentialCache.resolveDefaultName({ env: { KRB5_CONFIG: first, KRB5CCNAME: "FILE:/env.cc" } }), "FILE:/env.cc")
      assert.strictEqual(yield* CredentialCache.resolveDefaultName({ env: { KRB5_CONFIG: first, KRB5CCNAME: "FILE:/env.cc" }, ccache: "FILE:/option.cc" }), "FILE:/option.cc")
      assert.strictEqual(yield* CredentialCache.resolveDefaultName({ krb5Config: "/nonexistent", env: {} }), `FILE:/tmp/krb5cc_${process.getuid!()}`)
      // the acceptor's keytab from default_keytab_name, read at acquire
      const grant = yield* acquire(fromConf, request(Flags.CredentialUse.INBOUND))
      assert.deepStrictEqual(grant.credential.serviceKeys.map((e) => e.principal.name.components.join("/")), ["HTTP/web.example"])
    }))

  it.effect("the app's ConfigProvider (fromUnknown) overrides process.env", () =>
    Effect.gen(function*() {
      const other = file("other.conf", "[libdefaults]\n  default_realm = FROM.PROVIDER\n  dns_lookup_kdc = false\n")
      const saved = process.env["KRB5_CONFIG"]
      process.env["KRB5_CONFIG"] = first
      try {
        const ambient = yield* resolveSettings({})
        assert.strictEqual(ambient.defaultRealm, "A.TEST", "without a provider, process.env is read")
        const provided = yield* resolveSettings({}).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({ KRB5_CONFIG: other, SSPI_KRB5_CLOCKSKEW: "90 seconds" }))
        )
        assert.strictEqual(provided.defaultRealm, "FROM.PROVIDER")
        assert.strictEqual(provided.clockSkewMs, 90_000)
        assert.deepStrictEqual(provided.confFiles, [other])
      } finally {
        if (saved === undefined) delete process.env["KRB5_CONFIG"]
        else process.env["KRB5_CONFIG"] = saved
      }
    }))

  it.effect("a config value of the wrong form: SEC_E_INVALID_PARAMETER naming the key, from Kerberos.make and from building Kerberos.layer", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolveSettings({ krb5Config: "/nonexistent", env: { SSPI_KRB5_CLOCKSKEW: "soon" } }))
      assert.strictEqual(error.status, "SEC_E_INVALID_PARAMETER")
      assert.include(error.message, "SSPI_KRB5_CLOCKSKEW")
      const failed = yield* Effect.flip(Kerberos.make({ krb5Config: "/nonexistent", env: { SSPI_KRB5_KDC_TIMEOUT: "x" } }))
      assert.strictEqual(failed.status, "SEC_E_INVALID_PARAMETER")
      assert.include(failed.message, "SSPI_KRB5_KDC_TIMEOUT")
      const layerFailed = yield* Effect.flip(
        Effect.provide(Effect.gen(function*() { return yield* SecurityPackage.SecurityPackages }), Kerberos.layer({ krb5Config: "/nonexistent", env: { SSPI_KRB5_REPLAY_CACHE_SIZE: "many" } }))
      )
      assert.strictEqual(layerFailed.status, "SEC_E_INVALID_PARAMETER")
      assert.include(layerFailed.message, "SSPI_KRB5_REPLAY_CACHE_SIZE")
      // a good configuration still builds
      const pkg = yield* Kerberos.make({ krb5Config: "/nonexistent", env: { SSPI_KRB5_KDC_TIMEOUT: "3 seconds" } })
      assert.strictEqual(pkg.info.name, "Kerberos")
    }))

  it.effect("DIR: collections: the primary file names the cache; asked for a principal, the tkt* cache whose client it is", () =>
    Effect.gen(function*() {
      const collection = Path.join(dir, "collection")
      Fs.mkdirSync(collection, { recursive: true })
      Fs.writeFileSync(Path.join(collection, "tktB0b"), encodeCcache(principal("bob", "A.TEST"), []))
      Fs.writeFileSync(Path.join(collection, "tktA1ice"), encodeCcache(principal("alice", "A.TEST"), []))
      Fs.writeFileSync(Path.join(collection, "primary"), "tktB0b\n")
      const settings = yield* resolveSettings({ env: { KRB5_CONFIG: first } })
      const primary = yield* acquire(settings, request(Flags.CredentialUse.OUTBOUND))
      assert.deepStrictEqual(primary.credential.client?.name.components, ["bob"])
      const alice = yield* acquire(settings, request(Flags.CredentialUse.OUTBOUND, undefined, "alice"))
      assert.deepStrictEqual(alice.credential.client?.name.components, ["alice"])
      const one = yield* acquire(settings, request(Flags.CredentialUse.OUTBOUND, { ccache: `DIR::${collection}/tktA1ice` }))
      assert.deepStrictEqual(one.credential.client?.name.components, ["alice"])
      // no primary file: "tkt", as MIT cc_dir.c
      Fs.rmSync(Path.join(collection, "primary"))
      const missing = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.OUTBOUND)))
      assert.strictEqual(missing.status, "SEC_E_NO_CREDENTIALS")
      assert.include(missing.message, `${collection}/tkt: ENOENT`)
      const nobody = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.OUTBOUND, undefined, "carol")))
      assert.include(nobody.message, "no cache for carol@A.TEST")
    }))

  it.effect("no usable ccache: the client keytab (KRB5_CLIENT_KTNAME), as MIT's gss_acquire_cred; both missing: both named", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5CCNAME: `FILE:${dir}/no-cc`, KRB5_CLIENT_KTNAME: keytab } })
      const grant = yield* acquire(settings, request(Flags.CredentialUse.OUTBOUND, undefined, "host/web.example@A.TEST"))
      assert.deepStrictEqual(grant.credential.client?.name.components, ["host", "web.example"])
      assert.strictEqual(grant.credential.secret?._tag, "Keys")
      const neither = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5CCNAME: `FILE:${dir}/no-cc`, KRB5_CLIENT_KTNAME: `${dir}/no.keytab` } })
      const error = yield* Effect.flip(acquire(neither, request(Flags.CredentialUse.OUTBOUND)))
      assert.include(error.message, `credential cache ${dir}/no-cc: ENOENT`)
      assert.include(error.message, `keytab ${dir}/no.keytab: ENOENT`)
    }))

  it.effect("an unsupported ccache type is named (KEYRING:), never read as a path", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5CCNAME: "KEYRING:persistent:1000" } })
      const error = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.OUTBOUND)))
      assert.strictEqual(error.status, "SEC_E_NO_CREDENTIALS")
      assert.include(error.message, "KEYRING:persistent:1000")
      assert.include(error.message, "type KEYRING")
    }))
})

describe("Kerberos keytab and file errors", () => {
  it.effect("a missing keytab fails at acquire with its path and errno", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5_KTNAME: `FILE:${dir}/none.keytab` } })
      const error = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.INBOUND)))
      assert.strictEqual(error.status, "SEC_E_NO_CREDENTIALS")
      assert.include(error.message, `keytab ${dir}/none.keytab: ENOENT (no such file or directory)`)
    }))

  it.effect("an unreadable keytab (a directory) names the path and errno", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: {} })
      const error = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.INBOUND, { keytab: dir })))
      assert.include(error.message, `keytab ${dir}: EISDIR`)
    }))

  it.effect("a keytab with no key for the principal fails at acquire, naming the path and the principals it holds (no silent empty credential)", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5_KTNAME: keytab } })
      const named = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.INBOUND, undefined, "HTTP/other.example@A.TEST")))
      assert.strictEqual(named.status, "SEC_E_NO_CREDENTIALS")
      assert.strictEqual(
        named.message.split(": ").slice(1).join(": "),
        `keytab ${keytab}: no key for HTTP/other.example@A.TEST; it holds HTTP/web.example@A.TEST, host/web.example@A.TEST`
      )
      // the default keytab, acquired without a principal, with acceptorPrincipals it does not hold
      const picky = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5_KTNAME: keytab }, acceptorPrincipals: ["HTTP/elsewhere"] })
      const none = yield* Effect.flip(acquire(picky, request(Flags.CredentialUse.INBOUND)))
      assert.include(none.message, `keytab ${keytab}: no key for the acceptor principals HTTP/elsewhere; it holds HTTP/web.example@A.TEST`)
      const outbound = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.OUTBOUND, { keytab, principal: "alice@A.TEST" })))
      assert.include(outbound.message, "no key for alice@A.TEST; it holds")
    }))

  it.effect("an empty keytab says it holds no key", () =>
    Effect.gen(function*() {
      const empty = file("empty.keytab", encodeKeytab([]))
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: { KRB5_KTNAME: empty } })
      const error = yield* Effect.flip(acquire(settings, request(Flags.CredentialUse.INBOUND)))
      assert.include(error.message, `keytab ${empty}: no key for any principal; it holds no key`)
    }))
})
