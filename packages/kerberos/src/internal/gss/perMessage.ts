/**
 * RFC 4121 section 4.2.6 per-message tokens: MIC (TOK_ID 04 04) and Wrap
 * (TOK_ID 05 04, with or without confidentiality), including the EC and RRC
 * fields (any RRC is accepted; RRC 0 is sent unless asked otherwise).
 * Checks are constant time; failures say only which kind of failure.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { constantTimeEqual, type EncryptionProfile } from "../crypto/profile.ts"
import { copyBytes } from "../bytes.ts"

/** Token flag bits. */
export const TokenFlag = { SENT_BY_ACCEPTOR: 0x01, SEALED: 0x02, ACCEPTOR_SUBKEY: 0x04 } as const

/** The key that protects a context's messages. Secret: zeroed with the context. */
export interface ProtectionKey {
  readonly profile: EncryptionProfile
  readonly key: Uint8Array
  /** The key is the acceptor's subkey (sets / requires the AcceptorSubkey flag). */
  readonly acceptorSubkey: boolean
}

/** Why a token was refused: malformed (`Invalid`) or not authentic (`Altered`). */
export type Refusal = "Invalid" | "Altered"

const usage = (fromAcceptor: boolean, seal: boolean) => fromAcceptor ? (seal ? 22 : 23) : (seal ? 24 : 25)

const header = (tokId: number, flags: number, ec: number, rrc: number, seq: number): Uint8Array => {
  const h = new Uint8Array(16)
  const v = new DataView(h.buffer)
  v.setUint16(0, tokId)
  h[2] = flags
  if (tokId === 0x0404) h.fill(0xff, 3, 8)
  else {
    h[3] = 0xff
    v.setUint16(4, ec)
    v.setUint16(6, rrc)
  }
  v.setUint32(8, Math.floor(seq / 2 ** 32))
  v.setUint32(12, seq >>> 0)
  return h
}

const flagsOf = (k: ProtectionKey, fromAcceptor: boolean, sealed: boolean) =>
  (fromAcceptor ? TokenFlag.SENT_BY_ACCEPTOR : 0) | (sealed ? TokenFlag.SEALED : 0) |
  (k.acceptorSubkey ? TokenFlag.ACCEPTOR_SUBKEY : 0)

const cat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  // every byte is written below: no zero fill needed
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const rotateRight = (b: Uint8Array, n: number): Uint8Array => {
  if (b.length === 0) return b
  const k = n % b.length
  return k === 0 ? b : cat(b.subarray(b.length - k), b.subarray(0, b.length - k))
}

const rotateLeft = (b: Uint8Array, n: number): Uint8Array => rotateRight(b, b.length - (n % Math.max(b.length, 1)))

/**
 * `header || rotateRight(body, rrc)` written straight into one new array
 * (one copy of the body instead of three: the hot path of a large Wrap).
 * Every byte is written, so the array needs no zero fill.
 */
const withRotatedBody = (header: Uint8Array, body: Uint8Array, rrc: number): Uint8Array => {
  const out = Buffer.allocUnsafe(header.length + body.length)
  out.set(header, 0)
  const k = body.length === 0 ? 0 : rrc % body.length
  const at = header.length
  out.set(body.subarray(body.length - k), at)
  out.set(body.subarray(0, body.length - k), at + k)
  return out
}

const seqOf = (h: Uint8Array): number => {
  const v = new DataView(h.buffer, h.byteOffset, 16)
  return v.getUint32(8) * 2 ** 32 + v.getUint32(12)
}

/** Checks the common header fields of a received token. */
const checkHeader = (
  k: ProtectionKey,
  token: Uint8Array,
  tokId: number,
  fromAcceptor: boolean
): Result.Result<number, Refusal> => {
  if (token.length < 16 || ((token[0]! << 8) | token[1]!) !== tokId) return Result.fail("Invalid")
  const flags = token[2]!
  if (((flags & TokenFlag.SENT_BY_ACCEPTOR) !== 0) !== fromAcceptor) return Result.fail("Invalid")
  if (((flags & TokenFlag.ACCEPTOR_SUBKEY) !== 0) !== k.acceptorSubkey) return Result.fail("Invalid")
  return Result.succeed(flags)
}

/** GSS_GetMIC. */
export const makeMic = (k: ProtectionKey, fromAcceptor: boolean, seq: number, message: Uint8Array): Uint8Array => {
  const h = header(0x0404, flagsOf(k, fromAcceptor, false), 0, 0, seq)
  return cat(h, k.profile.checksum(k.key, usage(fromAcceptor, false), cat(message, h)))
}

/** GSS_VerifyMIC: the token's sequence number when authentic. */
export const verifyMic = (
  k: ProtectionKey,
  fromAcceptor: boolean,
  token: Uint8Array,
  message: Uint8Array
): Result.Result<number, Refusal> =>
  Result.flatMap(checkHeader(k, token, 0x0404, fromAcceptor), (): Result.Result<number, Refusal> => {
    for (let i = 3; i < 8; i++) if (token[i] !== 0xff) return Result.fail("Invalid")
    const h = token.subarray(0, 16)
    const ok = k.profile.verifyChecksum(k.key, usage(fromAcceptor, false), cat(message, h), token.subarray(16))
    return ok ? Result.succeed(seqOf(h)) : Result.fail("Altered")
  })

/** GSS_Wrap. */
export const wrap = (
  k: ProtectionKey,
  fromAcceptor: boolean,
  seq: number,
  conf: boolean,
  plaintext: Uint8Array,
  rrc = 0,
  confounder?: Uint8Array
): Uint8Array => {
  const flags = flagsOf(k, fromAcceptor, conf)
  if (conf) {
    // encrypt straight into the token, `shift` bytes further on, then move the
    // body's last `shift` bytes to the front: the RRC rotation costs no copy
    // of the body (RFC 4121 4.2.5)
    const bodyLength = k.profile.ciphertextLength(plaintext.length + 16)
    const shift = rrc % bodyLength
    const out = Buffer.allocUnsafe(16 + shift + bodyLength)
    out.set(header(0x0504, flags, 0, rrc, seq), 0)
    k.profile.encryptInto(
      k.key,
      usage(fromAcceptor, true),
      [plaintext, header(0x0504, flags, 0, 0, seq)],
      out,
      16 + shift,
      confounder
    )
    out.copyWithin(16, 16 + bodyLength, 16 + shift + bodyLength)
    return out.subarray(0, 16 + bodyLength)
  }
  const size = k.profile.checksumSize
  // Wrap tokens use the SEAL usage with or without confidentiality (RFC 4121 section 2)
  const mac = k.profile.checksum(k.key, usage(fromAcceptor, true), cat(plaintext, header(0x0504, flags, 0, 0, seq)))
  return withRotatedBody(header(0x0504, flags, size, rrc, seq), cat(plaintext, mac), rrc)
}

/** A Wrap token in two pieces: `token ‖ data` is the whole token and `data` is as long as the plaintext. */
export interface DetachedWrap {
  readonly token: Uint8Array
  readonly data: Uint8Array
}

/**
 * GSS_Wrap for EncryptMessage: the token's last `plaintext.length` octets
 * (the DATA buffer) apart from the rest (the TOKEN buffer), byte for byte
 * what {@link wrap} gives. Sealed with RRC = confounder + checksum sizes (as
 * Windows sends) and an enctype that allows it, `data` is the cipher's own
 * output and `token` a small new array: the message is encrypted once and
 * never copied. Otherwise both are views of one {@link wrap} token.
 */
export const wrapDetached = (
  k: ProtectionKey,
  fromAcceptor: boolean,
  seq: number,
  conf: boolean,
  plaintext: Uint8Array,
  rrc = 0,
  confounder?: Uint8Array
): DetachedWrap => {
  const profile = k.profile
  const rotated = profile.encryptRotatedInto
  if (conf && rotated !== undefined && rrc === profile.confounderSize + profile.checksumSize) {
    const flags = flagsOf(k, fromAcceptor, true)
    // header ‖ the rotated ciphertext's first octets (all but the plaintext's share)
    const token = Buffer.allocUnsafe(16 + rrc + profile.confounderSize)
    const data = rotated(k.key, usage(fromAcceptor, true), plaintext, header(0x0504, flags, 0, 0, seq), token, 16, confounder)
    if (data !== undefined) {
      token.set(header(0x0504, flags, 0, rrc, seq), 0)
      return { token, data }
    }
  }
  const whole = wrap(k, fromAcceptor, seq, conf, plaintext, rrc, confounder)
  const split = whole.length - plaintext.length
  return { token: whole.subarray(0, split), data: whole.subarray(split) }
}

/** What GSS_Unwrap gives. */
export interface Unwrapped {
  readonly plaintext: Uint8Array
  readonly seq: number
  readonly conf: boolean
}

/** GSS_Unwrap: the plaintext, its sequence number and whether it was sealed. */
export const unwrap = (
  k: ProtectionKey,
  fromAcceptor: boolean,
  token: Uint8Array
): Result.Result<Unwrapped, Refusal> =>
  Result.flatMap(checkHeader(k, token, 0x0504, fromAcceptor), (flags): Result.Result<Unwrapped, Refusal> => {
    if (token[3] !== 0xff) return Result.fail("Invalid")
    const v = new DataView(token.buffer, token.byteOffset, 16)
    const ec = v.getUint16(4)
    const rrc = v.getUint16(6)
    const seq = seqOf(token)
    const body = rotateLeft(token.subarray(16), rrc)
    if ((flags & TokenFlag.SEALED) !== 0) {
      const opened = k.profile.decrypt(k.key, usage(fromAcceptor, true), body)
      if (Result.isFailure(opened)) return Result.fail(opened.failure.reason === "TooShort" ? "Invalid" : "Altered")
      const p = opened.success
      if (p.length < 16 + ec) return Result.fail("Invalid")
      const inner = p.subarray(p.length - 16)
      const expected = Uint8Array.from(token.subarray(0, 16))
      expected[6] = 0
      expected[7] = 0
      if (!constantTimeEqual(inner, expected)) return Result.fail("Altered")
      return Result.succeed({ plaintext: copyBytes(p, 0, p.length - 16 - ec), seq, conf: true })
    }
    if (ec !== k.profile.checksumSize || body.length < ec) return Result.fail("Invalid")
    const plaintext = body.subarray(0, body.length - ec)
    const h = Uint8Array.from(token.subarray(0, 16))
    h.fill(0, 4, 8)
    const ok = k.profile.verifyChecksum(k.key, usage(fromAcceptor, true), cat(plaintext, h), body.subarray(body.length - ec))
    return ok ? Result.succeed({ plaintext: copyBytes(plaintext), seq, conf: false }) : Result.fail("Altered")
  })
