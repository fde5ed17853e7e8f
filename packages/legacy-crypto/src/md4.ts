/**
 * MD4 message digest (RFC 1320).
 *
 * OpenSSL 3 moved MD4 to its "legacy" provider, so `crypto.createHash("md4")`
 * fails on a stock Node.js. NTLM needs MD4 for NTOWFv1 and the NTLMv1 session
 * base key, hence this small implementation. It is only ever used on short
 * inputs (passwords, 16-byte keys); it is not a general-purpose hash.
 *
 * @module
 */

const BLOCK = 64

/** Reused message schedule: MD4 is synchronous, so one buffer suffices. */
const X = new Int32Array(16)

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n))

const loadBlock = (data: Uint8Array, offset: number): void => {
  for (let i = 0; i < 16; i++) {
    const o = offset + i * 4
    X[i] = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)
  }
}

/** Round 2 and 3 message word orders (RFC 1320 section 3.4). */
const R2 = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15] as const
const R3 = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15] as const
const S1 = [3, 7, 11, 19] as const
const S2 = [3, 5, 9, 13] as const
const S3 = [3, 9, 11, 15] as const

const compress = (h: Int32Array): void => {
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!
  for (let i = 0; i < 16; i++) {
    const t = rotl((a + ((b & c) | (~b & d)) + X[i]!) | 0, S1[i & 3]!)
    a = d; d = c; c = b; b = t
  }
  for (let i = 0; i < 16; i++) {
    const t = rotl((a + ((b & c) | (b & d) | (c & d)) + X[R2[i]!]! + 0x5a827999) | 0, S2[i & 3]!)
    a = d; d = c; c = b; b = t
  }
  for (let i = 0; i < 16; i++) {
    const t = rotl((a + (b ^ c ^ d) + X[R3[i]!]! + 0x6ed9eba1) | 0, S3[i & 3]!)
    a = d; d = c; c = b; b = t
  }
  h[0] = (h[0]! + a) | 0
  h[1] = (h[1]! + b) | 0
  h[2] = (h[2]! + c) | 0
  h[3] = (h[3]! + d) | 0
}

/**
 * Computes the 16-byte MD4 digest of `data` (RFC 1320).
 *
 * Full 64-byte blocks are read straight from `data`; only the padded tail
 * (at most two blocks) is copied.
 */
export const md4 = (data: Uint8Array): Uint8Array => {
  const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476])
  const full = data.length - (data.length % BLOCK)
  for (let o = 0; o < full; o += BLOCK) {
    loadBlock(data, o)
    compress(h)
  }
  const rest = data.length - full
  const tail = new Uint8Array(rest < 56 ? BLOCK : 2 * BLOCK)
  tail.set(data.subarray(full))
  tail[rest] = 0x80
  const bits = data.length * 8
  const end = tail.length - 8
  for (let i = 0; i < 4; i++) tail[end + i] = (bits >>> (8 * i)) & 0xff
  const high = Math.floor(data.length / 0x20000000)
  for (let i = 0; i < 4; i++) tail[end + 4 + i] = (high >>> (8 * i)) & 0xff
  for (let o = 0; o < tail.length; o += BLOCK) {
    loadBlock(tail, o)
    compress(h)
  }
  X.fill(0)
  tail.fill(0)
  const out = new Uint8Array(16)
  for (let i = 0; i < 4; i++) {
    const w = h[i]!
    out[i * 4] = w & 0xff
    out[i * 4 + 1] = (w >>> 8) & 0xff
    out[i * 4 + 2] = (w >>> 16) & 0xff
    out[i * 4 + 3] = (w >>> 24) & 0xff
  }
  return out
}
