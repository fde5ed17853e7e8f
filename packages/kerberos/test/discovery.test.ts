/**
 * KDC discovery (issue 11 item 4), unit level: RFC 2782 ordering of SRV
 * answers (priorities, weights), the SRV → address resolution through
 * effect's `Dns` service (an in-memory zone, `Dns.makeStatic`), every wait
 * bounded under TestClock (a silent DNS server, a silent KDC), and the KDC
 * that answered tried first next time. The real DNS peer (the Samba DC's)
 * is in discovery.samba.test.ts.
 */
import * as Dgram from "node:dgram"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import * as Dns from "effect/net/Dns"
import * as Host from "effect/net/Host"
import * as NetAddress from "effect/net/NetAddress"
import { SilentKdc } from "@effect-sspi/interop-harness"
import * as fc from "fast-check"
import { discoverKdcs, orderSrv, type SrvTarget } from "../src/internal/kdc/discovery.ts"
import { decodeSrvReply, encodeSrvQuery } from "../src/internal/kdc/discoverySrv.ts"
import { resolveSettings } from "../src/internal/settings.ts"
import * as SpoofKdc from "./support/spoofKdc.ts"

const srv = (target: string, port: number, priority: number, weight: number) =>
  Dns.makeRecordUnsafe("SRV", { target: Host.domainNameFromStringUnsafe(`${target}.`), port, priority, weight })
const a = (ip: string) => Dns.makeRecordUnsafe("A", { address: NetAddress.ipFromStringUnsafe(ip) as NetAddress.Ipv4Address })

/** A deterministic [0, 1) sequence (LCG). */
const lcg = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

describe("KDC discovery: RFC 2782 ordering", () => {
  it("priorities ascend; inside one priority, the running-sum pick (weight-0 records first in the sum)", () => {
    const records: Array<SrvTarget> = [
      { target: "c", port: 88, priority: 20, weight: 0 },
      { target: "a", port: 88, priority: 10, weight: 60 },
      { target: "b", port: 88, priority: 10, weight: 40 },
      { target: "z", port: 88, priority: 10, weight: 0 }
    ]
    // sum 100: random 0 → pick 0 → the weight-0 record z (RFC 2782: "placed at the beginning")
    assert.deepStrictEqual(orderSrv(records, () => 0).map((r) => r.target), ["z", "a", "b", "c"])
    // random 0.99 → pick 99 of 100: running sums z 0, a 60, b 100 → b; then sum 60, pick 59 → a; then z
    assert.deepStrictEqual(orderSrv(records, () => 0.99).map((r) => r.target), ["b", "a", "z", "c"])
  })

  it("weights are honoured in proportion (3:1 over 4,000 draws)", () => {
    const random = lcg(7)
    let heavyFirst = 0
    for (let i = 0; i < 4000; i++) {
      const [head] = orderSrv([{ target: "heavy", port: 88, priority: 0, weight: 75 }, { target: "light", port: 88, priority: 0, weight: 25 }], random)
      if (head!.target === "heavy") heavyFirst++
    }
    assert.approximately(heavyFirst / 4000, 75 / 101 + 1 / 101, 0.03)
  })
})

describe("KDC discovery through effect's Dns service", () => {
  const zone = Result.getOrThrow(Dns.makeStatic({
    records: {
      "_kerberos._udp.a.test": [srv("kdc2.a.test", 88, 10, 0), srv("kdc1.a.test", 88, 0, 0)],
      "_kerberos._tcp.a.test": [srv("kdc1.a.test", 88, 0, 0), srv("tcponly.a.test", 8888, 5, 0)],
      "kdc1.a.test": [a("10.0.0.1")],
      "kdc2.a.test": [a("10.0.0.2")]
    }
  }))

  it.effect("UDP records in priority order, then TCP-only targets (TCP only); targets resolved through the same resolver, else kept by name", () =>
    Effect.gen(function*() {
      const kdcs = yield* discoverKdcs("A.TEST", { dns: zone, nameServers: [], timeout: Duration.seconds(3) })
      assert.deepStrictEqual(kdcs, [
        { host: "10.0.0.1", port: 88, name: "kdc1.a.test", transport: undefined },
        { host: "10.0.0.2", port: 88, name: "kdc2.a.test", transport: undefined },
        { host: "tcponly.a.test", port: 8888, name: "tcponly.a.test", transport: "tcp" }
      ])
    }))

  it.effect("no SRV record: DiscoveryFailed saying so; a krb5.conf realm without KDCs uses discovery, dns_lookup_kdc = false does not", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(discoverKdcs("NONE.TEST", { dns: zone, nameServers: [], timeout: Duration.seconds(3) }))
      assert.strictEqual(error._tag, "DiscoveryFailed")
      const settings = yield* resolveSettings({ krb5Config: "/nonexistent", env: {}, realm: "A.TEST" }).pipe(
        Effect.provide(Layer.succeed(Dns.Dns, zone))
      )
      assert.deepStrictEqual((yield* settings.kdcsFor("A.TEST")).map((k) => k.host), ["10.0.0.1", "10.0.0.2", "tcponly.a.test"])
      const off = yield* resolveSettings({ krb5Config: "/nonexistent", env: {}, realm: "A.TEST", dnsLookupKdc: false }).pipe(
        Effect.provide(Layer.succeed(Dns.Dns, zone))
      )
      assert.deepStrictEqual(yield* off.kdcsFor("A.TEST"), [])
      const failed = yield* Effect.flip(settings.send("NONE.TEST", new Uint8Array(10)))
      assert.strictEqual(failed.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.include(failed.message, "realm NONE.TEST: no KDC in krb5.conf")
      assert.include(failed.message, "SRV _kerberos._udp.NONE.TEST")
    }))
})

describe("every wait is bounded (TestClock)", () => {
  it.effect("a DNS server that never answers: DiscoveryFailed after the time-out, not c-ares' retries", () =>
    Effect.scoped(Effect.gen(function*() {
      const socket = Dgram.createSocket("udp4")
      yield* Effect.acquireRelease(
        Effect.callback<void>((resume) => void socket.bind(0, "127.0.0.1", () => resume(Effect.void))),
        () => Effect.sync(() => socket.close())
      )
      const port = socket.address().port
      const fiber = yield* Effect.forkChild(
        Effect.flip(discoverKdcs("SILENT.TEST", { dns: undefined, nameServers: [`127.0.0.1:${port}`], timeout: Duration.seconds(2) }))
      )
      for (let i = 0; i < 5; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
      }
      const error = yield* Fiber.join(fiber)
      assert.include(error.reason, "no DNS answer within 2s")
    })))

  it.effect("several KDCs in order: a silent one is given up after kdc_timeout, the next answers, and is tried first next time", () =>
    Effect.scoped(Effect.gen(function*() {
      const silent = yield* SilentKdc.start
      const answering = yield* SpoofKdc.start(() => Uint8Array.of(0x30, 0x00))
      const settings = yield* resolveSettings({
        krb5Config: "/nonexistent",
        env: {},
        realm: "T.TEST",
        kdc: [`tcp/${silent.address}`, `tcp/${answering.address}`],
        kdcTimeout: "3 seconds"
      })
      const fiber = yield* Effect.forkChild(settings.send("T.TEST", new Uint8Array(10)))
      for (let i = 0; i < 4; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
      }
      // the real socket I/O of the answering KDC needs real time
      const reply = yield* Fiber.join(fiber)
      assert.deepStrictEqual([...reply], [0x30, 0x00])
      const next = yield* settings.kdcsFor("T.TEST")
      assert.deepStrictEqual(next.map((k) => `${k.host}:${k.port}`), [answering.address, silent.address])
    })), { timeout: 20_000 })

  it.effect("no KDC answers: SEC_E_NO_AUTHENTICATING_AUTHORITY naming the realm and every address tried", () =>
    Effect.scoped(Effect.gen(function*() {
      const silent = yield* SilentKdc.start
      const settings = yield* resolveSettings({
        krb5Config: "/nonexistent",
        env: {},
        realm: "T.TEST",
        kdc: ["127.0.0.1:1", `tcp/${silent.address}`],
        kdcTimeout: "3 seconds"
      })
      const fiber = yield* Effect.forkChild(Effect.flip(settings.send("T.TEST", new Uint8Array(10))))
      for (let i = 0; i < 10; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
      }
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.status, "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.include(error.message, "realm T.TEST: no KDC answered (tried udp 127.0.0.1:1:")
      assert.include(error.message, "tcp 127.0.0.1:1:")
      assert.include(error.message, `tcp ${silent.address}: no reply within 3s`)
      assert.notInclude(error.message.toLowerCase(), "password")
    })), { timeout: 20_000 })
})

/** The reply Samba 4.17's internal DNS gave to `_kerberos._udp.corp.test SRV` (id 0x1234), captured: the SRV target is compressed (c01b). */
const sambaReply = Buffer.from(
  "123485000001000100010000095f6b65726265726f73045f75647004636f727004746573740000210001c00c0021000100000384000c00000064005803646331c01b" +
    "c01b0006000100000e100023c03c0a686f73746d6173746572c01b0000000200000384000002580001518000000e10",
  "hex"
)

describe("the lenient SRV decoder (Samba compresses SRV targets; Node 24's c-ares refuses them)", () => {
  it("the query is RFC 1035 byte for byte, and Samba's captured reply decodes to its record", () => {
    assert.strictEqual(Buffer.from(encodeSrvQuery(0x1234, "_kerberos._udp.corp.test")).toString("hex"), sambaReply.subarray(0, 42).toString("hex").replace(/^12348500000100010001/, "12340100000100000000"))
    assert.deepStrictEqual(Result.getOrThrow(decodeSrvReply(sambaReply, 0x1234)), [{ priority: 0, weight: 100, port: 88, target: "dc1.corp.test" }])
  })

  it("another id, a pointer forward or to itself, a truncated record: typed failures", () => {
    assert.isTrue(Result.isFailure(decodeSrvReply(sambaReply, 0x1235)))
    const loop = Uint8Array.from(sambaReply)
    loop[64] = 0xc0
    loop[65] = 64 // the SRV target points at itself
    assert.include(Result.getOrThrow(Result.flip(decodeSrvReply(loop, 0x1234))).reason, "compression pointer not to an earlier name")
    const forward = Uint8Array.from(sambaReply)
    forward[65] = 80 // the SRV target points forward, at the SOA's "hostmaster.corp.test"
    assert.include(Result.getOrThrow(Result.flip(decodeSrvReply(forward, 0x1234))).reason, "compression pointer not to an earlier name")
    assert.isTrue(Result.isFailure(decodeSrvReply(sambaReply.subarray(0, 60), 0x1234)))
  })

  it("fuzz: any bytes, and any mutation of Samba's reply, decode or fail, never throw", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      decodeSrvReply(bytes, 0x1234)
    }), { numRuns: 2000 })
    fc.assert(fc.property(fc.integer({ min: 0, max: sambaReply.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
      const m = Uint8Array.from(sambaReply)
      m[at] = value
      decodeSrvReply(m, 0x1234)
    }), { numRuns: 2000 })
  })
})
