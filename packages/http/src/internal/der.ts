/**
 * Just enough DER to find a certificate's signatureAlgorithm OID
 * (Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }).
 */

interface Tlv {
  readonly tag: number
  readonly start: number
  readonly end: number
  readonly next: number
}

const readTlv = (b: Uint8Array, at: number, limit: number): Tlv | undefined => {
  if (at + 2 > limit) return undefined
  const tag = b[at]!
  let length = b[at + 1]!
  let start = at + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || start + count > limit) return undefined
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + b[start + i]!
    start += count
  }
  const end = start + length
  return end > limit ? undefined : { tag, start, end, next: end }
}

const oidText = (b: Uint8Array): string => {
  const parts: Array<number> = []
  let value = 0
  for (const byte of b) {
    value = value * 128 + (byte & 0x7f)
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else parts.push(value)
      value = 0
    }
  }
  return parts.join(".")
}

/** The dotted signatureAlgorithm OID of a DER certificate, or `undefined` if it does not parse. */
export const signatureAlgorithmOid = (certificate: Uint8Array): string | undefined => {
  const outer = readTlv(certificate, 0, certificate.length)
  if (outer === undefined || outer.tag !== 0x30) return undefined
  const tbs = readTlv(certificate, outer.start, outer.end)
  if (tbs === undefined || tbs.tag !== 0x30) return undefined
  const algorithm = readTlv(certificate, tbs.next, outer.end)
  if (algorithm === undefined || algorithm.tag !== 0x30) return undefined
  const oid = readTlv(certificate, algorithm.start, algorithm.end)
  if (oid === undefined || oid.tag !== 0x06) return undefined
  return oidText(certificate.subarray(oid.start, oid.end))
}
