/**
 * Cryptographically random bytes for the security packages (challenges,
 * confounders, session keys) from a pooled buffer: one `randomFillSync` call
 * per 4 KiB instead of one per value (the call dominated the cost of NTLM's
 * AUTHENTICATE generation and showed in Kerberos' Wrap). Bytes handed out
 * are wiped from the pool at once.
 *
 * @since 0.1.0
 */
import { randomFillSync } from "node:crypto"

const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let used = POOL_SIZE

/**
 * `n` (at most 4096) fresh random bytes.
 *
 * @since 0.1.0
 */
export const randomBytes = (n: number): Uint8Array => {
  if (used + n > POOL_SIZE) {
    randomFillSync(pool)
    used = 0
  }
  const out = pool.slice(used, used + n)
  pool.fill(0, used, used + n)
  used += n
  return out
}
