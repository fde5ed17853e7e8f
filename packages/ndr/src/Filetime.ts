/**
 * FILETIME (MS-DTYP 2.3.3) values: 100 ns intervals since 1601-01-01 UTC.
 *
 * @since 0.1.0
 */

/** 100 ns intervals between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFFERENCE = 116444736000000000n

/**
 * MS-PAC 2.5 / MS-KILE: 0x7FFFFFFFFFFFFFFF means "never" and 0 "not set".
 *
 * @since 0.1.0
 */
export const NEVER = 0x7fffffffffffffffn

/**
 * Epoch milliseconds of a FILETIME (rounded down).
 *
 * @since 0.1.0
 */
export const toEpochMillis = (filetime: bigint): number => Number((filetime - EPOCH_DIFFERENCE) / 10000n)

/**
 * The FILETIME of epoch milliseconds.
 *
 * @since 0.1.0
 */
export const fromEpochMillis = (ms: number): bigint => BigInt(Math.trunc(ms)) * 10000n + EPOCH_DIFFERENCE
