/**
 * Ticket expiry in REAL time against the REAL MIT KDC: tickets from `kinit
 * -l` (or our AS exchange) that live a second or three, waited out with
 * bounded real sleeps. Missing peers: loud skip, or a failure under CI=true.
 *
 * Not covered here: an acceptor handed a ticket that is already past its end
 * time. Both our initiator and MIT's refuse to build an AP-REQ from an expired
 * ticket, and an honest AP-REQ cannot fail only the ticket-expiry check (the
 * acceptor allows the clock skew on the ticket's end time, and an
 * authenticator older than the skew fails the skew check first) — see
 * test/timing.test.ts, which drives that check with TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Duration, Effect, Layer, Redacted } from "effect"
import { Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Drivers, Ours, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"
import { acquire, ALL_REQ } from "./support/interop.ts"
import * as KdcProxy from "./support/kdcProxy.ts"

const hasKrb5 = requirePeersSync("krb5")

const layerFor = (realm: Realm.Realm, options: Kerberos.KerberosOptions = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Kerberos.layer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env, ...options }))
  )

const enc = (text: string) => new TextEncoder().encode(text)

/** Real-time sleep until just past `end` (epoch ms), at most 5 s. */
const sleepPast = (end: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    assert.isBelow(end - now, 5_000, "the ticket lives longer than this test wants to wait")
    return Effect.sleep(Duration.millis(Math.max(0, end - now) + 50))
  })

const idle = { credentials: 0, contexts: 0, asyncContexts: 0, calls: 0 }

/**
 * The runtime's stats once its call fibers have drained: a call's fiber
 * settles the caller's result just before it ends, so `calls` may read 1 for
 * a moment after the scope closed. Polls for at most 1 s.
 */
const settledStats = Effect.gen(function*() {
  let stats = yield* SspiRuntime.stats
  for (let i = 0; i < 100 && stats.calls > 0; i++) {
    yield* Effect.sleep(Duration.millis(10))
    stats = yield* SspiRuntime.stats
  }
  return stats
})

describe("Kerberos ticket expiry in real time (MIT krb5kdc)", () => {
  it.live.skipIf(!hasKrb5)("a kinit ccache whose TGT has ended → SEC_E_CONTEXT_EXPIRED, and nothing leaks", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm, { lifetime: "1s" })
      yield* Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { ccache: realm.env["KRB5CCNAME"] })
          // the credential's expiry is the TGT's end time, at most 1 s away
          assert.isAtMost(cred.expiry - (yield* Clock.currentTimeMillis), 1_000)
          yield* sleepPast(cred.expiry)
          const ctx = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
          const error = yield* Effect.flip(ctx.step())
          assert.strictEqual(error.status, "SEC_E_CONTEXT_EXPIRED")
          // acquired after the end: the same
          const late = yield* acquire(Flags.CredentialUse.OUTBOUND, { ccache: realm.env["KRB5CCNAME"] })
          assert.isAtMost(late.expiry, yield* Clock.currentTimeMillis)
          const again = yield* SecurityContext.initiator(late, { targetName: "HTTP@localhost" })
          assert.strictEqual((yield* Effect.flip(again.step())).status, "SEC_E_CONTEXT_EXPIRED")
          const during = yield* SspiRuntime.stats
          assert.strictEqual(during.credentials, 2)
          assert.strictEqual(during.contexts, 0, "a failed first leg leaves no context")
        }))
        assert.deepStrictEqual(yield* settledStats, idle)
      }).pipe(Effect.provide(layerFor(realm)))
    })), 60_000)

  it.live.skipIf(!hasKrb5)("our initiator (kinit -l 3s) ↔ MIT acceptor: our context stops at the ticket's end", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const peer = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
      yield* Realm.kinit(realm, { lifetime: "3s" })
      yield* Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { ccache: realm.env["KRB5CCNAME"] })
          const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
          const first = yield* ours.step()
          const reply = yield* Drivers.step(peer, first.token!)
          assert.isTrue(reply.done)
          // MIT's acceptor ends its context at the ticket's end plus its clock
          // skew (5 minutes): lifetime in seconds, at most 3 + 300. Ours (and
          // our acceptor's) is the ticket's end time itself.
          assert.isAtMost(reply.status?.lifetime ?? Infinity, 3 + 300)
          const second = yield* ours.step(reply.token!)
          assert.strictEqual(second.status, "SEC_E_OK")
          // the service ticket ends with the TGT (its `till`)
          assert.strictEqual(second.expiry, cred.expiry)
          const lifespan = yield* ours.query("Lifespan")
          assert.strictEqual(lifespan.expiry, second.expiry)
          // before the end: messages both ways
          yield* Ours.exchangeMessages(ours, peer, Ours.kerberosFraming)
          const fromPeer = yield* Drivers.wrap(peer, enc("sealed before the end"))
          const mic = yield* Drivers.getMic(peer, enc("signed before the end"))
          yield* sleepPast(second.expiry)
          // after: every message function refuses
          const refused = [
            yield* Effect.flip(ours.encrypt(enc("late"))),
            yield* Effect.flip(ours.makeSignature(enc("late"))),
            yield* Effect.flip(ours.decrypt(Ours.kerberosFraming.split(fromPeer.token))),
            yield* Effect.flip(ours.verifySignature(enc("signed before the end"), mic))
          ]
          assert.deepStrictEqual(refused.map((e) => e.status), Array(4).fill("SEC_E_CONTEXT_EXPIRED"))
          // (MIT's acceptor still wraps here: its context lives 5 minutes longer.)
        }))
        assert.deepStrictEqual(yield* settledStats, idle)
      }).pipe(Effect.provide(layerFor(realm)))
    })), 60_000)

  it.live.skipIf(!hasKrb5)("our initiator (password, 3 s tickets) ↔ our acceptor: both contexts expire; the credential then gets new tickets", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const proxy = yield* KdcProxy.start(realm.kdcPort)
      yield* Effect.gen(function*() {
        yield* Effect.scoped(Effect.gen(function*() {
          const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make(realm.password) })
          const server = yield* acquire(Flags.CredentialUse.INBOUND, { keytab: realm.keytab })
          const handshake = Effect.gen(function*() {
            const c = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
            const s = yield* SecurityContext.acceptor(server)
            const first = yield* c.step()
            const reply = yield* s.step(first.token!)
            const second = yield* c.step(reply.token!)
            assert.strictEqual(second.status, "SEC_E_OK")
            assert.strictEqual(reply.expiry, second.expiry, "both sides end with the ticket")
            const out = yield* s.decrypt(yield* c.encrypt(enc("hello")))
            assert.strictEqual(Buffer.from(out.buffers[1]!.data).toString(), "hello")
            return { c, s, expiry: second.expiry }
          })
          const one = yield* handshake
          assert.isAtMost(one.expiry - (yield* Clock.currentTimeMillis), 3_000)
          assert.strictEqual(proxy.seen.length, 2, "AS and TGS")
          const sealed = yield* one.c.encrypt(enc("sealed before the end"))
          yield* sleepPast(one.expiry)
          assert.strictEqual((yield* Effect.flip(one.c.encrypt(enc("late")))).status, "SEC_E_CONTEXT_EXPIRED")
          assert.strictEqual((yield* Effect.flip(one.s.decrypt(sealed))).status, "SEC_E_CONTEXT_EXPIRED")
          assert.strictEqual((yield* Effect.flip(one.s.makeSignature(enc("late")))).status, "SEC_E_CONTEXT_EXPIRED")
          // the same credential: its cached TGT and service ticket have ended, so a new AS and TGS exchange
          const two = yield* handshake
          assert.isAbove(two.expiry, one.expiry)
          assert.strictEqual(proxy.seen.length, 4, "a second AS and TGS exchange")
        }))
        assert.deepStrictEqual(yield* settledStats, idle)
      }).pipe(Effect.provide(layerFor(realm, { kdc: [proxy.address], ticketLifetime: "3 seconds" })))
    })), 60_000)
})
