/**
 * CHALLENGE_MESSAGE codec ([MS-NLMP] 2.2.1.2).
 *
 * @module
 */
import { Result } from "effect"
import { readU32, writeU32 } from "./bytes.ts"
import { type AvPair, decodeAvPairs, encodeAvPairs } from "./avpairs.ts"
import { MAX_NAME_BYTES, MAX_MESSAGE_SIZE, MessageType, NegotiateFlags } from "./constants.ts"
import type { NtlmMalformed, NtlmTooLarge } from "./errors.ts"
import { checkHeader, layout, payloadStart, readField } from "./fields.ts"
import { decodeString, encodeString } from "./strings.ts"
import { decodeVersion, encodeVersion, type Version } from "./version.ts"

/** A CHALLENGE_MESSAGE. */
export interface ChallengeMessage {
  readonly flags: number
  /** Exactly 8 bytes. */
  readonly serverChallenge: Uint8Array
  /** Present only if non-empty; encoded per NTLMSSP_NEGOTIATE_UNICODE. */
  readonly targetName?: string
  /** Present only if the TargetInfo field is non-empty; excludes MsvAvEOL. */
  readonly targetInfo?: ReadonlyArray<AvPair>
  /** Read only when NTLMSSP_NEGOTIATE_VERSION is set; written whenever defined. */
  readonly version?: Version
}

const MIN = 32
const FIXED = 48
const TARGET_NAME = 12
const TARGET_INFO = 40
const VERSION = 48

/** Encodes a CHALLENGE_MESSAGE; `serverChallenge` is written as its first 8 bytes. */
export const encodeChallenge = (m: ChallengeMessage): Result.Result<Uint8Array, NtlmTooLarge> => {
  const header = m.version === undefined ? FIXED : FIXED + 8
  const info = m.targetInfo === undefined ? Result.succeed(new Uint8Array(0)) : encodeAvPairs(m.targetInfo)
  if (Result.isFailure(info)) return info
  return Result.map(layout(MessageType.CHALLENGE, header, [
    [TARGET_NAME, encodeString(m.flags, m.targetName ?? "")],
    [TARGET_INFO, info.success]
  ]), (msg) => {
    writeU32(msg, 20, m.flags)
    msg.set(m.serverChallenge.subarray(0, 8), 24)
    if (m.version !== undefined) encodeVersion(msg, VERSION, m.version)
    return msg
  })
}

/**
 * Decodes a CHALLENGE_MESSAGE, accepting the 32-byte form of old servers
 * (no TargetInfo). Never throws.
 */
export const decodeChallenge = (msg: Uint8Array): Result.Result<ChallengeMessage, NtlmMalformed> =>
  Result.gen(function*() {
    yield* checkHeader(msg, MessageType.CHALLENGE, MIN)
    const flags = readU32(msg, 20)
    const serverChallenge = msg.slice(24, 32)
    const fixed = msg.length >= FIXED ? FIXED : MIN
    const nameBytes = yield* readField(msg, TARGET_NAME, fixed, MAX_NAME_BYTES, "target name")
    const targetName = yield* decodeString(flags, nameBytes, "target name")
    if (fixed === MIN) return { flags, serverChallenge, ...(targetName ? { targetName } : {}) }
    const infoBytes = yield* readField(msg, TARGET_INFO, FIXED, MAX_MESSAGE_SIZE, "target info")
    const targetInfo = infoBytes.length > 0 ? yield* decodeAvPairs(infoBytes) : undefined
    const hasVersion = (flags & NegotiateFlags.VERSION) !== 0 &&
      payloadStart(msg, [TARGET_NAME, TARGET_INFO]) >= VERSION + 8
    return {
      flags,
      serverChallenge,
      ...(targetName ? { targetName } : {}),
      ...(targetInfo !== undefined ? { targetInfo } : {}),
      ...(hasVersion ? { version: decodeVersion(msg, VERSION) } : {})
    }
  })
