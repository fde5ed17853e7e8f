/**
 * RC4 stream cipher (the "ARCFOUR" algorithm, test vectors in RFC 6229).
 *
 * OpenSSL 3 only ships RC4 in its "legacy" provider, which Node.js does not
 * load by default. NTLM session security (MS-NLMP section 3.4) and the NTLM
 * key exchange still require it.
 *
 * @module
 */

/** A plain Uint8Array view of the same bytes (a Buffer, say, would make the hot loop polymorphic). */
const plain = (bytes: Uint8Array): Uint8Array =>
  bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * A stateful RC4 keystream. Each call to {@link Rc4.process} continues the
 * keystream where the previous call stopped, as NTLM's "RC4(Handle, ...)"
 * requires.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256)
  private i = 0
  private j = 0

  /**
   * Runs the RC4 key schedule.
   *
   * @param key - 1 to 256 bytes; throws a `RangeError` otherwise.
   */
  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) {
      throw new RangeError("RC4 key must be 1 to 256 bytes")
    }
    const s = this.s
    for (let n = 0; n < 256; n++) s[n] = n
    let j = 0
    for (let n = 0; n < 256; n++) {
      const t = s[n]!
      j = (j + t + key[n % key.length]!) & 0xff
      s[n] = s[j]!
      s[j] = t
    }
  }

  /**
   * XORs `input` with the next `input.length` keystream bytes into `output`.
   *
   * @param output - defaults to a new array; may be `input` itself (in place)
   *   and must be at least as long as `input`.
   * @returns `output`.
   */
  process(input: Uint8Array, output: Uint8Array = new Uint8Array(input.length)): Uint8Array {
    if (output.length < input.length) throw new RangeError("RC4 output is shorter than input")
    this.run(plain(input), plain(output), input.length)
    return output
  }

  /** The keystream loop, on plain Uint8Array views only so that it stays monomorphic. */
  private run(input: Uint8Array, output: Uint8Array, length: number): void {
    const s = this.s
    let i = this.i
    let j = this.j
    let n = 0
    // Four keystream bytes per step, XORed into the message as one
    // little-endian 32-bit word when both sides are 4-byte aligned: a quarter
    // of the message loads, stores and their checks. (Past 64 bytes only, so
    // that small on-heap arrays are not moved off-heap by `.buffer`.) Both
    // offsets being multiples of 4, overlapping input and output still see
    // the byte-by-byte order. The four steps are unrolled on purpose: with an
    // inner loop, V8's generic compilation of this shared loop is ≈ 12% slower
    // (measured with npm run bench: 87% → 98% of the raw baseline).
    if (LITTLE_ENDIAN && length > 64 && ((input.byteOffset | output.byteOffset) & 3) === 0) {
      const words = length >>> 2
      const inW = new Uint32Array(input.buffer, input.byteOffset, words)
      const outW = input.buffer === output.buffer && input.byteOffset === output.byteOffset
        ? inW
        : new Uint32Array(output.buffer, output.byteOffset, words)
      for (let w = 0; w < words; w++) {
        i = (i + 1) & 0xff
        let a = s[i]!
        j = (j + a) & 0xff
        let b = s[j]!
        s[i] = b
        s[j] = a
        let k = s[(a + b) & 0xff]!
        i = (i + 1) & 0xff
        a = s[i]!
        j = (j + a) & 0xff
        b = s[j]!
        s[i] = b
        s[j] = a
        k |= s[(a + b) & 0xff]! << 8
        i = (i + 1) & 0xff
        a = s[i]!
        j = (j + a) & 0xff
        b = s[j]!
        s[i] = b
        s[j] = a
        k |= s[(a + b) & 0xff]! << 16
        i = (i + 1) & 0xff
        a = s[i]!
        j = (j + a) & 0xff
        b = s[j]!
        s[i] = b
        s[j] = a
        k |= s[(a + b) & 0xff]! << 24
        outW[w] = inW[w]! ^ k
      }
      n = words << 2
    }
    for (; n < length; n++) {
      i = (i + 1) & 0xff
      const si = s[i]!
      j = (j + si) & 0xff
      const sj = s[j]!
      s[i] = sj
      s[j] = si
      output[n] = input[n]! ^ s[(si + sj) & 0xff]!
    }
    this.i = i
    this.j = j
  }

  /** Zeroes the internal state. The instance must not be used afterwards. */
  wipe(): void {
    this.s.fill(0)
    this.i = 0
    this.j = 0
  }
}
