/**
 * The acceptor's time rules and replay-cache key, in one place so that the
 * authenticator check and the cache expiry can never disagree (issue 9 D).
 *
 * RFC 4120 section 3.2.3: an authenticator whose ctime differs from the
 * acceptor's clock by more than the allowed skew is refused
 * (KRB_AP_ERR_SKEW); one within the skew is accepted — inclusive, as MIT's
 * `krb5_check_clockskew` (`labs(date - now) > skew` is the error). Every
 * authenticator accepted must then be refused as a replay until it can no
 * longer pass the skew check, that is through `ctime + skew` inclusive. The
 * cache keeps a key while `now < recorded + ttl` (exclusive end), so the ttl
 * is `ctime + skew + 1 ms - now`.
 *
 * @since 0.2.0
 */
import { createHash } from "node:crypto"
import { Duration } from "effect"
import { formatPrincipal, type Principal } from "../messages/common.ts"

/**
 * RFC 4120 section 3.2.3: whether a time is within the skew of `now`
 * (inclusive at both ends).
 *
 * @since 0.2.0
 */
export const withinSkew = (time: number, now: number, skewMs: number): boolean => Math.abs(time - now) <= skewMs

/**
 * How long the replay cache must keep an authenticator of `ctime` accepted
 * at `now`: through `ctime + skew` inclusive, i.e. until `ctime + skew + 1`.
 *
 * @since 0.2.0
 */
export const replayTtl = (ctime: number, now: number, skewMs: number): Duration.Duration =>
  Duration.millis(Math.max(1, ctime + skewMs + 1 - now))

const field = (hash: ReturnType<typeof createHash>, bytes: Uint8Array) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  hash.update(length).update(bytes)
}

/**
 * The replay-cache key of an authenticator, as MIT's rcache identifies one:
 * SHA-256 over the client, ctime, cusec and a SHA-256 of the
 * authenticator's ciphertext (each length-prefixed). Not a secret. Not the
 * server: the ticket's sname travels in clear, and every SPN of one account
 * shares its key (AD: HTTP/web1 and host/web1), so the same AP-REQ replayed
 * under another of the account's names must still be a replay (RFC 4120
 * 3.2.3; MIT's rcache keys on the authenticator).
 *
 * @since 0.2.0
 */
export const replayKey = (
  a: {
    readonly client: Principal
    readonly ctime: number
    readonly cusec: number
    readonly cipher: Uint8Array
  }
): Uint8Array => {
  const h = createHash("sha256")
  const text = new TextEncoder()
  field(h, text.encode(formatPrincipal(a.client)))
  const times = Buffer.alloc(12)
  times.writeDoubleBE(a.ctime, 0)
  times.writeUInt32BE(a.cusec >>> 0, 8)
  field(h, times)
  field(h, createHash("sha256").update(a.cipher).digest())
  return new Uint8Array(h.digest())
}
