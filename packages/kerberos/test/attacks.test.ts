/**
 * Every Kerberos attack of issue 9 and of the review before it, each with
 * the exact status the acceptor (or initiator) answers. TestClock drives
 * time; tokens come from the forgery stand-in (test/support/forge.ts) where
 * a real peer cannot produce the case; the MIT-produced cases are in
 * attacks.interop.test.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { Credentials, Flags, ReplayCache, SecBuffer, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Kerberos } from "../src/index.ts"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { initialize } from "../src/internal/context/initiator.ts"
import { replayTtl } from "../src/internal/context/replay.ts"
import { encodeCcache } from "../src/internal/files/ccacheWriter.ts"
import type { KerberosContext } from "../src/internal/context/state.ts"
import { frame, TokenId, unframe } from "../src/internal/gss/framing.ts"
import { decodeApReq, encodeApRep, encodeApReq, encodeEncApRepPart } from "../src/internal/messages/ap.ts"
import { decodeTicket, encodeTicket } from "../src/internal/messages/ticket.ts"
import { resolveSettings } from "../src/internal/settings.ts"
import { aes256, APP_DATA, apReq, type ApReqOptions, GOOD_BINDINGS, keytab, keytabOneAccount } from "./support/forge.ts"

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const SKEW = 5 * MINUTE
const T0 = 10 * HOUR

const runtime = (options: Kerberos.KerberosOptions = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(Kerberos.layer({ krb5Config: "/nonexistent", env: {}, ...options })))

const acceptorWith = (bindings: boolean, keytabBytes: Uint8Array = keytab()) =>
  Effect.gen(function*() {
    const cred = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: keytabBytes } })
    return yield* SecurityContext.acceptor(cred, bindings ? { extraInput: [SecBuffer.channelBindings(APP_DATA)] } : {})
  })

/** One acceptor leg on a fresh context: the status, SEC_E_OK or the error's. */
const accept = (token: Uint8Array, bindings = false) =>
  Effect.scoped(Effect.gen(function*() {
    const ctx = yield* acceptorWith(bindings)
    return yield* ctx.step(token).pipe(
      Effect.map((s) => s.status as string),
      Effect.catch((e) => Effect.succeed(e.status as string))
    )
  }))

const at = (ms: number) => TestClock.setTime(ms)
const unframeAp = (token: Uint8Array) => Result.getOrThrow(unframe(token)).message

describe("Kerberos attacks: replay and clock skew (RFC 4120 3.2.3; issue 9 D)", () => {
  it.effect("a replayed AP-REQ → SEC_E_INVALID_TOKEN (KRB_AP_ERR_REPEAT)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      const token = apReq({ ctime: T0 })
      assert.strictEqual(yield* accept(token), "SEC_E_OK")
      assert.strictEqual(yield* accept(token), "SEC_E_INVALID_TOKEN")
    }).pipe(Effect.provide(runtime())))

  it.effect("the same AP-REQ under another SPN of the same account (AD: one key for HTTP/ and host/) is still a replay", () =>
    Effect.gen(function*() {
      yield* at(T0)
      const token = apReq({ ctime: T0 })
      const req = Result.getOrThrow(decodeApReq(unframeAp(token)))
      // the ticket's sname travels in clear: rename HTTP/localhost to host/localhost
      const renamedTicket = Result.getOrThrow(decodeTicket(encodeTicket({
        realm: req.ticket.realm,
        sname: { nameType: 2, components: ["host", "localhost"] },
        encPart: req.ticket.encPart
      })))
      const renamed = frame(TokenId.AP_REQ, encodeApReq({ ...req, ticket: renamedTicket }))
      const acceptOne = (t: Uint8Array) =>
        Effect.scoped(Effect.gen(function*() {
          const cred = yield* Credentials.acquire({
            packageName: "Kerberos",
            credentialUse: Flags.CredentialUse.INBOUND,
            authData: { keytab: keytabOneAccount() }
          })
          const ctx = yield* SecurityContext.acceptor(cred, {})
          return yield* ctx.step(t).pipe(Effect.map((s) => s.status as string), Effect.catch((e) => Effect.succeed(e.status as string)))
        }))
      assert.strictEqual(yield* acceptOne(token), "SEC_E_OK")
      assert.strictEqual(yield* acceptOne(renamed), "SEC_E_INVALID_TOKEN", "replayed under host/localhost")
    }).pipe(Effect.provide(runtime({ acceptorPrincipals: "any" }))))

  it.effect("authenticator outside the skew (either side) → SEC_E_TIME_SKEW", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0 - SKEW - 1000 })), "SEC_E_TIME_SKEW")
      assert.strictEqual(yield* accept(apReq({ ctime: T0 + SKEW + 1000 })), "SEC_E_TIME_SKEW")
    }).pipe(Effect.provide(runtime())))

  it.effect("at now == ctime + skew: accepted once, the replay at that same instant refused (was SEC_E_OK twice)", () =>
    Effect.gen(function*() {
      const token = apReq({ ctime: T0 })
      yield* at(T0)
      assert.strictEqual(yield* accept(token), "SEC_E_OK")
      yield* at(T0 + SKEW)
      assert.strictEqual(yield* accept(token), "SEC_E_INVALID_TOKEN")
      yield* at(T0 + SKEW + 1)
      assert.strictEqual(yield* accept(token), "SEC_E_TIME_SKEW")
      const late = apReq({ ctime: T0 })
      yield* at(T0 + SKEW)
      assert.strictEqual(yield* accept(late), "SEC_E_OK")
      assert.strictEqual(yield* accept(late), "SEC_E_INVALID_TOKEN")
    }).pipe(Effect.provide(runtime())))

  it.effect("property: at every offset around both skew boundaries, an AP-REQ is accepted at most once", () =>
    Effect.gen(function*() {
      const boundary = fc.integer({ min: -3, max: 3 })
      const samples = fc.sample(
        fc.tuple(fc.constantFrom(-SKEW, 0, SKEW), boundary, fc.constantFrom(-SKEW, 0, SKEW), boundary, fc.integer({ min: 0, max: 2 })),
        { numRuns: 60, seed: 9 }
      )
      let base = T0
      for (const [firstEdge, d1, replayEdge, d2, cusec] of samples) {
        base += HOUR
        const ctime = base
        const token = apReq({ ctime, cusec })
        const t1 = ctime + firstEdge + d1
        yield* at(t1)
        const first = yield* accept(token)
        assert.strictEqual(first, Math.abs(t1 - ctime) <= SKEW ? "SEC_E_OK" : "SEC_E_TIME_SKEW", `first at ${t1 - ctime}`)
        const t2 = Math.max(t1, ctime + replayEdge + d2)
        yield* at(t2)
        const second = yield* accept(token)
        assert.notStrictEqual(second, first === "SEC_E_OK" ? "SEC_E_OK" : "__never__", `replay at ${t2 - ctime}`)
        if (first === "SEC_E_OK") {
          assert.strictEqual(second, Math.abs(t2 - ctime) <= SKEW ? "SEC_E_INVALID_TOKEN" : "SEC_E_TIME_SKEW")
        }
      }
    }).pipe(Effect.provide(runtime())))
})

describe("Kerberos attacks: ticket flags and times (RFC 4120 3.2.3, 5.3; issue 9 E)", () => {
  it.effect("a postdated ticket never validated (INVALID flag), starttime within the skew → SEC_E_TIME_SKEW (was SEC_E_OK)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      const POSTDATED_INVALID = 0x02000000 | 0x01000000
      assert.strictEqual(yield* accept(apReq({ ctime: T0, flags: POSTDATED_INVALID, starttime: T0 + 2 * MINUTE })), "SEC_E_TIME_SKEW")
      assert.strictEqual(yield* accept(apReq({ ctime: T0, flags: 0x02000000, starttime: T0 + 2 * MINUTE })), "SEC_E_OK")
    }).pipe(Effect.provide(runtime())))

  it.effect("starttime and endtime checked with the skew, inclusive at every boundary (to the millisecond)", () =>
    Effect.gen(function*() {
      // KerberosTime has whole seconds: the boundaries are crossed by moving the clock
      const S = T0 + 2 * MINUTE
      const cases: ReadonlyArray<[number, ApReqOptions, string]> = [
        [S - SKEW, { ctime: S - SKEW, starttime: S }, "SEC_E_OK"],
        [S - SKEW - 1, { ctime: S - SKEW, starttime: S }, "SEC_E_TIME_SKEW"],
        [S - SKEW - 1, { ctime: S - SKEW, authtime: S }, "SEC_E_TIME_SKEW"],
        [S + SKEW, { ctime: S + SKEW, endtime: S, authtime: S - HOUR }, "SEC_E_OK"],
        [S + SKEW + 1, { ctime: S + SKEW, endtime: S, authtime: S - HOUR }, "SEC_E_CONTEXT_EXPIRED"]
      ]
      for (const [now, o, status] of cases) {
        yield* at(now)
        assert.strictEqual(yield* accept(apReq(o)), status, `${now - S} ${JSON.stringify(o)}`)
      }
    }).pipe(Effect.provide(runtime())))
})

describe("Kerberos attacks: channel bindings (RFC 4121 4.1.1.2; issue 9 F)", () => {
  const wrong = new Uint8Array(16).fill(7)
  const table: ReadonlyArray<[string, Uint8Array | "none" | "other", Record<"off" | "whenSupported" | "required", string>]> = [
    ["right bindings", GOOD_BINDINGS, { off: "SEC_E_OK", whenSupported: "SEC_E_OK", required: "SEC_E_OK" }],
    ["no checksum", "none", { off: "SEC_E_OK", whenSupported: "SEC_E_OK", required: "SEC_E_BAD_BINDINGS" }],
    ["another checksum type", "other", { off: "SEC_E_OK", whenSupported: "SEC_E_OK", required: "SEC_E_BAD_BINDINGS" }],
    ["all-zero bindings", new Uint8Array(16), { off: "SEC_E_OK", whenSupported: "SEC_E_OK", required: "SEC_E_BAD_BINDINGS" }],
    ["wrong bindings", wrong, { off: "SEC_E_OK", whenSupported: "SEC_E_BAD_BINDINGS", required: "SEC_E_BAD_BINDINGS" }]
  ]
  for (const level of ["off", "whenSupported", "required"] as const) {
    it.effect(`extendedProtection "${level}"`, () =>
      Effect.gen(function*() {
        yield* at(T0)
        for (const [what, bindings, expected] of table) {
          assert.strictEqual(yield* accept(apReq({ ctime: T0, bindings }), true), expected[level], what)
        }
        // without acceptor bindings (plain HTTP) nothing is checked
        assert.strictEqual(yield* accept(apReq({ ctime: T0, bindings: "none" }), false), "SEC_E_OK")
      }).pipe(Effect.provide(runtime({ extendedProtection: level }))))
  }
  it.effect("the caller's per-call level (HandshakeRequest.extendedProtection, set by the HTTP server) overrides the package's", () =>
    Effect.gen(function*() {
      const pkg = yield* Kerberos.make({ krb5Config: "/nonexistent", env: {}, extendedProtection: "off" })
      const { credential } = yield* pkg.acquireCredentials({
        principal: undefined,
        credentialUse: Flags.CredentialUse.INBOUND,
        authData: { keytab: keytab() },
        now: T0
      })
      const leg = (level: "required" | undefined) =>
        pkg.accept(credential, undefined, {
          targetName: undefined,
          contextReq: 0,
          dataRep: 0,
          input: [SecBuffer.token(apReq({ ctime: T0, bindings: "none" })), SecBuffer.channelBindings(APP_DATA)],
          now: T0,
          extendedProtection: level
        }).pipe(Effect.map((s) => s.status as string), Effect.catch((e) => Effect.succeed(e.status as string)))
      assert.strictEqual(yield* leg("required"), "SEC_E_BAD_BINDINGS")
      assert.strictEqual(yield* leg(undefined), "SEC_E_OK")
    }))

  it.effect("default is whenSupported", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0, bindings: "none" }), true), "SEC_E_OK")
      assert.strictEqual(yield* accept(apReq({ ctime: T0, bindings: wrong }), true), "SEC_E_BAD_BINDINGS")
    }).pipe(Effect.provide(runtime())))
})

describe("Kerberos attacks: key lengths (RFC 3961 3; issue 9 G, D3, D4)", () => {
  it.effect("a 5-byte aes256 authenticator subkey → SEC_E_INVALID_TOKEN (was SEC_E_OK, then a RangeError defect)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      for (const mutual of [true, false]) {
        const token = apReq({ ctime: T0, mutual, subkey: { keytype: 18, keyvalue: new Uint8Array(5) } })
        assert.strictEqual(yield* accept(token), "SEC_E_INVALID_TOKEN")
      }
      // a 16-byte aes128 subkey is fine, and protects messages
      const ok = yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* acceptorWith(false)
        yield* ctx.step(apReq({ ctime: T0, mutual: false, subkey: { keytype: 17, keyvalue: new Uint8Array(16).fill(1) } }))
        return (yield* ctx.makeSignature(new Uint8Array([1]))).length
      }))
      assert.isAbove(ok, 0)
    }).pipe(Effect.provide(runtime())))

  it.effect("an AP-REP whose acceptor subkey is a 5-byte aes256 key → SEC_E_INVALID_TOKEN at the initiator (was SEC_E_OK, then a RangeError)", () =>
    Effect.gen(function*() {
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: {} })
      const sessionKey = { keytype: 18, keyvalue: new Uint8Array(32).fill(3) }
      const state: KerberosContext = {
        role: "initiator",
        stage: "awaitApRep",
        client: { name: { nameType: 1, components: ["alice"] }, realm: "TEST.REALM" },
        server: { name: { nameType: 2, components: ["HTTP", "localhost"] }, realm: "TEST.REALM" },
        sessionKey,
        initiatorSubkey: undefined,
        acceptorSubkey: undefined,
        ctime: T0,
        cusec: 0,
        sendSeq: 1,
        recvSeq: 1,
        gssFlags: 2 | 16 | 32,
        expiry: T0 + HOUR
      }
      const part = encodeEncApRepPart({ ctime: T0, cusec: 0, subkey: { keytype: 18, keyvalue: new Uint8Array(5) }, seqNumber: 9 })
      const token = frame(TokenId.AP_REP, encodeApRep({ etype: 18, cipher: aes256.encrypt(sessionKey.keyvalue, 12, part) }))
      const error = yield* Effect.flip(initialize(settings, undefined as never, state, {
        targetName: "HTTP/localhost",
        contextReq: 0,
        dataRep: 0,
        input: [SecBuffer.token(token)],
        now: T0
      }))
      assert.strictEqual(error.status, "SEC_E_INVALID_TOKEN")
    }))

  it.effect("a ticket whose aes256 session key has 6 bytes → SEC_E_INVALID_TOKEN (was a RangeError defect)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0, sessionKey: { keytype: 18, keyvalue: new Uint8Array(6) } })), "SEC_E_INVALID_TOKEN")
    }).pipe(Effect.provide(runtime())))

  it.effect("a keytab whose aes256 key has 20 bytes → SEC_E_UNKNOWN_CREDENTIALS at acquire", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Credentials.acquire({
        packageName: "Kerberos",
        credentialUse: Flags.CredentialUse.INBOUND,
        authData: { keytab: keytab(20) }
      }))
      assert.strictEqual(error.status, "SEC_E_UNKNOWN_CREDENTIALS")
    }).pipe(Effect.scoped, Effect.provide(runtime())))
})

describe("Kerberos attacks: credential cache keys (RFC 3961 3; issue 9 G)", () => {
  it.effect("a ccache whose aes256 session key has 7 bytes → SEC_E_UNKNOWN_CREDENTIALS at acquire (was a RangeError at first use)", () =>
    Effect.gen(function*() {
      const alice = { name: { nameType: 1, components: ["alice"] }, realm: "TEST.REALM" }
      const ticketDer = Result.getOrThrow(decodeApReq(unframeAp(apReq({ ctime: T0 })))).ticket.der
      const entry = (length: number) => ({
        client: alice,
        server: { name: { nameType: 2, components: ["HTTP", "localhost"] }, realm: "TEST.REALM" },
        key: { keytype: 18, keyvalue: new Uint8Array(length) },
        authtime: T0,
        starttime: T0,
        endtime: T0 + HOUR,
        renewTill: 0,
        flags: 0,
        ticket: ticketDer
      })
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "krb-attack-"))
      const status = (length: number) => {
        const file = Path.join(dir, `cc${length}`)
        Fs.writeFileSync(file, encodeCcache(alice, [entry(length)]))
        return Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ccache: `FILE:${file}` } }).pipe(
          Effect.as("SEC_E_OK"),
          Effect.catch((e) => Effect.succeed(e.status as string)),
          Effect.scoped
        )
      }
      assert.strictEqual(yield* status(7), "SEC_E_UNKNOWN_CREDENTIALS")
      assert.strictEqual(yield* status(32), "SEC_E_OK")
      Fs.rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(runtime())))
})

describe("Kerberos attacks: tickets for other principals (issue 9 H; RFC 4120 3.2.3 KRB_AP_ERR_NOT_US)", () => {
  it.effect("keytab acceptor without a principal: only the keytab's first principal by default", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0, service: "HTTP" })), "SEC_E_OK")
      assert.strictEqual(yield* accept(apReq({ ctime: T0, service: "host" })), "SEC_E_WRONG_PRINCIPAL")
    }).pipe(Effect.provide(runtime())))

  it.effect("acceptorPrincipals: a list, or \"any\" (MIT's default)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      const run = (acceptorPrincipals: ReadonlyArray<string> | "any", service: "HTTP" | "host") =>
        accept(apReq({ ctime: T0, service })).pipe(
          Effect.catch((e) => Effect.succeed(e.status as string)),
          Effect.provide(runtime({ acceptorPrincipals }))
        )
      assert.strictEqual(yield* run(["host/localhost"], "host"), "SEC_E_OK", "listed")
      assert.strictEqual(yield* run(["host/localhost"], "HTTP"), "SEC_E_WRONG_PRINCIPAL", "not listed")
      // no key for a configured name: the credential itself is refused
      assert.strictEqual(yield* run(["HTTP/localhost@OTHER.REALM"], "HTTP"), "SEC_E_NO_CREDENTIALS", "other realm")
      assert.strictEqual(yield* run(["HTTP/localhost@TEST.REALM"], "HTTP"), "SEC_E_OK", "with realm")
      assert.strictEqual(yield* run("any", "host"), "SEC_E_OK", "any")
    }))
})

describe("Kerberos attacks already refused before issue 9", () => {
  it.effect("kvno unknown → SEC_E_WRONG_PRINCIPAL (KRB_AP_ERR_BADKEYVER)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0, kvno: 3 })), "SEC_E_WRONG_PRINCIPAL")
    }).pipe(Effect.provide(runtime())))

  it.effect("another realm → SEC_E_WRONG_PRINCIPAL (KRB_AP_ERR_NOT_US)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0, realm: "EVIL.REALM" })), "SEC_E_WRONG_PRINCIPAL")
    }).pipe(Effect.provide(runtime())))

  it.effect("authenticator cname ≠ ticket cname → SEC_E_INVALID_TOKEN (KRB_AP_ERR_BADMATCH)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      assert.strictEqual(yield* accept(apReq({ ctime: T0, ticketClient: "alice", authenticatorClient: "admin" })), "SEC_E_INVALID_TOKEN")
    }).pipe(Effect.provide(runtime())))

  it.effect("a tampered ticket or authenticator → SEC_E_LOGON_DENIED (KRB_AP_ERR_BAD_INTEGRITY)", () =>
    Effect.gen(function*() {
      yield* at(T0)
      const token = apReq({ ctime: T0 })
      const last = token.slice()
      last[last.length - 1]! ^= 1
      assert.strictEqual(yield* accept(last), "SEC_E_LOGON_DENIED")
    }).pipe(Effect.provide(runtime())))
})

describe("Replay cache under load (issue 9 I; TestClock)", () => {
  it.effect("1,000 AP-REQ/s for 10 simulated minutes straight into the cache: 0 honest refusals, every replay refused", () =>
    Effect.gen(function*() {
      const cache = yield* ReplayCache.makeMemory()
      // the acceptor's own rule (replay.ts), so the test drives exactly what accept records
      const ttl = (ctime: number, now: number) => replayTtl(ctime, now, SKEW)
      let refusedHonest = 0
      let replaysAccepted = 0
      let replays = 0
      const key = (n: number) => {
        const k = new Uint8Array(32)
        new DataView(k.buffer).setFloat64(0, n)
        return k
      }
      yield* at(T0)
      for (let second = 0; second < 600; second++) {
        const now = T0 + second * 1000
        for (let i = 0; i < 1000; i++) {
          const n = second * 1000 + i
          // honest clients' clocks: up to ±2 minutes off
          const ctime = now + ((n * 7919) % 240_001) - 120_000
          const v = yield* cache.record(key(n), ttl(ctime, now)).pipe(
            Effect.catch(() => Effect.succeed("Refused" as const))
          )
          if (v !== "Fresh") refusedHonest++
        }
        // replay 50 earlier authenticators that are still within their skew
        for (let j = 0; j < 50; j++) {
          const back = (second * 50 + j * 37) % Math.min(second * 1000 + 1, 180_000)
          const n = second * 1000 - back
          if (n < 0) continue
          const ctime = T0 + Math.floor(n / 1000) * 1000 + ((n * 7919) % 240_001) - 120_000
          if (Math.abs(ctime - now) > SKEW) continue
          replays++
          const v = yield* cache.record(key(n), ttl(ctime, now)).pipe(
            Effect.catch(() => Effect.succeed("Refused" as const))
          )
          if (v === "Fresh") replaysAccepted++
        }
        yield* TestClock.adjust("1 second")
      }
      const stats = yield* cache.stats!
      assert.strictEqual(refusedHonest, 0)
      assert.strictEqual(replaysAccepted, 0)
      assert.strictEqual(replays, 30_000)
      assert.strictEqual(stats.fresh, 600_000)
      assert.strictEqual(stats.replays, replays)
      assert.strictEqual(stats.forgotten, 0)
      assert.strictEqual(stats.refused, 0)
      assert.isAtMost(stats.size, 600_000)
      assert.isAbove(stats.expired, 0)
    }), 60_000)
})
