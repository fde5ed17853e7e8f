/**
 * Cryptographically random bytes from a pooled buffer: one randomFillSync
 * call per 4 KiB instead of one per challenge or key (the call dominated
 * the cost of AUTHENTICATE generation). Bytes handed out are wiped from the
 * pool at once.
 */
import { randomFillSync } from "node:crypto"

const POOL_SIZE = 4096
const pool = new Uint8Array(POOL_SIZE)
let used = POOL_SIZE

/** `n` (≤ 4096) fresh random bytes. */
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
