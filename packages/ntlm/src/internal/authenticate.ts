/**
 * AUTHENTICATE_MESSAGE codec ([MS-NLMP] 2.2.1.3).
 *
 * @module
 */
import { Result } from "effect"
import { readU32, writeU32 } from "./bytes.ts"
import { MAX_NAME_BYTES, MIC_LENGTH, MIC_OFFSET, MessageType, NegotiateFlags } from "./constants.ts"
import type { NtlmMalformed, NtlmTooLarge } from "./errors.ts"
import { checkHeader, layout, malformed, payloadStart, readField } from "./fields.ts"
import { decodeString, encodeString } from "./strings.ts"
import { decodeVersion, encodeVersion, type Version } from "./version.ts"

/** An AUTHENTICATE_MESSAGE. Strings are encoded per NTLMSSP_NEGOTIATE_UNICODE. */
export interface AuthenticateMessage {
  readonly flags: number
  /** 0, 1 (anonymous) or 24 bytes. */
  readonly lmChallengeResponse: Uint8Array
  /** Empty (anonymous), 24 bytes (NTLMv1) or an NTLMv2_RESPONSE (at least 48 bytes). */
  readonly ntChallengeResponse: Uint8Array
  readonly domain: string
  readonly user: string
  readonly workstation: string
  /** 16 bytes when NTLMSSP_NEGOTIATE_KEY_EXCH is used, otherwise absent. */
  readonly encryptedRandomSessionKey?: Uint8Array
  /** Read only when NTLMSSP_NEGOTIATE_VERSION is set. */
  readonly version?: Version
  /** 16 bytes at {@link MIC_OFFSET} (the VERSION slot is then always present, zero if unused). */
  readonly mic?: Uint8Array
}

/** A decoded AUTHENTICATE_MESSAGE and where its MIC lies in the input. */
export interface DecodedAuthenticate {
  readonly message: AuthenticateMessage
  /** Byte offset of the MIC field, to zero it for verification; undefined if no room for one. */
  readonly micOffset: number | undefined
}

const FIXED = 64
const LM = 12
const NT = 20
const DOMAIN = 28
const USER = 36
const WORKSTATION = 44
const SESSION_KEY = 52
const VERSION = 64
const FIELDS = [LM, NT, DOMAIN, USER, WORKSTATION, SESSION_KEY] as const
const MAX_NT_RESPONSE = 16 * 1024

/**
 * Encodes an AUTHENTICATE_MESSAGE; with a MIC the payload starts at 88.
 * Payloads follow the order Windows uses (names, responses, session key).
 */
export const encodeAuthenticate = (m: AuthenticateMessage): Result.Result<Uint8Array, NtlmTooLarge> => {
  const header = m.mic !== undefined ? MIC_OFFSET + MIC_LENGTH : m.version !== undefined ? VERSION + 8 : FIXED
  return Result.map(layout(MessageType.AUTHENTICATE, header, [
    [DOMAIN, encodeString(m.flags, m.domain)],
    [USER, encodeString(m.flags, m.user)],
    [WORKSTATION, encodeString(m.flags, m.workstation)],
    [LM, m.lmChallengeResponse],
    [NT, m.ntChallengeResponse],
    [SESSION_KEY, m.encryptedRandomSessionKey ?? new Uint8Array(0)]
  ]), (msg) => {
    writeU32(msg, 60, m.flags)
    if (m.version !== undefined) encodeVersion(msg, VERSION, m.version)
    if (m.mic !== undefined) msg.set(m.mic.subarray(0, MIC_LENGTH), MIC_OFFSET)
    return msg
  })
}

/**
 * Decodes an AUTHENTICATE_MESSAGE. A MIC is reported when the payload
 * starts at or after byte 88. Never throws.
 */
export const decodeAuthenticate = (msg: Uint8Array): Result.Result<DecodedAuthenticate, NtlmMalformed> =>
  Result.gen(function*() {
    yield* checkHeader(msg, MessageType.AUTHENTICATE, FIXED)
    const flags = readU32(msg, 60)
    const lm = yield* readField(msg, LM, FIXED, 24, "LM response")
    const nt = yield* readField(msg, NT, FIXED, MAX_NT_RESPONSE, "NT response")
    if ((nt.length > 0 && nt.length < 24) || (nt.length > 24 && nt.length < 48)) {
      return yield* malformed("NT response has an invalid length")
    }
    const domain = yield* decodeString(flags, yield* readField(msg, DOMAIN, FIXED, MAX_NAME_BYTES, "domain"), "domain")
    const user = yield* decodeString(flags, yield* readField(msg, USER, FIXED, MAX_NAME_BYTES, "user"), "user")
    const workstation = yield* decodeString(
      flags,
      yield* readField(msg, WORKSTATION, FIXED, MAX_NAME_BYTES, "workstation"),
      "workstation"
    )
    const key = yield* readField(msg, SESSION_KEY, FIXED, 16, "session key")
    if (key.length !== 0 && key.length !== 16) return yield* malformed("session key has an invalid length")
    const start = payloadStart(msg, FIELDS)
    const hasVersion = (flags & NegotiateFlags.VERSION) !== 0 && start >= VERSION + 8
    const micOffset = start >= MIC_OFFSET + MIC_LENGTH ? MIC_OFFSET : undefined
    const message: AuthenticateMessage = {
      flags,
      lmChallengeResponse: lm,
      ntChallengeResponse: nt,
      domain,
      user,
      workstation,
      ...(key.length > 0 ? { encryptedRandomSessionKey: key } : {}),
      ...(hasVersion ? { version: decodeVersion(msg, VERSION) } : {}),
      ...(micOffset !== undefined ? { mic: msg.slice(micOffset, micOffset + MIC_LENGTH) } : {})
    }
    return { message, micOffset }
  })
