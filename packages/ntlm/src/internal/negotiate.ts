/**
 * NEGOTIATE_MESSAGE codec ([MS-NLMP] 2.2.1.1).
 *
 * @module
 */
import { Result } from "effect"
import { fromOem, oem, readU32, writeU32 } from "./bytes.ts"
import { MAX_NAME_BYTES, MessageType, NegotiateFlags } from "./constants.ts"
import type { NtlmMalformed, NtlmTooLarge } from "./errors.ts"
import { checkHeader, layout, payloadStart, readField } from "./fields.ts"
import { decodeVersion, encodeVersion, type Version } from "./version.ts"

/** A NEGOTIATE_MESSAGE. Domain and workstation are OEM strings, present only if non-empty. */
export interface NegotiateMessage {
  readonly flags: number
  readonly domain?: string
  readonly workstation?: string
  /** Read only when NTLMSSP_NEGOTIATE_VERSION is set; written whenever defined. */
  readonly version?: Version
}

const MIN = 16
const FIXED = 32
const DOMAIN = 16
const WORKSTATION = 24
const VERSION = 32

/** Encodes a NEGOTIATE_MESSAGE. `flags` are written as given. */
export const encodeNegotiate = (m: NegotiateMessage): Result.Result<Uint8Array, NtlmTooLarge> => {
  const header = m.version === undefined ? FIXED : FIXED + 8
  return Result.map(layout(MessageType.NEGOTIATE, header, [
    [DOMAIN, oem(m.domain ?? "")],
    [WORKSTATION, oem(m.workstation ?? "")]
  ]), (msg) => {
    writeU32(msg, 12, m.flags)
    if (m.version !== undefined) encodeVersion(msg, VERSION, m.version)
    return msg
  })
}

/**
 * Decodes a NEGOTIATE_MESSAGE, accepting the short 16-byte form of old
 * clients. Never throws.
 */
export const decodeNegotiate = (msg: Uint8Array): Result.Result<NegotiateMessage, NtlmMalformed> =>
  Result.gen(function*() {
    yield* checkHeader(msg, MessageType.NEGOTIATE, MIN)
    const flags = readU32(msg, 12)
    if (msg.length < FIXED) return { flags }
    const domain = yield* readField(msg, DOMAIN, FIXED, MAX_NAME_BYTES, "domain")
    const workstation = yield* readField(msg, WORKSTATION, FIXED, MAX_NAME_BYTES, "workstation")
    const hasVersion = (flags & NegotiateFlags.VERSION) !== 0 && payloadStart(msg, [DOMAIN, WORKSTATION]) >= VERSION + 8
    return {
      flags,
      ...(domain.length > 0 ? { domain: fromOem(domain) } : {}),
      ...(workstation.length > 0 ? { workstation: fromOem(workstation) } : {}),
      ...(hasVersion ? { version: decodeVersion(msg, VERSION) } : {})
    }
  })
