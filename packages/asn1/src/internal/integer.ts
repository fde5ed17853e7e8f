/**
 * INTEGER / ENUMERATED contents (X.690 8.3): minimal two's complement.
 *
 * @module
 */
import { Result } from "effect"
import { type Asn1Error, fail, forward } from "./error.ts"

/** Checks that the contents `bytes[start..end)` are a minimal two's complement integer. */
export const checkInteger = (bytes: Uint8Array, start: number, end: number): Result.Result<void, Asn1Error> => {
  if (end <= start) return fail("InvalidInteger", start)
  if (end - start > 1) {
    const b0 = bytes[start]!
    const b1 = bytes[start + 1]!
    if ((b0 === 0x00 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) return fail("InvalidInteger", start)
  }
  return Result.void
}

/**
 * Reads a checked integer as a JS number if it lies in [min, max]
 * (both within ±2^53).
 */
export const readSmall = (
  bytes: Uint8Array,
  start: number,
  end: number,
  min: number,
  max: number
): Result.Result<number, Asn1Error> => {
  const checked = checkInteger(bytes, start, end)
  if (Result.isFailure(checked)) return forward(checked)
  if (end - start > 7) return fail("IntegerOutOfRange", start)
  let value = bytes[start]! >= 0x80 ? bytes[start]! - 256 : bytes[start]!
  for (let i = start + 1; i < end; i++) value = value * 256 + bytes[i]!
  return value < min || value > max ? fail("IntegerOutOfRange", start) : Result.succeed(value)
}

/** Reads a checked integer of any size as a bigint. */
export const readBig = (bytes: Uint8Array, start: number, end: number): Result.Result<bigint, Asn1Error> => {
  const checked = checkInteger(bytes, start, end)
  if (Result.isFailure(checked)) return forward(checked)
  let hex = "0x"
  for (let i = start; i < end; i++) hex += HEX[bytes[i]!]
  const unsigned = BigInt(hex)
  return Result.succeed(bytes[start]! >= 0x80 ? unsigned - (1n << BigInt(8 * (end - start))) : unsigned)
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))

/**
 * Minimal two's complement contents of an integer. Numbers are truncated
 * towards zero; non-finite numbers encode as 0. Total.
 */
export const integerContents = (value: number | bigint): Uint8Array => {
  if (typeof value === "number") {
    const n = Number.isFinite(value) ? Math.trunc(value) : 0
    if (Number.isSafeInteger(n)) return smallContents(n)
    return bigContents(BigInt(n))
  }
  return bigContents(value)
}

const smallContents = (n: number): Uint8Array => {
  let size = 1
  while (size < 7 && (n < -(2 ** (8 * size - 1)) || n >= 2 ** (8 * size - 1))) size++
  const out = new Uint8Array(size)
  let v = n
  for (let i = size - 1; i >= 0; i--) {
    const byte = ((v % 256) + 256) % 256
    out[i] = byte
    v = (v - byte) / 256
  }
  return out
}

const bigContents = (n: bigint): Uint8Array => {
  // Bytes needed so that the sign bit is right: bit length of n (or ~n) + 1.
  const magnitude = n < 0n ? -n - 1n : n
  const size = Math.floor(magnitude.toString(2).length / 8) + 1
  const twos = n < 0n ? (1n << BigInt(8 * size)) + n : n
  const hex = twos.toString(16).padStart(size * 2, "0")
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
