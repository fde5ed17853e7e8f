/**
 * fast-check over the entry points issue 9 touched: the acceptor (AP-REQs
 * with any key type and length, any flags and times, byte mutations), keytab
 * loading (any key length), KDC replies from a spoofed KDC (any etype, any
 * session-key length) and the principal parser. Every outcome is SEC_E_OK or
 * a typed SECURITY_STATUS error: never a defect.
 */
import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Credentials, Flags, SecBuffer, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Kerberos } from "../src/index.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { encodeKeytab } from "../src/internal/files/keytab.ts"
import { formatPrincipal, parsePrincipal } from "../src/internal/messages/common.ts"
import { decodeKdcReq, encodeEncKdcRepPart, encodeKdcRep } from "../src/internal/messages/kdc.ts"
import { encodeKrbError } from "../src/internal/messages/error.ts"
import { decodeTicket, encodeTicket } from "../src/internal/messages/ticket.ts"
import { APP_DATA, apReq, keytab } from "./support/forge.ts"
import * as SpoofKdc from "./support/spoofKdc.ts"

const T0 = 36_000_000
const ETYPES = [17, 18, 19, 20, 23, 1, 16]

const runtime = (options: Kerberos.KerberosOptions = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(Kerberos.layer({ krb5Config: "/nonexistent", env: {}, ...options })))

/**
 * The exit's status: "SEC_E_OK", a typed error's status, or "DEFECT". The
 * runtime turns a package's throw into SEC_E_INTERNAL_ERROR, so that counts
 * as a defect here too.
 */
const statusOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isSuccess(exit) ? "SEC_E_OK" : Option.match(Cause.findErrorOption(exit.cause), {
    onNone: () => "DEFECT",
    onSome: (e) => {
      const status = (e as { readonly status?: unknown }).status
      return typeof status === "string" && status !== "SEC_E_INTERNAL_ERROR" ? status : "DEFECT"
    }
  })

const key = fc.record({ keytype: fc.constantFrom(...ETYPES), keyvalue: fc.uint8Array({ minLength: 0, maxLength: 40 }) })

describe("issue 9 entry points never die", () => {
  it.effect("acceptor: forged AP-REQs with any subkey / session key type and length, flags, times, bindings, mutations", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const samples = fc.sample(fc.record({
        subkey: fc.option(key, { nil: undefined }),
        sessionKey: fc.option(key.filter((k) => k.keytype === 18 || k.keytype === 17), { nil: undefined }),
        flags: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }).map((n) => n >>> 0)),
        ctime: fc.integer({ min: -600, max: 600 }).map((s) => T0 + s * 1000),
        starttime: fc.option(fc.integer({ min: -600, max: 600 }).map((s) => T0 + s * 1000), { nil: undefined }),
        bindings: fc.constantFrom<"none" | "other" | "zero" | "random">("none", "other", "zero", "random"),
        mutual: fc.boolean(),
        flip: fc.option(fc.nat(), { nil: undefined, freq: 3 })
      }), { numRuns: 150, seed: 91 })
      const cred = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: keytab() } })
      const seen = new Set<string>()
      for (const s of samples) {
        let token: Uint8Array
        try {
          token = apReq({
            ctime: s.ctime,
            flags: s.flags,
            starttime: s.starttime,
            subkey: s.subkey,
            sessionKey: s.sessionKey?.keyvalue.length === 0 ? undefined : s.sessionKey,
            mutual: s.mutual,
            bindings: s.bindings === "zero" ? new Uint8Array(16) : s.bindings === "random" ? new Uint8Array(randomBytes(16)) : s.bindings
          })
        } catch {
          continue // the forger itself cannot encrypt with that key
        }
        if (s.flip !== undefined) token[s.flip % token.length]! ^= 1 << (s.flip % 8)
        const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          const ctx = yield* SecurityContext.acceptor(cred, { extraInput: [SecBuffer.channelBindings(APP_DATA)] })
          yield* ctx.step(token)
          // an accepted context must protect messages without dying
          const mic = yield* ctx.makeSignature(new Uint8Array([1, 2, 3]))
          const sealed = yield* ctx.encrypt(new Uint8Array(40))
          return [mic, sealed]
        })))
        const status = statusOf(exit)
        seen.add(status)
        assert.notStrictEqual(status, "DEFECT", JSON.stringify({ ...s, subkey: s.subkey && { ...s.subkey, keyvalue: s.subkey.keyvalue.length } }))
      }
      assert.isTrue(seen.has("SEC_E_OK") && seen.size > 3, [...seen].join(", "))
    }).pipe(Effect.scoped, Effect.provide(runtime({ acceptorPrincipals: "any" }))), 60_000)

  it.effect("keytab: any enctype and key length → a credential or SEC_E_UNKNOWN_CREDENTIALS", () =>
    Effect.gen(function*() {
      for (const k of fc.sample(key, { numRuns: 100, seed: 92 })) {
        const bytes = encodeKeytab([{
          principal: { name: { nameType: 2, components: ["HTTP", "localhost"] }, realm: "TEST.REALM" },
          timestamp: 0,
          kvno: 1,
          enctype: k.keytype,
          key: k.keyvalue
        }])
        const exit = yield* Effect.exit(Effect.scoped(Credentials.acquire({
          packageName: "Kerberos",
          credentialUse: Flags.CredentialUse.BOTH,
          authData: { keytab: bytes }
        })))
        const profile = Option.getOrUndefined(enctype(k.keytype))
        const expected = profile !== undefined && profile.keyLength !== k.keyvalue.length ? "SEC_E_UNKNOWN_CREDENTIALS" : "SEC_E_OK"
        assert.strictEqual(statusOf(exit), expected)
      }
    }).pipe(Effect.provide(runtime())))

  it.live("spoofed KDC: AS-REPs in any etype with any session key → typed errors only", () =>
    Effect.gen(function*() {
      const realm = "TEST.REALM"
      const krbtgt = { nameType: 2, components: ["krbtgt", realm] }
      const ticket = Result.getOrThrow(decodeTicket(encodeTicket({ realm, sname: krbtgt, encPart: { etype: 18, kvno: 1, cipher: new Uint8Array(64) } })))
      const p20 = Option.getOrThrow(enctype(20))
      const clientKey = p20.stringToKey(new TextEncoder().encode("pw"), new TextEncoder().encode(`${realm}alice`))
      const samples = fc.sample(fc.record({ repEtype: fc.constantFrom(...ETYPES), sessionKey: key, preauth: fc.boolean() }), { numRuns: 24, seed: 93 })
      for (const s of samples) {
        const answer = (request: Uint8Array, i: number) => {
          if (s.preauth && i === 0) {
            return encodeKrbError({ stime: Date.now(), susec: 0, errorCode: 25, realm, sname: krbtgt })
          }
          const nonce = Result.getOrThrow(decodeKdcReq(request)).body.nonce
          const part = encodeEncKdcRepPart(25, {
            key: s.sessionKey, nonce, flags: 0, authtime: Date.now(), endtime: Date.now() + 3_600_000, srealm: realm, sname: krbtgt
          })
          const cipher = s.repEtype === 20 ? p20.encrypt(clientKey, 3, part) : new Uint8Array(randomBytes(80))
          return encodeKdcRep(11, { padata: [], crealm: realm, cname: { nameType: 1, components: ["alice"] }, ticket, encPart: { etype: s.repEtype, cipher } })
        }
        const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          const kdc = yield* SpoofKdc.start(answer)
          return yield* Effect.scoped(Effect.gen(function*() {
            const cred = yield* Credentials.acquire({
              packageName: "Kerberos",
              credentialUse: Flags.CredentialUse.OUTBOUND,
              authData: { principal: "alice", password: Redacted.make("pw") }
            })
            const ctx = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost" })
            return yield* ctx.step()
          })).pipe(Effect.provide(runtime({ realm, kdc: [kdc.address], udpPreferenceLimit: 1 })))
        })))
        assert.notStrictEqual(statusOf(exit), "DEFECT", JSON.stringify({ ...s, sessionKey: s.sessionKey.keyvalue.length }))
      }
    }), 60_000)

  it("parsePrincipal: format ∘ parse keeps every component and the realm", () => {
    const part = fc.stringMatching(/^[A-Za-z0-9.-]{1,12}$/)
    fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), part, (components, realm) => {
      const text = `${components.join("/")}@${realm}`
      const p = parsePrincipal(text, "DEFAULT")
      assert.deepStrictEqual(p.name.components, components)
      assert.strictEqual(p.realm, realm)
      assert.strictEqual(formatPrincipal(p), text)
      assert.strictEqual(parsePrincipal(components.join("/"), "DEFAULT").realm, "DEFAULT")
    }), { numRuns: 300 })
  })
})
