/**
 * The n-fold function of RFC 3961 section 5.1.
 *
 * @since 0.1.0
 */

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/**
 * Folds `input` into `outputLength` bytes (RFC 3961 section 5.1): the input is
 * repeated, each copy rotated right 13 bits more than the one before, up to
 * the least common multiple of both lengths, and the `outputLength`-byte
 * chunks of that string are added in one's-complement arithmetic.
 *
 * Used on constants only (usage labels, "kerberos"), never on messages.
 *
 * @since 0.1.0
 */
export const nFold = (input: Uint8Array, outputLength: number): Uint8Array => {
  const inLength = input.length
  if (inLength === 0 || !Number.isInteger(outputLength) || outputLength <= 0) {
    throw new RangeError("n-fold needs a non-empty input and a positive output length")
  }
  const bits = inLength * 8
  const total = (inLength / gcd(inLength, outputLength)) * outputLength
  const sums = new Array<number>(outputLength).fill(0)
  for (let t = 0; t < total; t++) {
    const copy = Math.floor(t / inLength)
    // Copy `copy` is the input rotated right by 13 * copy bits, so its byte
    // `t mod inLength` starts at this bit of the input (bit 0 = MSB).
    const start = (((8 * (t - copy * inLength) - 13 * copy) % bits) + bits) % bits
    const at = start >>> 3
    const shift = start & 7
    const pair = ((input[at] ?? 0) << 8) | (input[(at + 1) % inLength] ?? 0)
    sums[t % outputLength]! += (pair >>> (8 - shift)) & 0xff
  }
  const out = new Uint8Array(outputLength)
  let carry = 0
  do {
    // One's-complement addition: carries out of the top wrap around.
    for (let i = outputLength - 1; i >= 0; i--) {
      const value = sums[i]! + carry
      sums[i] = value & 0xff
      carry = value >>> 8
    }
  } while (carry !== 0)
  out.set(sums)
  return out
}
