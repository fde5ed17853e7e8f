/**
 * Channel bindings (SEC_CHANNEL_BINDINGS / gss_channel_bindings_struct):
 * the SECBUFFER_CHANNEL_BINDINGS payload, and the MD5 hash of its
 * serialization that NTLM (MsvAvChannelBindings, [MS-NLMP] 2.2.2.1) and
 * Kerberos (the 0x8003 checksum, RFC 4121 section 4.1.1.2) carry.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Result } from "effect"
import { BufferType, find, type SecBuffer } from "./SecBuffer.ts"
import { BadBindings } from "./SecurityError.ts"

/**
 * The content of a channel-bindings structure.
 *
 * @since 0.1.0
 */
export interface ChannelBindings {
  readonly initiatorAddrType: number
  readonly initiatorAddress: Uint8Array
  readonly acceptorAddrType: number
  readonly acceptorAddress: Uint8Array
  readonly applicationData: Uint8Array
}

const EMPTY = new Uint8Array(0)

/**
 * Bindings made of application data only, e.g. `"tls-server-end-point:"` +
 * the certificate hash (RFC 5929).
 *
 * @since 0.1.0
 */
export const fromApplicationData = (applicationData: Uint8Array): ChannelBindings => ({
  initiatorAddrType: 0,
  initiatorAddress: EMPTY,
  acceptorAddrType: 0,
  acceptorAddress: EMPTY,
  applicationData
})

/**
 * MD5 of the serialization: initiator address type, length, address;
 * acceptor address type, length, address; application data length, data
 * (integers 32-bit little-endian).
 *
 * @since 0.1.0
 */
export const hash = (cb: ChannelBindings): Uint8Array => {
  const ints = new Uint8Array(20)
  const view = new DataView(ints.buffer)
  view.setUint32(0, cb.initiatorAddrType, true)
  view.setUint32(4, cb.initiatorAddress.length, true)
  view.setUint32(8, cb.acceptorAddrType, true)
  view.setUint32(12, cb.acceptorAddress.length, true)
  view.setUint32(16, cb.applicationData.length, true)
  return new Uint8Array(
    createHash("md5")
      .update(ints.subarray(0, 8)).update(cb.initiatorAddress)
      .update(ints.subarray(8, 16)).update(cb.acceptorAddress)
      .update(ints.subarray(16, 20)).update(cb.applicationData)
      .digest()
  )
}

/**
 * Decodes a SEC_CHANNEL_BINDINGS structure (eight 32-bit fields: types,
 * lengths, offsets from the start of the structure, then the data). Never
 * throws; a malformed structure is SEC_E_BAD_BINDINGS.
 *
 * @since 0.1.0
 */
export const decode = (b: Uint8Array): Result.Result<ChannelBindings, BadBindings> => {
  if (b.length < 32) return Result.fail(new BadBindings({ detail: "channel bindings truncated" }))
  const view = new DataView(b.buffer, b.byteOffset, b.length)
  const part = (lenAt: number, offAt: number): Uint8Array | undefined => {
    const len = view.getUint32(lenAt, true)
    if (len === 0) return EMPTY
    const off = view.getUint32(offAt, true)
    return off >= 32 && off + len <= b.length ? Uint8Array.prototype.slice.call(b, off, off + len) : undefined
  }
  const initiatorAddress = part(4, 8)
  const acceptorAddress = part(16, 20)
  const applicationData = part(24, 28)
  if (initiatorAddress === undefined || acceptorAddress === undefined || applicationData === undefined) {
    return Result.fail(new BadBindings({ detail: "channel bindings out of bounds" }))
  }
  return Result.succeed({
    initiatorAddrType: view.getUint32(0, true),
    initiatorAddress,
    acceptorAddrType: view.getUint32(12, true),
    acceptorAddress,
    applicationData
  })
}

/**
 * The hash of the SECBUFFER_CHANNEL_BINDINGS buffer among `input`, or
 * `undefined` when there is none.
 *
 * @since 0.1.0
 */
export const hashOfInput = (input: ReadonlyArray<SecBuffer>): Result.Result<Uint8Array | undefined, BadBindings> => {
  const buffer = find(input, BufferType.CHANNEL_BINDINGS)
  return buffer === undefined ? Result.succeed(undefined) : Result.map(decode(buffer.data), hash)
}

/**
 * Extended Protection for Authentication (channel-binding enforcement) as
 * Windows' levels, one setting shared by every acceptor package (NTLM,
 * Kerberos, Negotiate over them):
 * - `"off"`: bindings are not checked;
 * - `"whenSupported"` (default, as Windows Server 2025): a client that sends
 *   bindings must send the right ones; a client that sends none (no
 *   MsvAvChannelBindings / no 0x8003 bindings, or all zero) is accepted;
 * - `"required"`: when the acceptor has bindings (SECBUFFER_CHANNEL_BINDINGS
 *   given), a client must send equal ones (SEC_E_BAD_BINDINGS otherwise).
 *
 * @since 0.2.0
 */
export type ExtendedProtection = "off" | "whenSupported" | "required"
