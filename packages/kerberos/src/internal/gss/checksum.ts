/**
 * The GSS authenticator checksum (RFC 4121 section 4.1.1, type 0x8003):
 * channel-binding hash and context flags carried in the AP-REQ's
 * authenticator.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Result } from "effect"
import { copyBytes } from "../bytes.ts"

/** The checksum type. */
export const GSS_CHECKSUM_TYPE = 0x8003

/** GSS context flags. */
export const GssFlags = {
  DELEG: 1,
  MUTUAL: 2,
  REPLAY: 4,
  SEQUENCE: 8,
  CONF: 16,
  INTEG: 32
} as const

/** The content of a SEC_CHANNEL_BINDINGS / gss_channel_bindings_struct. */
export interface ChannelBindings {
  readonly initiatorAddrType: number
  readonly initiatorAddress: Uint8Array
  readonly acceptorAddrType: number
  readonly acceptorAddress: Uint8Array
  readonly applicationData: Uint8Array
}

const u32le = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0, true)
  return b
}

/** MD5 over the bindings (RFC 4121 section 4.1.1.2); 16 zero bytes for none. */
export const bindingsHash = (cb: ChannelBindings | undefined): Uint8Array => {
  if (cb === undefined) return new Uint8Array(16)
  return new Uint8Array(
    createHash("md5")
      .update(u32le(cb.initiatorAddrType)).update(u32le(cb.initiatorAddress.length)).update(cb.initiatorAddress)
      .update(u32le(cb.acceptorAddrType)).update(u32le(cb.acceptorAddress.length)).update(cb.acceptorAddress)
      .update(u32le(cb.applicationData.length)).update(cb.applicationData)
      .digest()
  )
}

/** Decodes a SEC_CHANNEL_BINDINGS structure (32-byte header of types, lengths and offsets); never throws. */
export const decodeSecChannelBindings = (b: Uint8Array): Result.Result<ChannelBindings, string> => {
  if (b.length < 32) return Result.fail("channel bindings truncated")
  const v = new DataView(b.buffer, b.byteOffset, b.length)
  const part = (lenAt: number, offAt: number): Uint8Array | undefined => {
    const len = v.getUint32(lenAt, true)
    if (len === 0) return new Uint8Array(0)
    const off = v.getUint32(offAt, true)
    return off >= 32 && off + len <= b.length ? copyBytes(b, off, off + len) : undefined
  }
  const initiatorAddress = part(4, 8)
  const acceptorAddress = part(16, 20)
  const applicationData = part(24, 28)
  if (initiatorAddress === undefined || acceptorAddress === undefined || applicationData === undefined) {
    return Result.fail("channel bindings out of bounds")
  }
  return Result.succeed({
    initiatorAddrType: v.getUint32(0, true),
    initiatorAddress,
    acceptorAddrType: v.getUint32(12, true),
    acceptorAddress,
    applicationData
  })
}

/** The 0x8003 checksum value (no delegation). */
export const encodeGssChecksum = (bindingsMd5: Uint8Array, flags: number): Uint8Array => {
  const out = new Uint8Array(24)
  const v = new DataView(out.buffer)
  v.setUint32(0, 16, true)
  out.set(bindingsMd5, 4)
  v.setUint32(20, flags >>> 0, true)
  return out
}

/** The binding hash and flags of a 0x8003 checksum value; never throws. */
export const decodeGssChecksum = (value: Uint8Array): Result.Result<{ readonly bindings: Uint8Array; readonly flags: number }, string> => {
  if (value.length < 24) return Result.fail("authenticator checksum truncated")
  const v = new DataView(value.buffer, value.byteOffset, value.length)
  if (v.getUint32(0, true) !== 16) return Result.fail("authenticator checksum: bad binding length")
  return Result.succeed({ bindings: copyBytes(value, 4, 20), flags: v.getUint32(20, true) })
}
