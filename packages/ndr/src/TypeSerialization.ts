/**
 * Type serialization version 1 (MS-RPCE 2.2.6): how a PAC buffer such as
 * KERB_VALIDATION_INFO is encoded outside any RPC call. An 8-byte common
 * header (2.2.6.1: Version 1, Endianness 0x10 = little-endian,
 * CommonHeaderLength 8, Filler 0xcccccccc), an 8-byte private header
 * (2.2.6.2: ObjectBufferLength, a multiple of 8, and a zero Filler), then
 * the NDR20 data of the top-level type, padded to ObjectBufferLength.
 *
 * @since 0.1.0
 */
import type { Result } from "effect"
import type { NdrError } from "./NdrError.ts"
import { NdrReader } from "./NdrReader.ts"
import { NdrWriter } from "./NdrWriter.ts"
import { run } from "./internal/stop.ts"

/** Length of the two headers. */
export const HEADER_LENGTH = 16

/**
 * Decodes a type-serialized buffer: checks both headers (MS-RPCE 2.2.6.1,
 * 2.2.6.2) and reads the one top-level object with `read`, which must stay
 * inside ObjectBufferLength. Bytes after the object buffer are refused.
 *
 * @since 0.1.0
 */
export const decode = <A>(bytes: Uint8Array, read: (r: NdrReader) => A): Result.Result<A, NdrError> =>
  run(() => {
    const header = new NdrReader(bytes)
    if (header.u8() !== 1) header.fail("type serialization: Version is not 1")
    // Only the little-endian representation (0x10) is accepted; Windows writes nothing else.
    if (header.u8() !== 0x10) header.fail("type serialization: not little-endian")
    if (header.u16() !== 8) header.fail("type serialization: CommonHeaderLength is not 8")
    header.u32() // Filler: 0xcccccccc, not checked (MS-RPCE 2.2.6.1 says it is ignored)
    const length = header.u32()
    header.u32() // Filler of the private header
    if (length % 8 !== 0) header.fail("type serialization: ObjectBufferLength is not a multiple of 8")
    if (length !== header.remaining) header.fail("type serialization: ObjectBufferLength disagrees with the buffer")
    const body = new NdrReader(bytes.subarray(HEADER_LENGTH))
    const value = read(body)
    // what is left must be the padding to a multiple of 8
    if (body.remaining >= 8) body.fail("type serialization: data ends before ObjectBufferLength")
    return value
  })

/**
 * Encodes one top-level object written by `write` with both headers, padded
 * to a multiple of 8.
 *
 * @since 0.1.0
 */
export const encode = (write: (w: NdrWriter) => void): Uint8Array => {
  const body = new NdrWriter()
  write(body)
  body.align(8)
  const data = body.finish()
  return new NdrWriter().u8(1).u8(0x10).u16(8).u32(0xcccccccc).u32(data.length).u32(0).bytes(data).finish()
}
