/**
 * Little-endian integer access, string codecs and buffer helpers shared by
 * the NTLM codecs and key derivations.
 *
 * @module
 */

/** Reads an unsigned 16-bit little-endian integer; the caller checks bounds. */
export const readU16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8)

/** Reads an unsigned 32-bit little-endian integer; the caller checks bounds. */
export const readU32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0

/** Writes an unsigned 16-bit little-endian integer. */
export const writeU16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
}

/** Writes an unsigned 32-bit little-endian integer. */
export const writeU32 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
  b[o + 2] = (v >>> 16) & 0xff
  b[o + 3] = (v >>> 24) & 0xff
}

/** Encodes a string as UTF-16LE (the protocol's "Unicode"). */
export const utf16le = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) writeU16(out, i * 2, s.charCodeAt(i))
  return out
}

/** Decodes UTF-16LE; the caller guarantees an even length. */
export const fromUtf16le = (b: Uint8Array): string => {
  let s = ""
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(readU16(b, i))
  return s
}

/**
 * Encodes an "OEM" string. The OEM code page is a host setting the protocol
 * does not transmit; this implementation uses ISO-8859-1 and replaces other
 * characters with "?".
 */
export const oem = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out[i] = c < 0x100 ? c : 0x3f
  }
  return out
}

/** Decodes an "OEM" string as ISO-8859-1 (see {@link oem}). */
export const fromOem = (b: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!)
  return s
}

/** Concatenates byte arrays into a new array. */
export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Byte-wise equality, not constant time: for public data only. */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
