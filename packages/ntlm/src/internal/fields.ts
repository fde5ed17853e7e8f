/**
 * The common framing of NTLM messages: the "NTLMSSP\0" header and the
 * 8-byte Len/MaxLen/BufferOffset field descriptors that point into the
 * payload ([MS-NLMP] 2.2.1).
 *
 * @module
 */
import { Result } from "effect"
import { readU16, readU32, writeU16, writeU32 } from "./bytes.ts"
import { MAX_MESSAGE_SIZE, type MessageType, SIGNATURE } from "./constants.ts"
import { NtlmMalformed, NtlmTooLarge } from "./errors.ts"

const EMPTY = new Uint8Array(0)

/** Fails with a {@link NtlmMalformed} carrying `reason`. */
export const malformed = (reason: string): Result.Result<never, NtlmMalformed> =>
  Result.fail(new NtlmMalformed({ reason }))

/**
 * Checks size limits, the signature and the message type of `msg`.
 *
 * @param fixed - the size of the message's fixed header.
 */
export const checkHeader = (
  msg: Uint8Array,
  type: MessageType,
  fixed: number
): Result.Result<void, NtlmMalformed> => {
  if (msg.length > MAX_MESSAGE_SIZE) return malformed("message too large")
  if (msg.length < fixed) return malformed("message truncated")
  for (let i = 0; i < SIGNATURE.length; i++) {
    if (msg[i] !== SIGNATURE[i]) return malformed("bad signature")
  }
  if (readU32(msg, 8) !== type) return malformed("unexpected message type")
  return Result.void
}

/**
 * Reads the payload described by the field at `at` (a copy). Empty fields
 * ignore their offset; non-empty ones must lie after the fixed header and
 * inside the message.
 */
export const readField = (
  msg: Uint8Array,
  at: number,
  fixed: number,
  max: number,
  name: string
): Result.Result<Uint8Array, NtlmMalformed> => {
  const len = readU16(msg, at)
  if (len === 0) return Result.succeed(EMPTY)
  if (len > max) return malformed(`${name} too long`)
  const off = readU32(msg, at + 4)
  if (off < fixed || off + len > msg.length) return malformed(`${name} out of bounds`)
  return Result.succeed(msg.slice(off, off + len))
}

/**
 * The offset where the payload starts: the smallest offset of a non-empty
 * field, or the message length if all are empty. Optional header parts
 * (VERSION, MIC) exist only if the payload leaves room for them.
 */
export const payloadStart = (msg: Uint8Array, fieldOffsets: ReadonlyArray<number>): number => {
  let start = msg.length
  for (const at of fieldOffsets) {
    if (readU16(msg, at) !== 0) start = Math.min(start, readU32(msg, at + 4))
  }
  return start
}

/** The largest length a 16-bit Len field can describe. */
export const MAX_FIELD = 0xffff

/** Fails with a {@link NtlmTooLarge} carrying `reason`. */
export const tooLarge = (reason: string): Result.Result<never, NtlmTooLarge> =>
  Result.fail(new NtlmTooLarge({ reason }))

/**
 * Allocates a message of `header + payloads` bytes, writes the signature,
 * the message type and each `[fieldOffset, bytes]` field with its payload
 * (in order, starting right after the header). The caller fills the rest
 * of the header. A payload longer than a 16-bit length, or a message larger
 * than {@link MAX_MESSAGE_SIZE} (what every decoder, ours included, refuses),
 * is a {@link NtlmTooLarge}: a field's size may come from the peer.
 */
export const layout = (
  type: MessageType,
  header: number,
  fields: ReadonlyArray<readonly [number, Uint8Array]>
): Result.Result<Uint8Array, NtlmTooLarge> => {
  let size = header
  for (const [, data] of fields) {
    if (data.length > MAX_FIELD) return tooLarge("NTLM field longer than 65535 bytes")
    size += data.length
  }
  if (size > MAX_MESSAGE_SIZE) return tooLarge("NTLM message larger than 64 KiB")
  const msg = new Uint8Array(size)
  msg.set(SIGNATURE, 0)
  writeU32(msg, 8, type)
  let off = header
  for (const [at, data] of fields) {
    writeU16(msg, at, data.length)
    writeU16(msg, at + 2, data.length)
    writeU32(msg, at + 4, off)
    msg.set(data, off)
    off += data.length
  }
  return Result.succeed(msg)
}
