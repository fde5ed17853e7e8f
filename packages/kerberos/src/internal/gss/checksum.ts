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
