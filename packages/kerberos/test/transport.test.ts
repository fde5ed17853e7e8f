/**
 * KDC transport against the REAL MIT krb5kdc (UDP and TCP on one port): the
 * UDP path, the TCP fallback on KRB_ERR_RESPONSE_TOO_BIG (kdc.conf
 * `kdc_max_dgram_reply_size`), on a silent UDP port and on a closed one. A
 * counting relay (support/kdcProxy.ts) sits between our client and the KDC,
 * so each test proves which transport carried each request. Missing peers:
 * loud skip, or a failure under CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Dgram from "node:dgram"
import { Clock, Duration, Effect, Layer, Redacted } from "effect"
import { Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Drivers, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"
import { send } from "../src/internal/kdc/transport.ts"
import { ErrorCode } from "../src/internal/messages/error.ts"
import { acquire, ALL_REQ } from "./support/interop.ts"
import * as KdcProxy from "./support/kdcProxy.ts"

const hasKrb5 = requirePeersSync("krb5")

const layerFor = (realm: Realm.Realm, options: Kerberos.KerberosOptions) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Kerberos.layer({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env, ...options }))
  )

/**
 * Our initiator (password) ↔ our acceptor with the realm keytab. For
 * `realm.preauthPrincipal` that is three KDC requests (AS-REQ →
 * KDC_ERR_PREAUTH_REQUIRED, AS-REQ with PA-ENC-TIMESTAMP → AS-REP, TGS-REQ →
 * TGS-REP); for `realm.principal` (no pre-authentication required) two.
 */
const handshakeWithOurAcceptor = (realm: Realm.Realm, principal = realm.preauthPrincipal) =>
  Effect.gen(function*() {
    const client = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal, password: Redacted.make(realm.password) })
    const server = yield* acquire(Flags.CredentialUse.INBOUND, { keytab: realm.keytab })
    const c = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
    const s = yield* SecurityContext.acceptor(server)
    const first = yield* c.step()
    assert.strictEqual(first.status, "SEC_I_CONTINUE_NEEDED")
    const reply = yield* s.step(first.token!)
    const second = yield* c.step(reply.token!)
    assert.strictEqual(second.status, "SEC_E_OK")
    const sealed = yield* c.encrypt(new TextEncoder().encode("over the wire"))
    const out = yield* s.decrypt(sealed)
    assert.strictEqual(Buffer.from(out.buffers[1]!.data).toString(), "over the wire")
  })

const transports = (proxy: KdcProxy.KdcProxy) => proxy.seen.map((s) => s.transport)
const udpErrors = (proxy: KdcProxy.KdcProxy) => proxy.seen.filter((s) => s.transport === "udp").map((s) => s.errorCode)

describe("Kerberos KDC transport (MIT krb5kdc, UDP and TCP)", () => {
  it.live.skipIf(!hasKrb5)("UDP only (TCP closed): AS and TGS over UDP ↔ MIT acceptor, mutual auth", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const proxy = yield* KdcProxy.start(realm.kdcPort, { udp: "forward", tcp: "closed" })
      const peer = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
      yield* Effect.gen(function*() {
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, {
          principal: realm.preauthPrincipal,
          password: Redacted.make(realm.password)
        })
        const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
        const first = yield* ours.step()
        assert.strictEqual(first.status, "SEC_I_CONTINUE_NEEDED")
        const reply = yield* Drivers.step(peer, first.token!)
        assert.isTrue(reply.done)
        assert.strictEqual(reply.status?.initiator_name, realm.preauthPrincipal)
        const second = yield* ours.step(reply.token!)
        assert.strictEqual(second.status, "SEC_E_OK")
        const key = Buffer.from((yield* ours.query("SessionKey")).key).toString("base64")
        assert.strictEqual(reply.status?.session_key, key)
      }).pipe(Effect.provide(layerFor(realm, { kdc: [proxy.address], udpPreferenceLimit: 65_535, kdcTimeout: "5 seconds" })))
      // AS-REQ → PREAUTH_REQUIRED, AS-REQ with PA-ENC-TIMESTAMP → AS-REP, TGS-REQ → TGS-REP: all over UDP
      assert.deepStrictEqual(transports(proxy), ["udp", "udp", "udp"])
      assert.deepStrictEqual(udpErrors(proxy), [ErrorCode.KDC_ERR_PREAUTH_REQUIRED, null, null])
    })), 60_000)

  it.live.skipIf(!hasKrb5)("the realm's udp_preference_limit = 1 (krb5.conf) → TCP only", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const proxy = yield* KdcProxy.start(realm.kdcPort)
      yield* handshakeWithOurAcceptor(realm, realm.principal).pipe(Effect.provide(layerFor(realm, { kdc: [proxy.address] })))
      // alice needs no pre-authentication: AS-REQ → AS-REP, TGS-REQ → TGS-REP
      assert.deepStrictEqual(transports(proxy), ["tcp", "tcp"])
    })), 60_000)

  it.live.skipIf(!hasKrb5)("kdc_max_dgram_reply_size = 64: the KDC answers KRB_ERR_RESPONSE_TOO_BIG over UDP → TCP", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start({ maxDgramReplySize: 64 })
      const proxy = yield* KdcProxy.start(realm.kdcPort)
      yield* handshakeWithOurAcceptor(realm).pipe(
        Effect.provide(layerFor(realm, { kdc: [proxy.address], udpPreferenceLimit: 65_535, kdcTimeout: "5 seconds" }))
      )
      // every request: UDP first, the real KDC says "too big", then the same request over TCP
      assert.deepStrictEqual(transports(proxy), ["udp", "tcp", "udp", "tcp", "udp", "tcp"])
      const tooBig = ErrorCode.KRB_ERR_RESPONSE_TOO_BIG
      assert.deepStrictEqual(udpErrors(proxy), [tooBig, tooBig, tooBig])
    })), 60_000)

  it.live.skipIf(!hasKrb5)("a UDP port that never answers → TCP after each UDP time-out", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const proxy = yield* KdcProxy.start(realm.kdcPort, { udp: "drop" })
      const start = yield* Clock.currentTimeMillis
      yield* handshakeWithOurAcceptor(realm).pipe(
        Effect.provide(layerFor(realm, { kdc: [proxy.address], udpPreferenceLimit: 65_535, kdcTimeout: "300 millis" }))
      )
      const elapsed = (yield* Clock.currentTimeMillis) - start
      assert.deepStrictEqual(transports(proxy), ["udp", "tcp", "udp", "tcp", "udp", "tcp"])
      assert.deepStrictEqual(udpErrors(proxy), [undefined, undefined, undefined])
      assert.isAtLeast(elapsed, 3 * 300)
    })), 60_000)

  it.live.skipIf(!hasKrb5)("a closed UDP port (ICMP port unreachable) → TCP at once, without waiting for the time-out", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const proxy = yield* KdcProxy.start(realm.kdcPort, { udp: "closed" })
      const start = yield* Clock.currentTimeMillis
      yield* handshakeWithOurAcceptor(realm).pipe(
        Effect.provide(layerFor(realm, { kdc: [proxy.address], udpPreferenceLimit: 65_535, kdcTimeout: "10 seconds" }))
      )
      const elapsed = (yield* Clock.currentTimeMillis) - start
      assert.deepStrictEqual(transports(proxy), ["tcp", "tcp", "tcp"])
      // three UDP attempts each waiting the 10 s time-out would take 30 s
      assert.isBelow(elapsed, 5_000)
    })), 60_000)
})

describe("Kerberos KDC transport (sockets only)", () => {
  it.live("a UDP datagram from another address or port is not taken as the KDC's reply", () =>
    Effect.scoped(Effect.gen(function*() {
      // the "KDC" receives and stays silent; a forger answers from another port
      const sockets = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          const bind = (s: Dgram.Socket) => new Promise<number>((r) => s.bind(0, "127.0.0.1", () => r(s.address().port)))
          const kdc = Dgram.createSocket("udp4")
          const forger = Dgram.createSocket("udp4")
          await bind(kdc)
          await bind(forger)
          let requests = 0
          kdc.on("message", (_msg, from) => {
            requests++
            forger.send(Uint8Array.from([0x6b, 0x00]), from.port, from.address)
          })
          return { kdc, forger, requests: () => requests }
        }),
        ({ forger, kdc }) => Effect.sync(() => {
          kdc.close()
          forger.close()
        })
      )
      const port = sockets.kdc.address().port
      const error = yield* Effect.flip(
        send({ kdcs: [{ host: "127.0.0.1", port }], udpPreferenceLimit: 65_535, timeout: Duration.millis(300) }, new Uint8Array(16))
      )
      assert.strictEqual(error._tag, "KdcUnreachable")
      assert.strictEqual(sockets.requests(), 1)
    })), 10_000)
})
