/**
 * GeneralizedTime in the KerberosTime profile (RFC 4120 5.2.3):
 * exactly "YYYYMMDDHHMMSSZ", UTC, no fractional seconds.
 *
 * @module
 */
import { Result } from "effect"
import { type Asn1Error, fail } from "./error.ts"

const DAY_MS = 86_400_000
/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in ms since the epoch. */
const MIN_MS = -62_167_219_200_000
const MAX_MS = 253_402_300_799_000

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
const daysFromCivil = (y: number, m: number, d: number): number => {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

const daysInMonth = (y: number, m: number): number =>
  m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31

/** Parses the 15 content octets at `bytes[start..end)` to ms since the epoch. */
export const readTime = (bytes: Uint8Array, start: number, end: number): Result.Result<number, Asn1Error> => {
  if (end - start !== 15 || bytes[start + 14] !== 0x5a) return fail("InvalidTime", start)
  const digits = (at: number, n: number): number => {
    let v = 0
    for (let i = start + at; i < start + at + n; i++) {
      const d = bytes[i]! - 0x30
      if (d < 0 || d > 9) return -1
      v = v * 10 + d
    }
    return v
  }
  const y = digits(0, 4)
  const mo = digits(4, 2)
  const d = digits(6, 2)
  const h = digits(8, 2)
  const mi = digits(10, 2)
  const s = digits(12, 2)
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) {
    return fail("InvalidTime", start)
  }
  return Result.succeed(daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000)
}

/**
 * The 15 content octets of a time given in ms since the epoch. Total:
 * milliseconds are dropped (floor), the value is clamped to years
 * 0000..9999, and NaN encodes as the epoch.
 */
export const timeContents = (ms: number): Uint8Array => {
  const t = Number.isNaN(ms) ? 0 : Math.min(MAX_MS, Math.max(MIN_MS, Math.floor(ms / 1000) * 1000))
  const days = Math.floor(t / DAY_MS)
  let secs = (t - days * DAY_MS) / 1000
  // civil from days (proleptic Gregorian)
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  const out = new Uint8Array(15)
  const put = (at: number, n: number, v: number): void => {
    for (let i = at + n - 1; i >= at; i--) {
      out[i] = 0x30 + (v % 10)
      v = Math.floor(v / 10)
    }
  }
  put(0, 4, y)
  put(4, 2, m)
  put(6, 2, d)
  put(8, 2, Math.floor(secs / 3600))
  secs %= 3600
  put(10, 2, Math.floor(secs / 60))
  put(12, 2, secs % 60)
  out[14] = 0x5a
  return out
}
