/**
 * The acceptor's replay cache: authenticators seen within the clock-skew
 * window, in memory and bounded. An entry lives until the authenticator
 * itself would be refused as too old (its time plus the skew), so the cache
 * never forgets an authenticator that could still be accepted. When full of
 * live entries it refuses new ones (fails closed) rather than forget.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

/**
 * Outcome of {@link ReplayCache.check}.
 *
 * @since 0.1.0
 */
export type ReplayVerdict = "Fresh" | "Replay" | "Full"

/**
 * A bounded replay cache.
 *
 * @since 0.1.0
 */
export class ReplayCache {
  readonly #entries = new Map<string, number>()
  constructor(readonly capacity: number) {}

  /** Records `authenticator` (its ciphertext and client) unless seen; `expires` in epoch ms. */
  check(client: string, authenticatorCipher: Uint8Array, now: number, expires: number): ReplayVerdict {
    const key = createHash("sha256").update(client).update("\u0000").update(authenticatorCipher).digest("base64")
    const seen = this.#entries.get(key)
    if (seen !== undefined && seen > now) return "Replay"
    if (this.#entries.size >= this.capacity) this.#purge(now)
    if (this.#entries.size >= this.capacity) return "Full"
    this.#entries.set(key, expires)
    return "Fresh"
  }

  get size(): number {
    return this.#entries.size
  }

  #purge(now: number) {
    for (const [k, expires] of this.#entries) if (expires <= now) this.#entries.delete(k)
  }
}
