/**
 * AV_PAIR lists ([MS-NLMP] 2.2.2.1): the CHALLENGE message's TargetInfo and
 * the AvPairs of an NTLMv2 client challenge.
 *
 * @module
 */
import { Result } from "effect"
import { fromUtf16le, readU16, readU32, utf16le, writeU16, writeU32 } from "./bytes.ts"
import { AvId } from "./constants.ts"
import type { NtlmMalformed, NtlmTooLarge } from "./errors.ts"
import { malformed, MAX_FIELD, tooLarge } from "./fields.ts"

/** One attribute/value pair; `value` is the raw payload. */
export interface AvPair {
  readonly id: number
  readonly value: Uint8Array
}

/** Payload sizes fixed by the specification. */
const fixedSize: Readonly<Record<number, number>> = {
  [AvId.MsvAvFlags]: 4,
  [AvId.MsvAvTimestamp]: 8,
  [AvId.MsvAvChannelBindings]: 16
}

/**
 * Decodes an AV_PAIR list, which must end with MsvAvEOL. Bytes after the
 * terminator are ignored (an NTLMv2 response pads the list with zeros).
 * The returned list excludes the terminator; values are copies.
 */
export const decodeAvPairs = (b: Uint8Array): Result.Result<ReadonlyArray<AvPair>, NtlmMalformed> => {
  const pairs: Array<AvPair> = []
  let at = 0
  while (at + 4 <= b.length) {
    const id = readU16(b, at)
    const len = readU16(b, at + 2)
    at += 4
    if (id === AvId.MsvAvEOL) {
      return len === 0 ? Result.succeed(pairs) : malformed("AV_PAIR terminator has a value")
    }
    if (at + len > b.length) return malformed("AV_PAIR out of bounds")
    const size = fixedSize[id]
    if (size !== undefined && len !== size) return malformed("AV_PAIR has a wrong size")
    if (id === AvId.MsvAvSingleHost && len < 48) return malformed("AV_PAIR has a wrong size")
    pairs.push({ id, value: b.slice(at, at + len) })
    at += len
  }
  return malformed("AV_PAIR list not terminated")
}

/**
 * Encodes `pairs` in order followed by MsvAvEOL. Any MsvAvEOL entry in
 * `pairs` is skipped. A value longer than 65535 bytes, or a list longer
 * than a field can hold, is a {@link NtlmTooLarge} (the pairs a client
 * echoes come from the server).
 */
export const encodeAvPairs = (pairs: ReadonlyArray<AvPair>): Result.Result<Uint8Array, NtlmTooLarge> => {
  let size = 4
  for (const p of pairs) {
    if (p.id === AvId.MsvAvEOL) continue
    if (p.value.length > MAX_FIELD) return tooLarge("AV_PAIR value longer than 65535 bytes")
    size += 4 + p.value.length
  }
  if (size > MAX_FIELD) return tooLarge("AV_PAIR list longer than 65535 bytes")
  const out = new Uint8Array(size)
  let at = 0
  for (const p of pairs) {
    if (p.id === AvId.MsvAvEOL) continue
    writeU16(out, at, p.id)
    writeU16(out, at + 2, p.value.length)
    out.set(p.value, at + 4)
    at += 4 + p.value.length
  }
  return Result.succeed(out)
}

/** The first pair with `id`, if any. */
export const findAvPair = (pairs: ReadonlyArray<AvPair>, id: number): AvPair | undefined =>
  pairs.find((p) => p.id === id)

/** An AV pair whose value is the UTF-16LE encoding of `s` (names, SPN). */
export const avString = (id: number, s: string): AvPair => ({ id, value: utf16le(s) })

/** Reads a name-valued pair as a string (UTF-16LE). */
export const avPairString = (p: AvPair): string => fromUtf16le(p.value)

/** An MsvAvFlags pair. */
export const avFlags = (flags: number): AvPair => {
  const value = new Uint8Array(4)
  writeU32(value, 0, flags)
  return { id: AvId.MsvAvFlags, value }
}

/** The MsvAvFlags value of a list (0 if absent). */
export const avFlagsOf = (pairs: ReadonlyArray<AvPair>): number => {
  const p = findAvPair(pairs, AvId.MsvAvFlags)
  return p === undefined ? 0 : readU32(p.value, 0)
}

/** An MsvAvTimestamp pair holding a FILETIME. */
export const avTimestamp = (fileTime: bigint): AvPair => ({ id: AvId.MsvAvTimestamp, value: fileTimeBytes(fileTime) })

/** The MsvAvTimestamp of a list as a FILETIME, if present. */
export const avTimestampOf = (pairs: ReadonlyArray<AvPair>): bigint | undefined => {
  const p = findAvPair(pairs, AvId.MsvAvTimestamp)
  return p === undefined ? undefined : readFileTime(p.value, 0)
}

/** Encodes a FILETIME (100 ns ticks since 1601-01-01 UTC) as 8 little-endian bytes. */
export const fileTimeBytes = (fileTime: bigint): Uint8Array => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, fileTime), true)
  return out
}

/** Reads an 8-byte little-endian FILETIME at `at`. */
export const readFileTime = (b: Uint8Array, at: number): bigint =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true)

/** Converts milliseconds since the Unix epoch to a FILETIME. */
export const fileTimeFromUnixMillis = (ms: number): bigint => BigInt(Math.floor(ms)) * 10_000n + 116_444_736_000_000_000n
