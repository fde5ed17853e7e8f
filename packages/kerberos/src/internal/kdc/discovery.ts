/**
 * Finding a realm's KDCs in DNS as a domain member does (RFC 4120 section
 * 7.2.3.2, MIT locate_kdc.c): the SRV records `_kerberos._udp.REALM` and
 * `_kerberos._tcp.REALM`, ordered by priority and weight (RFC 2782), their
 * targets resolved through the same resolver. DNS goes through effect's
 * `Dns` service (`effect/net/Dns`): the app's own when provided, else
 * @effect/platform-node's resolver (the system's servers, or the ones
 * configured). Every query is bounded by an Effect time-out.
 *
 * @since 0.1.0
 */
import * as NodeDnsModule from "node:dns"
import { NodeDns } from "@effect/platform-node"
import { Data, Duration, Effect, Option, Random } from "effect"
import * as Dns from "effect/net/Dns"
import * as NetAddress from "effect/net/NetAddress"
import type { KdcAddress } from "../files/krb5Conf.ts"
import { querySrv } from "./discoverySrv.ts"

/**
 * DNS gave no KDC for the realm.
 *
 * @since 0.1.0
 */
export class DiscoveryFailed extends Data.TaggedError("DiscoveryFailed")<{ readonly reason: string }> {}

/**
 * One SRV answer.
 *
 * @since 0.1.0
 */
export interface SrvTarget {
  readonly target: string
  readonly port: number
  readonly priority: number
  readonly weight: number
}

/**
 * RFC 2782 ordering: ascending priority; inside one priority, repeatedly a
 * weighted random pick (records of weight 0 first in the running sum, a
 * random number in [0, sum], the first record whose running sum reaches
 * it). `random` gives numbers in [0, 1).
 *
 * @since 0.1.0
 */
export const orderSrv = <A extends SrvTarget>(records: ReadonlyArray<A>, random: () => number): Array<A> => {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b)
  const out: Array<A> = []
  for (const priority of priorities) {
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except
    // that all those with weight 0 are placed at the beginning of the list"
    const left = records.filter((r) => r.priority === priority).sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1))
    while (left.length > 0) {
      const sum = left.reduce((s, r) => s + r.weight, 0)
      const pick = Math.floor(random() * (sum + 1))
      let running = 0
      let index = left.findIndex((r) => (running += r.weight) >= pick)
      if (index < 0) index = left.length - 1
      out.push(left.splice(index, 1)[0]!)
    }
  }
  return out
}

/**
 * How discovery queries DNS.
 *
 * @since 0.1.0
 */
export interface DiscoveryOptions {
  /** The app's `Dns` service, when it provided one. */
  readonly dns: Dns.Dns["Service"] | undefined
  /** Name servers ("127.0.0.1", "10.0.0.2:5353") instead of the system's (ignored when `dns` is set). */
  readonly nameServers: ReadonlyArray<string>
  /** Bound on each query (the SRV pair, then each target's address). */
  readonly timeout: Duration.Duration
}

const withResolver = <A, E>(options: DiscoveryOptions, use: (dns: Dns.Dns["Service"]) => Effect.Effect<A, E>) =>
  options.dns !== undefined
    ? use(options.dns)
    : Effect.scoped(Effect.flatMap(
      NodeDns.make({ nameServers: options.nameServers, timeout: options.timeout, tries: 1 }).pipe(
        Effect.mapError((e) => new DiscoveryFailed({ reason: `DNS server: ${e.message}` }))
      ),
      use
    ))

const bounded = <A>(effect: Effect.Effect<A, Dns.DnsError>, timeout: Duration.Duration, what: string) =>
  effect.pipe(
    Effect.mapError((e) => new DiscoveryFailed({ reason: `${what}: ${e.reason}` })),
    Effect.timeoutOrElse({
      duration: timeout,
      orElse: () => Effect.fail(new DiscoveryFailed({ reason: `${what}: no DNS answer within ${Duration.format(timeout)}` }))
    })
  )

/**
 * c-ares (Node 22/24) refuses an SRV answer whose target name is compressed
 * (EBADRESP), which Samba's internal DNS sends; MIT's libresolv accepts it.
 * Then, and only for our own resolver, the servers are asked again through
 * the lenient decoder of discoverySrv.ts.
 */
const lenient = (options: DiscoveryOptions, name: string) => {
  const servers = options.nameServers.length > 0 ? options.nameServers : NodeDnsModule.getServers()
  const [head, ...rest] = servers.map((server) => querySrv(server, name, options.timeout))
  if (head === undefined) return Effect.fail(new DiscoveryFailed({ reason: `SRV ${name}: no DNS server` }))
  return rest.reduce((acc, next) => Effect.catch(acc, () => next), head).pipe(
    Effect.mapError((e) => new DiscoveryFailed({ reason: `SRV ${name}: ${e.reason}` }))
  )
}

const srv = (dns: Dns.Dns["Service"], name: string, options: DiscoveryOptions) =>
  bounded(dns.resolve(name, "SRV"), options.timeout, `SRV ${name}`).pipe(
    Effect.map((records) =>
      records.map((r): SrvTarget => ({ target: r.target.replace(/\.$/, ""), port: r.port, priority: r.priority, weight: r.weight }))
    ),
    Effect.catch((e) => options.dns === undefined && e.reason.endsWith("InvalidResponse") ? lenient(options, name) : Effect.fail(e)),
    Effect.result
  )

/** The target's first IPv4 (else IPv6) address from the same resolver; its name when it has none. */
const addressOf = (dns: Dns.Dns["Service"], target: string, timeout: Duration.Duration) =>
  bounded(dns.resolve(target, "A"), timeout, `A ${target}`).pipe(
    Effect.map((records) => NetAddress.formatIp(records[0].address)),
    Effect.catch(() =>
      bounded(dns.resolve(target, "AAAA"), timeout, `AAAA ${target}`).pipe(
        Effect.map((records) => NetAddress.formatIp(records[0].address))
      )
    ),
    Effect.option,
    Effect.map(Option.getOrElse(() => target))
  )

/**
 * The realm's KDCs from DNS, in RFC 2782 order: the UDP records' targets
 * first, then the TCP records' (a target only in `_tcp` is tried over TCP
 * only). A lone "." target means the realm has no KDC (RFC 2782).
 *
 * @since 0.1.0
 */
export const discoverKdcs = (realm: string, options: DiscoveryOptions): Effect.Effect<Array<KdcAddress>, DiscoveryFailed> =>
  Effect.map(discoverSrvKdcs(realm, options), (kdcs) => kdcs.map(({ srv: _srv, ...kdc }) => kdc))

/**
 * A KDC found in DNS, with the SRV record(s) that named it.
 *
 * @since 0.3.0
 */
export interface SrvKdc extends KdcAddress {
  readonly srv: {
    readonly target: string
    readonly priority: number
    readonly weight: number
    /** "_kerberos._udp.REALM", "_kerberos._tcp.REALM", or both. */
    readonly records: ReadonlyArray<string>
  }
}

/**
 * {@link discoverKdcs} with each KDC's SRV target, priority, weight and
 * records (for diagnostics).
 *
 * @since 0.3.0
 */
export const discoverSrvKdcs = (realm: string, options: DiscoveryOptions): Effect.Effect<Array<SrvKdc>, DiscoveryFailed> =>
  withResolver(options, (dns) =>
    Effect.gen(function*() {
      const [udp, tcp] = yield* Effect.all([
        srv(dns, `_kerberos._udp.${realm}`, options),
        srv(dns, `_kerberos._tcp.${realm}`, options)
      ], { concurrency: 2 })
      const random = yield* Random.Random
      const next = () => random.nextDoubleUnsafe()
      const tagged = [
        ...(udp._tag === "Success" ? orderSrv(udp.success, next).map((r) => ({ ...r, transport: "udp" as const })) : []),
        ...(tcp._tag === "Success" ? orderSrv(tcp.success, next).map((r) => ({ ...r, transport: "tcp" as const })) : [])
      ].filter((r) => r.target !== "" && r.target !== ".")
      if (tagged.length === 0) {
        const why = [udp, tcp].map((r) => r._tag === "Failure" ? r.failure.reason : "no usable record").join("; ")
        return yield* new DiscoveryFailed({ reason: why })
      }
      const out: Array<SrvKdc> = []
      const seen = new Map<string, number>()
      for (const r of tagged) {
        const key = `${r.target}:${r.port}`
        const at = seen.get(key)
        const record = `_kerberos._${r.transport}.${realm}`
        // in both lists: one address, UDP first then TCP as for a configured KDC
        if (at !== undefined) {
          out[at] = { ...out[at]!, transport: undefined, srv: { ...out[at]!.srv, records: [...out[at]!.srv.records, record] } }
          continue
        }
        const host = yield* addressOf(dns, r.target, options.timeout)
        seen.set(key, out.length)
        out.push({
          host,
          port: r.port,
          name: r.target,
          transport: r.transport === "tcp" ? "tcp" : undefined,
          srv: { target: r.target, priority: r.priority, weight: r.weight, records: [record] }
        })
      }
      return out
    }))
