/**
 * `sspi decode --password PW CHALLENGE AUTHENTICATE`: what a password
 * reveals of an NTLMv2 exchange ([MS-NLMP] 3.3.2): NTOWFv2 from the
 * password and the AUTHENTICATE's user and domain, the NTProofStr it
 * would give for the CHALLENGE's server challenge (compared with the one on
 * the wire in constant time), and from it the session base key and the
 * exported session key (3.4.5.1, 3.1.5.1.2) — shown only with
 * --show-secrets, sizes otherwise. Every derived key is zeroed once shown.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { md4, Rc4 } from "@effect-sspi/legacy-crypto"
import { NtlmMessage } from "@effect-sspi/ntlm"
import { Result } from "effect"
import { hex, node, type Tree } from "./tree.ts"

const NEGOTIATE_KEY_EXCH = 0x40000000
const NEGOTIATE_SIGN = 0x00000010
const NEGOTIATE_SEAL = 0x00000020

const utf16le = (s: string) => new Uint8Array(Buffer.from(s, "utf16le"))
const hmacMd5 = (key: Uint8Array, ...parts: ReadonlyArray<Uint8Array>) => {
  const h = createHmac("md5", key)
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** NtChallengeResponse of an AUTHENTICATE_MESSAGE: the security buffer at offset 20 ([MS-NLMP] 2.2.1.3). */
const ntChallengeResponse = (bytes: Uint8Array): Uint8Array | undefined => {
  if (bytes.length < 28) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const length = view.getUint16(20, true)
  const offset = view.getUint32(24, true)
  return offset + length <= bytes.length ? bytes.subarray(offset, offset + length) : undefined
}

/** The result of checking a password against an NTLMv2 AUTHENTICATE. */
export interface NtlmPasswordCheck {
  readonly matches: boolean
  readonly user: string
  readonly domain: string
  /** SessionBaseKey and ExportedSessionKey, only when the password matches. */
  readonly sessionBaseKey?: Uint8Array | undefined
  readonly exportedSessionKey?: Uint8Array | undefined
  readonly keyExchange: boolean
}

/**
 * Checks `password` against the NTLMv2 response of `authenticate` for the
 * server challenge of `challenge`; fails with a reason for people when the
 * two are not a CHALLENGE and an AUTHENTICATE with an NTLMv2 response.
 */
export const checkNtlmPassword = (
  challenge: Uint8Array,
  authenticate: Uint8Array,
  password: string
): Result.Result<NtlmPasswordCheck, string> => {
  const c = NtlmMessage.decode(challenge)
  const a = NtlmMessage.decode(authenticate)
  if (Result.isFailure(c) || c.success._tag !== "Challenge") return Result.fail("--password: the first token must be the NTLM CHALLENGE")
  if (Result.isFailure(a) || a.success._tag !== "Authenticate") return Result.fail("--password: the second token must be the NTLM AUTHENTICATE")
  const auth = a.success
  if (auth.ntResponse._tag !== "NTLMv2") return Result.fail(`--password: the AUTHENTICATE carries an ${auth.ntResponse._tag} NT response, not NTLMv2`)
  const response = ntChallengeResponse(authenticate)
  if (response === undefined || response.length <= 16) return Result.fail("--password: the AUTHENTICATE's NT response is truncated")
  // NTOWFv2 = HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(ConcatenationOf(Uppercase(User), UserDom))) (MS-NLMP 3.3.2)
  const pw = utf16le(password)
  const ntHash = md4(pw)
  pw.fill(0)
  const responseKey = hmacMd5(ntHash, utf16le(auth.user.toUpperCase() + auth.domain))
  ntHash.fill(0)
  // NTProofStr = HMAC_MD5(ResponseKeyNT, ConcatenationOf(CHALLENGE_MESSAGE.ServerChallenge, temp)) (MS-NLMP 3.3.2)
  const proof = hmacMd5(responseKey, c.success.serverChallenge, response.subarray(16))
  // compared in constant time: the NTProofStr is secret-equivalent
  const matches = timingSafeEqual(proof, response.subarray(0, 16))
  proof.fill(0)
  const keyExchange = (auth.flags & NEGOTIATE_KEY_EXCH) !== 0 && (auth.flags & (NEGOTIATE_SIGN | NEGOTIATE_SEAL)) !== 0
  if (!matches) {
    responseKey.fill(0)
    return Result.succeed({ matches, user: auth.user, domain: auth.domain, keyExchange })
  }
  // SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); KeyExchangeKey = SessionBaseKey for NTLMv2 (MS-NLMP 3.3.2, 3.4.5.1)
  const sessionBaseKey = hmacMd5(responseKey, response.subarray(0, 16))
  responseKey.fill(0)
  // ExportedSessionKey = RC4K(KeyExchangeKey, EncryptedRandomSessionKey) with KEY_EXCH, else KeyExchangeKey (MS-NLMP 3.1.5.1.2)
  const exportedSessionKey = keyExchange && auth.encryptedRandomSessionKey !== undefined
    ? (() => {
      const rc4 = new Rc4(sessionBaseKey)
      const out = rc4.process(auth.encryptedRandomSessionKey!)
      rc4.wipe()
      return out
    })()
    : sessionBaseKey.slice()
  return Result.succeed({ matches, user: auth.user, domain: auth.domain, sessionBaseKey, exportedSessionKey, keyExchange })
}

/** The check as a tree; keys by size unless `showSecrets`; zeroes them. */
export const ntlmPasswordTree = (check: NtlmPasswordCheck, showSecrets: boolean): Tree => {
  const key = (label: string, k: Uint8Array | undefined) =>
    k === undefined ? [] : [node(`${label}: ${showSecrets ? hex(k) : `<${k.length} bytes; --show-secrets shows it>`}`)]
  const tree = node(`password check (NTLMv2, ${check.domain === "" ? "" : `${check.domain}\\`}${check.user})`, [
    node(check.matches ? "password: matches (NTProofStr verified)" : "password: does NOT match (NTProofStr differs)"),
    ...key("session base key", check.sessionBaseKey),
    ...key(`exported session key${check.keyExchange ? " (RC4-decrypted EncryptedRandomSessionKey)" : " (= key exchange key, no KEY_EXCH)"}`, check.exportedSessionKey)
  ])
  check.sessionBaseKey?.fill(0)
  check.exportedSessionKey?.fill(0)
  return tree
}
