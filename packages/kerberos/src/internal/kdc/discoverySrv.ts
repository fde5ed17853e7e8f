/**
 * A lenient SRV query for the one case c-ares refuses: Samba's internal DNS
 * (4.17) compresses the SRV target name, which RFC 2782 says not to do, and
 * the c-ares of Node 22/24 answers EBADRESP, while MIT krb5 (libresolv's
 * dn_expand), Heimdal, Windows and bind9's `host` accept it. This module
 * asks one name server over UDP (RFC 1035 section 4) and decodes the SRV
 * answers, following compression pointers backwards only, bounded in count
 * and length. Used only after the resolver reported an invalid response.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Data, Duration, Effect, Result } from "effect"
import type { SrvTarget } from "./discovery.ts"
import { exchangeUdp } from "./transport.ts"

/**
 * A DNS reply that is not a well-formed answer to the query.
 *
 * @since 0.1.0
 */
export class BadDnsReply extends Data.TaggedError("BadDnsReply")<{ readonly reason: string }> {}

const SRV = 33
const IN = 1

/**
 * A standard query for `name`'s SRV records, recursion desired.
 *
 * @since 0.1.0
 */
export const encodeSrvQuery = (id: number, name: string): Uint8Array => {
  const labels = name.replace(/\.$/, "").split(".").map((l) => new TextEncoder().encode(l))
  const out = new Uint8Array(12 + labels.reduce((n, l) => n + 1 + l.length, 0) + 5)
  const view = new DataView(out.buffer)
  view.setUint16(0, id)
  view.setUint16(2, 0x0100)
  view.setUint16(4, 1)
  let at = 12
  for (const l of labels) {
    out[at++] = l.length
    out.set(l, at)
    at += l.length
  }
  out[at++] = 0
  view.setUint16(at, SRV)
  view.setUint16(at + 2, IN)
  return out
}

const bad = (reason: string): never => {
  throw new BadDnsReply({ reason })
}

/** RFC 1035 4.1.4: a name at `at`, with pointers to earlier offsets only (≤ 255 bytes, ≤ 64 jumps). */
const readName = (m: Uint8Array, at: number): { readonly name: string; readonly end: number } => {
  const labels: Array<string> = []
  let end: number | undefined
  let length = 0
  for (let jumps = 0; ; ) {
    if (at >= m.length) bad("name runs past the message")
    const n = m[at]!
    if (n === 0) {
      return { name: labels.join("."), end: end ?? at + 1 }
    }
    if ((n & 0xc0) === 0xc0) {
      if (at + 1 >= m.length) bad("truncated pointer")
      const target = ((n & 0x3f) << 8) | m[at + 1]!
      // RFC 1035 4.1.4: a pointer refers to a "prior occurrence of the same name";
      // one that does not point backwards could loop (and is refused, as libresolv's dn_expand bounds it)
      if (target >= at) bad("compression pointer not to an earlier name")
      if (++jumps > 64) bad("too many compression pointers")
      end ??= at + 2
      at = target
      continue
    }
    if ((n & 0xc0) !== 0) bad("reserved label type")
    if (at + 1 + n > m.length) bad("label runs past the message")
    length += n + 1
    if (length > 255) bad("name longer than 255 bytes")
    labels.push(new TextDecoder().decode(m.subarray(at + 1, at + 1 + n)))
    at += 1 + n
  }
}

/**
 * The SRV answers of a reply to query `id`; never throws.
 *
 * @since 0.1.0
 */
export const decodeSrvReply = (m: Uint8Array, id: number): Result.Result<Array<SrvTarget>, BadDnsReply> =>
  Result.try({
    try: () => {
      if (m.length < 12) bad("shorter than a header")
      const view = new DataView(m.buffer, m.byteOffset, m.byteLength)
      if (view.getUint16(0) !== id) bad("another query's id")
      const flags = view.getUint16(2)
      if ((flags & 0x8000) === 0) bad("not a response")
      if ((flags & 0x0200) !== 0) bad("truncated (TC)")
      const rcode = flags & 0x000f
      if (rcode === 3) return []
      if (rcode !== 0) bad(`rcode ${rcode}`)
      const questions = view.getUint16(4)
      const answers = view.getUint16(6)
      let at = 12
      for (let i = 0; i < questions; i++) {
        at = readName(m, at).end + 4
        if (at > m.length) bad("question runs past the message")
      }
      const out: Array<SrvTarget> = []
      for (let i = 0; i < answers; i++) {
        at = readName(m, at).end
        if (at + 10 > m.length) bad("record header runs past the message")
        const type = view.getUint16(at)
        const klass = view.getUint16(at + 2)
        const rdlength = view.getUint16(at + 8)
        const rdata = at + 10
        if (rdata + rdlength > m.length) bad("record data runs past the message")
        if (type === SRV && klass === IN) {
          if (rdlength < 7) bad("SRV record too short")
          const target = readName(m, rdata + 6)
          if (target.end > rdata + rdlength) bad("SRV target runs past its record")
          out.push({ priority: view.getUint16(rdata), weight: view.getUint16(rdata + 2), port: view.getUint16(rdata + 4), target: target.name })
        }
        at = rdata + rdlength
      }
      return out
    },
    catch: (e) => e instanceof BadDnsReply ? e : new BadDnsReply({ reason: String(e) })
  })

/** "ip", "ip:port", "[v6]:port" → address (port 53 by default). */
const serverAddress = (text: string) => {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const m = v6 ?? /^([^:]+)(?::(\d+))?$/.exec(text)
  return m === null ? { host: text, port: 53 } : { host: m[1]!, port: m[2] === undefined ? 53 : Number(m[2]) }
}

/**
 * Asks `server` for `name`'s SRV records over UDP, one query bounded by `timeout`.
 *
 * @since 0.1.0
 */
export const querySrv = (server: string, name: string, timeout: Duration.Duration): Effect.Effect<Array<SrvTarget>, BadDnsReply> =>
  Effect.gen(function*() {
    const id = randomBytes(2).readUInt16BE(0)
    const reply = yield* exchangeUdp(serverAddress(server), encodeSrvQuery(id, name)).pipe(
      Effect.mapError((e) => new BadDnsReply({ reason: e.reason })),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(new BadDnsReply({ reason: `no DNS answer within ${Duration.format(timeout)}` }))
      })
    )
    return yield* Effect.fromResult(decodeSrvReply(reply, id))
  })
