/**
 * Channel binding hash for MsvAvChannelBindings ([MS-NLMP] 2.2.2.1,
 * RFC 2744 gss_channel_bindings_struct, RFC 5929 "tls-server-end-point").
 *
 * @module
 */
import { Result } from "effect"
import { readU32, writeU32 } from "./bytes.ts"
import { md5 } from "./crypto.ts"
import type { NtlmMalformed } from "./errors.ts"
import { malformed } from "./fields.ts"

/** The content of a gss_channel_bindings_struct / SEC_CHANNEL_BINDINGS. */
export interface ChannelBindings {
  readonly initiatorAddrType: number
  readonly initiatorAddress: Uint8Array
  readonly acceptorAddrType: number
  readonly acceptorAddress: Uint8Array
  readonly applicationData: Uint8Array
}

const EMPTY = new Uint8Array(0)

/**
 * MD5 of the serialized struct: initiator addrtype, length, address,
 * acceptor addrtype, length, address, application data length, data; all
 * integers 32-bit little-endian.
 */
export const channelBindingsHash = (cb: ChannelBindings): Uint8Array => {
  const ints = new Uint8Array(20)
  writeU32(ints, 0, cb.initiatorAddrType)
  writeU32(ints, 4, cb.initiatorAddress.length)
  writeU32(ints, 8, cb.acceptorAddrType)
  writeU32(ints, 12, cb.acceptorAddress.length)
  writeU32(ints, 16, cb.applicationData.length)
  return md5(
    ints.subarray(0, 8),
    cb.initiatorAddress,
    ints.subarray(8, 16),
    cb.acceptorAddress,
    ints.subarray(16, 20),
    cb.applicationData
  )
}

/** The hash for bindings made only of application data, e.g. "tls-server-end-point:" + certificate hash. */
export const channelBindingsHashFromApplicationData = (applicationData: Uint8Array): Uint8Array =>
  channelBindingsHash({
    initiatorAddrType: 0,
    initiatorAddress: EMPTY,
    acceptorAddrType: 0,
    acceptorAddress: EMPTY,
    applicationData
  })

/**
 * Decodes a SEC_CHANNEL_BINDINGS structure (the SECBUFFER_CHANNEL_BINDINGS
 * payload): eight 32-bit fields (types, lengths, offsets from the start of
 * the struct) followed by the data. Never throws.
 */
export const decodeSecChannelBindings = (b: Uint8Array): Result.Result<ChannelBindings, NtlmMalformed> => {
  if (b.length < 32) return malformed("channel bindings truncated")
  const part = (lenAt: number, offAt: number): Uint8Array | undefined => {
    const len = readU32(b, lenAt)
    if (len === 0) return EMPTY
    const off = readU32(b, offAt)
    return off >= 32 && off + len <= b.length ? b.slice(off, off + len) : undefined
  }
  const initiatorAddress = part(4, 8)
  const acceptorAddress = part(16, 20)
  const applicationData = part(24, 28)
  if (initiatorAddress === undefined || acceptorAddress === undefined || applicationData === undefined) {
    return malformed("channel bindings out of bounds")
  }
  return Result.succeed({
    initiatorAddrType: readU32(b, 0),
    initiatorAddress,
    acceptorAddrType: readU32(b, 12),
    acceptorAddress,
    applicationData
  })
}
