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

/**
 * The 0x8003 checksum value: Lgth (16), Bnd, Flags and, when `deleg` is
 * given, DlgOpt = 1, Dlen and Deleg (a KRB-CRED), RFC 4121 section 4.1.1.
 * The caller sets GssFlags.DELEG in `flags` exactly when `deleg` is given.
 */
export const encodeGssChecksum = (bindingsMd5: Uint8Array, flags: number, deleg?: Uint8Array): Uint8Array => {
  const out = new Uint8Array(24 + (deleg === undefined ? 0 : 4 + deleg.length))
  const v = new DataView(out.buffer)
  v.setUint32(0, 16, true)
  out.set(bindingsMd5, 4)
  v.setUint32(20, flags >>> 0, true)
  if (deleg !== undefined) {
    v.setUint16(24, 1, true)
    v.setUint16(26, deleg.length, true)
    out.set(deleg, 28)
  }
  return out
}

/** The largest KRB-CRED the 16-bit Dlen field can carry. */
export const MAX_DELEG = 0xffff

/**
 * A decoded 0x8003 checksum. `deleg` is the KRB-CRED, present exactly when
 * the DELEG flag is set.
 */
export interface GssChecksum {
  readonly bindings: Uint8Array
  readonly flags: number
  readonly deleg: Uint8Array | undefined
}

/** The binding hash, flags and delegation of a 0x8003 checksum value; never throws. */
export const decodeGssChecksum = (value: Uint8Array): Result.Result<GssChecksum, string> => {
  if (value.length < 24) return Result.fail("authenticator checksum truncated")
  const v = new DataView(value.buffer, value.byteOffset, value.length)
  if (v.getUint32(0, true) !== 16) return Result.fail("authenticator checksum: bad binding length")
  const flags = v.getUint32(20, true)
  if ((flags & GssFlags.DELEG) === 0) return Result.succeed({ bindings: copyBytes(value, 4, 20), flags, deleg: undefined })
  // RFC 4121 section 4.1.1: with GSS_C_DELEG_FLAG the checksum carries
  // DlgOpt (2 bytes, value 1), Dlen (2 bytes) and Deleg (Dlen bytes), little-endian
  if (value.length < 28) return Result.fail("authenticator checksum: DELEG flag without delegation fields")
  if (v.getUint16(24, true) !== 1) return Result.fail("authenticator checksum: DlgOpt is not 1")
  const dlen = v.getUint16(26, true)
  if (28 + dlen > value.length) return Result.fail("authenticator checksum: Dlen exceeds the checksum")
  return Result.succeed({ bindings: copyBytes(value, 4, 20), flags, deleg: copyBytes(value, 28, 28 + dlen) })
}
