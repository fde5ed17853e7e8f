/**
 * Kerberos GSS-API per-message tokens: RFC 4121 section 4.2.6 MIC (TOK_ID
 * 04 04) and Wrap (05 04) tokens, raw; and the RFC 1964 section 1.2 tokens
 * inside [APPLICATION 0] (MIC 01 01, Wrap 02 01, delete 01 02). Checksums
 * and sealed data by size only.
 */
import { hex, node, type Tree } from "./tree.ts"

const FLAGS: ReadonlyArray<readonly [number, string]> = [[0x01, "SentByAcceptor"], [0x02, "Sealed"], [0x04, "AcceptorSubkey"]]
const flagNames = (f: number) => FLAGS.filter(([b]) => (f & b) !== 0).map(([, n]) => n).join(", ")

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!
const u64 = (b: Uint8Array, at: number) => Buffer.from(b.subarray(at, at + 8)).readBigUInt64BE(0)

/** Whether `bytes` is an RFC 4121 MIC or Wrap token. */
export const isGssPerMessage = (bytes: Uint8Array): boolean =>
  bytes.length >= 16 && (bytes[0] === 0x04 || bytes[0] === 0x05) && bytes[1] === 0x04 && (bytes[0] === 0x05 || bytes[3] === 0xff)

/** An RFC 4121 MIC or Wrap token. */
export const gssPerMessageTree = (bytes: Uint8Array): Tree => {
  const flags = bytes[2]!
  const common = [node(`Flags: 0x${flags.toString(16).padStart(2, "0")}${flags === 0 ? "" : ` (${flagNames(flags)})`}`)]
  if (bytes[0] === 0x04) {
    return node(`Kerberos GSS MIC token, RFC 4121 (${bytes.length} bytes)`, [
      node("TOK_ID: 0404 (MIC)"),
      ...common,
      node(`Filler: ${hex(bytes.subarray(3, 8))}`),
      node(`SND_SEQ: ${u64(bytes, 8)}`),
      node(`SGN_CKSUM: ${bytes.length - 16} bytes`)
    ])
  }
  return node(`Kerberos GSS Wrap token, RFC 4121 (${bytes.length} bytes)`, [
    node("TOK_ID: 0504 (Wrap)"),
    ...common,
    node(`Filler: ${hex(bytes.subarray(3, 4))}`),
    node(`EC: ${u16(bytes, 4)}`),
    node(`RRC: ${u16(bytes, 6)}`),
    node(`SND_SEQ: ${u64(bytes, 8)}`),
    node(`Data: ${bytes.length - 16} bytes (${(flags & 0x02) !== 0 ? "encrypted" : "plaintext and checksum"})`)
  ])
}

const sgnAlg: Readonly<Record<string, string>> = { "0000": "DES MAC MD5", "0100": "MD2.5", "0200": "DES MAC", "0400": "HMAC SHA1 DES3-KD", "1100": "HMAC MD5 (RC4)" }
const sealAlg: Readonly<Record<string, string>> = { "ffff": "none", "0000": "DES", "0200": "DES3-KD", "1000": "RC4" }

/** An RFC 1964 MIC / Wrap / delete token body (after the TOK_ID), or undefined. */
export const legacyTokenTree = (tokId: string, body: Uint8Array): ReadonlyArray<Tree> | undefined => {
  if (!["0101", "0201", "0102"].includes(tokId) || body.length < 22) return undefined
  const sgn = hex(body.subarray(0, 2))
  const seal = hex(body.subarray(2, 4))
  return [
    node(`SGN_ALG: ${sgn}${sgnAlg[sgn] === undefined ? "" : ` (${sgnAlg[sgn]})`}`),
    node(`SEAL_ALG: ${seal}${sealAlg[seal] === undefined ? "" : ` (${sealAlg[seal]})`}`),
    node(`Filler: ${hex(body.subarray(4, 6))}`),
    node("SND_SEQ: 8 bytes (encrypted)"),
    node("SGN_CKSUM: 8 bytes"),
    ...(body.length > 22 ? [node(`Data: ${body.length - 22} bytes`)] : [])
  ]
}
