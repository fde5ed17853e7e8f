/**
 * Byte copies that are copies: Node's `Buffer#slice` returns a view, so
 * secrets taken from a Buffer with `.slice()` would be wiped with it.
 *
 * @since 0.1.0
 */

/** A fresh `Uint8Array` holding `bytes[start..end)`. */
export const copyBytes = (bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array => {
  const out = new Uint8Array(Math.max(0, end - start))
  out.set(bytes.subarray(start, end))
  return out
}
