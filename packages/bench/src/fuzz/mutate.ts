/**
 * The mutation engine of `npm run fuzz`: a seeded PRNG and structure-aware
 * byte mutations of real tokens (bit flips, interesting values, 16/32-bit
 * little-endian field rewrites for NTLM's offsets and lengths, DER length
 * octets, insertions, deletions, duplications, truncation, splices).
 */

/** xorshift32: deterministic, so a reported input can be reproduced from its seed and index. */
export class Rng {
  #state: number
  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9
  }
  next(): number {
    let x = this.#state
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#state = x >>> 0
    return this.#state
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n
  }
  pick<A>(items: ReadonlyArray<A>): A {
    return items[this.below(items.length)]!
  }
}

const INTERESTING8 = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x30, 0x60, 0xa0, 0x04, 0x06, 0x02, 0x84, 0x83]
const INTERESTING16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff]
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 0x10000, 0x40]

type Mutator = (rng: Rng, b: Uint8Array, seeds: ReadonlyArray<Uint8Array>) => Uint8Array

const at = (rng: Rng, b: Uint8Array) => rng.below(Math.max(1, b.length))

const mutators: ReadonlyArray<Mutator> = [
  // bit flip
  (rng, b) => {
    if (b.length === 0) return b
    const i = at(rng, b)
    b[i] = b[i]! ^ (1 << rng.below(8))
    return b
  },
  // interesting byte
  (rng, b) => {
    if (b.length > 0) b[at(rng, b)] = rng.pick(INTERESTING8)
    return b
  },
  // random byte
  (rng, b) => {
    if (b.length > 0) b[at(rng, b)] = rng.below(256)
    return b
  },
  // 16-bit LE field (NTLM lengths)
  (rng, b) => {
    if (b.length < 2) return b
    const i = rng.below(b.length - 1)
    const v = rng.pick(INTERESTING16)
    b[i] = v & 0xff
    b[i + 1] = v >> 8
    return b
  },
  // 32-bit LE field (NTLM offsets, flags)
  (rng, b) => {
    if (b.length < 4) return b
    const i = rng.below(b.length - 3)
    new DataView(b.buffer, b.byteOffset, b.length).setUint32(i, rng.pick(INTERESTING32), true)
    return b
  },
  // small add/subtract on a byte (off-by-one lengths)
  (rng, b) => {
    if (b.length > 0) {
      const i = at(rng, b)
      b[i] = (b[i]! + rng.below(9) - 4) & 0xff
    }
    return b
  },
  // DER long-form length: replace a byte with 0x81..0x84 followed by big values
  (rng, b) => {
    if (b.length < 6) return b
    const i = rng.below(b.length - 5)
    const n = 1 + rng.below(4)
    b[i] = 0x80 | n
    for (let k = 1; k <= n; k++) b[i + k] = rng.pick([0x00, 0xff, 0x7f, 0x80, rng.below(256)])
    return b
  },
  // insert random bytes
  (rng, b) => {
    const i = rng.below(b.length + 1)
    const n = 1 + rng.below(rng.below(4) === 0 ? 512 : 16)
    const ins = new Uint8Array(n)
    for (let k = 0; k < n; k++) ins[k] = rng.below(256)
    return concat(b.subarray(0, i), ins, b.subarray(i))
  },
  // delete a range
  (rng, b) => {
    if (b.length === 0) return b
    const i = at(rng, b)
    const n = 1 + rng.below(Math.min(64, b.length - i))
    return concat(b.subarray(0, i), b.subarray(i + n))
  },
  // duplicate a range
  (rng, b) => {
    if (b.length === 0) return b
    const i = at(rng, b)
    const n = 1 + rng.below(Math.min(128, b.length - i))
    const times = 1 + rng.below(rng.below(8) === 0 ? 64 : 3)
    const parts = [b.subarray(0, i + n)]
    for (let k = 0; k < times; k++) parts.push(b.subarray(i, i + n))
    parts.push(b.subarray(i + n))
    return concat(...parts)
  },
  // truncate
  (rng, b) => b.subarray(0, rng.below(b.length + 1)),
  // splice with another seed
  (rng, b, seeds) => {
    const other = rng.pick(seeds)
    const i = rng.below(b.length + 1)
    const j = rng.below(other.length + 1)
    return concat(b.subarray(0, i), other.subarray(j))
  }
]

/** Fuzz inputs hold nothing secret: Node's pooled Buffer.concat will do. */
const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => Buffer.concat(parts)

/** A mutant of `seed`: 1 to 4 stacked mutations on a copy (the seed is never changed). */
export const mutate = (rng: Rng, seed: Uint8Array, seeds: ReadonlyArray<Uint8Array>): Uint8Array => {
  let b: Uint8Array = Uint8Array.from(seed)
  const n = 1 + rng.below(rng.below(4) === 0 ? 8 : 3)
  for (let k = 0; k < n; k++) b = rng.pick(mutators)(rng, b, seeds)
  return b
}
