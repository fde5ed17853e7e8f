/**
 * Session key derivation ([MS-NLMP] 3.4.5): KXKEY, the key exchange, and
 * SIGNKEY / SEALKEY for both directions.
 *
 * @module
 */
import { desEncryptBlock } from "@effect-sspi/legacy-crypto"
import { NegotiateFlags } from "./constants.ts"
import { hmacMd5, md5, rc4k } from "./crypto.ts"

/** Which side of the connection a key is for: the client's outbound keys or the server's. */
export type Side = "client" | "server"

/** Inputs of {@link keyExchangeKeyV1}. */
export interface KxKeyV1Input {
  readonly flags: number
  readonly sessionBaseKey: Uint8Array
  readonly lmChallengeResponse: Uint8Array
  readonly serverChallenge: Uint8Array
  /** LMOWFv1 of the password (needed for NTLMSSP_NEGOTIATE_LM_KEY and REQUEST_NON_NT_SESSION_KEY). */
  readonly lmHash: Uint8Array
}

/**
 * KXKEY for NTLMv1. With extended session security:
 * HMAC_MD5(SessionBaseKey, ServerChallenge || LmChallengeResponse[0..7]).
 * For NTLMv2 the key exchange key is the session base key itself.
 */
export const keyExchangeKeyV1 = (i: KxKeyV1Input): Uint8Array => {
  const lm8 = i.lmChallengeResponse.subarray(0, 8)
  if ((i.flags & NegotiateFlags.EXTENDED_SESSIONSECURITY) !== 0) {
    return hmacMd5(i.sessionBaseKey, i.serverChallenge, lm8)
  }
  if ((i.flags & NegotiateFlags.LM_KEY) !== 0) {
    const k2 = new Uint8Array(7).fill(0xbd)
    k2[0] = i.lmHash[7]!
    const out = new Uint8Array(16)
    out.set(desEncryptBlock(i.lmHash.subarray(0, 7), lm8), 0)
    out.set(desEncryptBlock(k2, lm8), 8)
    return out
  }
  if ((i.flags & NegotiateFlags.REQUEST_NON_NT_SESSION_KEY) !== 0) {
    const out = new Uint8Array(16)
    out.set(i.lmHash.subarray(0, 8))
    return out
  }
  return i.sessionBaseKey.slice()
}

/** EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey); the server inverts it the same way. */
export const encryptSessionKey = (keyExchangeKey: Uint8Array, sessionKey: Uint8Array): Uint8Array =>
  rc4k(keyExchangeKey, sessionKey)

const magic = (s: string): Uint8Array => new TextEncoder().encode(s + "\0")
const CLIENT_SIGN = magic("session key to client-to-server signing key magic constant")
const SERVER_SIGN = magic("session key to server-to-client signing key magic constant")
const CLIENT_SEAL = magic("session key to client-to-server sealing key magic constant")
const SERVER_SEAL = magic("session key to server-to-client sealing key magic constant")

/** SIGNKEY: MD5(ExportedSessionKey || magic) with extended session security, otherwise none. */
export const signKey = (flags: number, exportedSessionKey: Uint8Array, side: Side): Uint8Array | undefined =>
  (flags & NegotiateFlags.EXTENDED_SESSIONSECURITY) !== 0
    ? md5(exportedSessionKey, side === "client" ? CLIENT_SIGN : SERVER_SIGN)
    : undefined

/**
 * SEALKEY with 128/56/40-bit weakening. With extended session security the
 * key is MD5 of the first 16/7/5 bytes and the magic; with LM_KEY or
 * DATAGRAM it is 7 bytes + 0xA0 (56-bit) or 5 bytes + E5 38 B0 (40-bit);
 * otherwise the exported session key itself.
 */
export const sealKey = (flags: number, exportedSessionKey: Uint8Array, side: Side): Uint8Array => {
  const k = exportedSessionKey
  if ((flags & NegotiateFlags.EXTENDED_SESSIONSECURITY) !== 0) {
    const len = (flags & NegotiateFlags.KEY_128) !== 0 ? 16 : (flags & NegotiateFlags.KEY_56) !== 0 ? 7 : 5
    return md5(k.subarray(0, len), side === "client" ? CLIENT_SEAL : SERVER_SEAL)
  }
  if ((flags & (NegotiateFlags.LM_KEY | NegotiateFlags.DATAGRAM)) !== 0) {
    const out = new Uint8Array(8)
    if ((flags & NegotiateFlags.KEY_56) !== 0) {
      out.set(k.subarray(0, 7))
      out[7] = 0xa0
    } else {
      out.set(k.subarray(0, 5))
      out.set([0xe5, 0x38, 0xb0], 5)
    }
    return out
  }
  return k.slice()
}
