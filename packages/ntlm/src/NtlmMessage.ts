/**
 * Decoding received NTLM messages ([MS-NLMP] 2.2.1) for display and
 * inspection: `decode(bytes)` gives a tagged union NEGOTIATE | CHALLENGE |
 * AUTHENTICATE with the names, flags, AV pairs, version and the parts of an
 * NTLMv2 response, through the same strict decoders the package uses. It
 * never throws; malformed input is `SecurityError.InvalidToken`
 * (SEC_E_INVALID_TOKEN) whose detail names the failed check, never message
 * contents.
 *
 * Responses, the MIC and the encrypted session key are secret-equivalent (an
 * NTLMv2 response with its server challenge can be cracked offline): they
 * are returned as bytes for callers that need them, but a viewer should show
 * their sizes only.
 *
 * ```ts
 * import { Result } from "effect"
 * import { NtlmMessage } from "@effect-sspi/ntlm"
 *
 * const m = NtlmMessage.decode(bytes)
 * if (Result.isSuccess(m) && m.success._tag === "Authenticate") {
 *   console.log(m.success.domain, m.success.user, NtlmMessage.flagNames(m.success.flags))
 * }
 * ```
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { Flags, SecurityError } from "@effect-sspi/core"
import { type AvPair as RawAvPair, readFileTime } from "./internal/avpairs.ts"
import { fromUtf16le, readU32 } from "./internal/bytes.ts"
import { AvFlags as AvFlagsTable, AvId as AvIdTable, MessageType, NegotiateFlags as NegotiateFlagsTable, SIGNATURE } from "./internal/constants.ts"
import type { NtlmMalformed } from "./internal/errors.ts"
import { decodeAuthenticate, decodeChallenge, decodeNegotiate, peekMessageType, type Version } from "./internal/messages.ts"
import { decodeNtlmv2Response } from "./internal/responses.ts"

/**
 * NTLMSSP_NEGOTIATE_* flag bits ([MS-NLMP] 2.2.2.5), by name without the
 * prefix (`UNICODE`, `EXTENDED_SESSIONSECURITY`, …).
 *
 * @since 0.1.0
 */
export const NegotiateFlags: Readonly<Record<keyof typeof NegotiateFlagsTable, number>> = NegotiateFlagsTable

/**
 * AV_PAIR identifiers ([MS-NLMP] 2.2.2.1).
 *
 * @since 0.1.0
 */
export const AvId: Readonly<Record<keyof typeof AvIdTable, number>> = AvIdTable

/**
 * Bits of the MsvAvFlags value ([MS-NLMP] 2.2.2.1).
 *
 * @since 0.1.0
 */
export const AvFlags: Readonly<Record<keyof typeof AvFlagsTable, number>> = AvFlagsTable

/**
 * The VERSION structure (informational only).
 *
 * @since 0.1.0
 */
export type { Version }

/**
 * One AV pair with its name and, for the well-known ones, its value decoded.
 *
 * @since 0.1.0
 */
export interface AvPair {
  readonly id: number
  /** `MsvAvNbComputerName`, …, or `AvId 0x000b` for an unknown identifier. */
  readonly name: string
  /** The raw value (a copy). */
  readonly value: Uint8Array
  /** The name pairs (computer, domain, tree and target names), decoded from UTF-16LE. */
  readonly text?: string | undefined
  /** MsvAvFlags: the {@link AvFlags} bits. */
  readonly flags?: number | undefined
  /** MsvAvTimestamp: a FILETIME (100 ns units since 1601-01-01 UTC). */
  readonly timestamp?: bigint | undefined
  /** MsvAvChannelBindings: whether the hash is all zeros (no bindings). */
  readonly noChannelBindings?: boolean | undefined
}

/**
 * NEGOTIATE_MESSAGE ([MS-NLMP] 2.2.1.1).
 *
 * @since 0.1.0
 */
export interface Negotiate {
  readonly _tag: "Negotiate"
  /** The message's size in bytes. */
  readonly size: number
  readonly flags: number
  readonly domain?: string | undefined
  readonly workstation?: string | undefined
  readonly version?: Version | undefined
}

/**
 * CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2).
 *
 * @since 0.1.0
 */
export interface Challenge {
  readonly _tag: "Challenge"
  readonly size: number
  readonly flags: number
  /** 8 bytes (public: it travels in the clear). */
  readonly serverChallenge: Uint8Array
  readonly targetName?: string | undefined
  readonly targetInfo?: ReadonlyArray<AvPair> | undefined
  readonly version?: Version | undefined
}

/**
 * The NtChallengeResponse of an AUTHENTICATE_MESSAGE.
 *
 * @since 0.1.0
 */
export type NtResponse =
  /** Empty: an anonymous logon. */
  | { readonly _tag: "Anonymous"; readonly size: 0 }
  /** 24 bytes: NTLMv1 (secret-equivalent). */
  | { readonly _tag: "NTLMv1"; readonly size: number; readonly response: Uint8Array }
  /** An NTLMv2_RESPONSE ([MS-NLMP] 2.2.2.8) and its NTLMv2_CLIENT_CHALLENGE. */
  | {
    readonly _tag: "NTLMv2"
    readonly size: number
    /** NTProofStr, 16 bytes (secret-equivalent). */
    readonly ntProofStr: Uint8Array
    /** The client's FILETIME. */
    readonly timestamp: bigint
    /** 8 bytes. */
    readonly clientChallenge: Uint8Array
    readonly avPairs: ReadonlyArray<AvPair>
  }
  /** Neither 0, 24 nor a well-formed NTLMv2 response. */
  | { readonly _tag: "Unknown"; readonly size: number; readonly response: Uint8Array }

/**
 * AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3).
 *
 * @since 0.1.0
 */
export interface Authenticate {
  readonly _tag: "Authenticate"
  readonly size: number
  readonly flags: number
  readonly domain: string
  readonly user: string
  readonly workstation: string
  /** LmChallengeResponse (secret-equivalent; zeros when a MIC is sent). */
  readonly lmResponse: Uint8Array
  readonly ntResponse: NtResponse
  /** 16 bytes with KEY_EXCH (secret-equivalent). */
  readonly encryptedRandomSessionKey?: Uint8Array | undefined
  /** 16 bytes when present. */
  readonly mic?: Uint8Array | undefined
  readonly version?: Version | undefined
}

/**
 * A decoded NTLM message.
 *
 * @since 0.1.0
 */
export type NtlmMessage = Negotiate | Challenge | Authenticate

/**
 * Whether `bytes` starts with the "NTLMSSP\0" signature (it may still be
 * malformed).
 *
 * @since 0.1.0
 */
export const isNtlm = (bytes: Uint8Array): boolean =>
  bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b)

/**
 * The names of the set NTLMSSP_NEGOTIATE_* bits, with the prefix
 * (`NTLMSSP_NEGOTIATE_UNICODE`, …), in bit order.
 *
 * @since 0.1.0
 */
export const flagNames = (flags: number): ReadonlyArray<string> =>
  Flags.flagNames(NegotiateFlags, flags).map((name) => `NTLMSSP_NEGOTIATE_${name}`)

/**
 * The name of an AV pair identifier (`MsvAvTimestamp`, …, `AvId 0x000b`).
 *
 * @since 0.1.0
 */
export const avIdName = (id: number): string =>
  Object.entries(AvId).find(([, value]) => value === id)?.[0] ?? `AvId 0x${id.toString(16).padStart(4, "0")}`

/**
 * A FILETIME as a Date, or `undefined` when it is out of Date's range.
 *
 * @since 0.1.0
 */
export const fileTimeToDate = (fileTime: bigint): Date | undefined => {
  const ms = Number((fileTime - 116_444_736_000_000_000n) / 10_000n)
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms) : undefined
}

const nameIds: ReadonlySet<number> = new Set([
  AvIdTable.MsvAvNbComputerName,
  AvIdTable.MsvAvNbDomainName,
  AvIdTable.MsvAvDnsComputerName,
  AvIdTable.MsvAvDnsDomainName,
  AvIdTable.MsvAvDnsTreeName,
  AvIdTable.MsvAvTargetName
])

const avPair = (p: RawAvPair): AvPair => ({
  id: p.id,
  name: avIdName(p.id),
  value: p.value,
  ...(nameIds.has(p.id) ? { text: fromUtf16le(p.value) } : {}),
  ...(p.id === AvIdTable.MsvAvFlags && p.value.length === 4 ? { flags: readU32(p.value, 0) >>> 0 } : {}),
  ...(p.id === AvIdTable.MsvAvTimestamp && p.value.length === 8 ? { timestamp: readFileTime(p.value, 0) } : {}),
  ...(p.id === AvIdTable.MsvAvChannelBindings ? { noChannelBindings: p.value.every((b) => b === 0) } : {})
})

const ntResponse = (nt: Uint8Array): NtResponse => {
  if (nt.length === 0) return { _tag: "Anonymous", size: 0 }
  if (nt.length === 24) return { _tag: "NTLMv1", size: 24, response: nt }
  const v2 = decodeNtlmv2Response(nt)
  return Result.isSuccess(v2)
    ? {
      _tag: "NTLMv2",
      size: nt.length,
      ntProofStr: v2.success.ntProofStr,
      timestamp: v2.success.timestamp,
      clientChallenge: v2.success.clientChallenge,
      avPairs: v2.success.avPairs.map(avPair)
    }
    : { _tag: "Unknown", size: nt.length, response: nt }
}

const invalid = (e: NtlmMalformed) => new SecurityError.InvalidToken({ detail: `NTLM: ${e.reason}` })

/**
 * Decodes a NEGOTIATE, CHALLENGE or AUTHENTICATE message. Malformed input
 * (bad signature or type, truncated, offsets out of bounds, over 64 KiB):
 * `SecurityError.InvalidToken` (SEC_E_INVALID_TOKEN). Never throws.
 *
 * @since 0.1.0
 */
export const decode = (bytes: Uint8Array): Result.Result<NtlmMessage, SecurityError.InvalidToken> => {
  const type = peekMessageType(bytes)
  if (Result.isFailure(type)) return Result.fail(invalid(type.failure))
  const size = bytes.length
  switch (type.success) {
    case MessageType.NEGOTIATE:
      return Result.mapBoth(decodeNegotiate(bytes), {
        onFailure: invalid,
        onSuccess: (m): NtlmMessage => ({ _tag: "Negotiate", size, ...m })
      })
    case MessageType.CHALLENGE:
      return Result.mapBoth(decodeChallenge(bytes), {
        onFailure: invalid,
        onSuccess: ({ targetInfo, ...m }): NtlmMessage => ({
          _tag: "Challenge",
          size,
          ...m,
          ...(targetInfo === undefined ? {} : { targetInfo: targetInfo.map(avPair) })
        })
      })
    default:
      return Result.mapBoth(decodeAuthenticate(bytes), {
        onFailure: invalid,
        onSuccess: ({ message: m }): NtlmMessage => ({
          _tag: "Authenticate",
          size,
          flags: m.flags,
          domain: m.domain,
          user: m.user,
          workstation: m.workstation,
          lmResponse: m.lmChallengeResponse,
          ntResponse: ntResponse(m.ntChallengeResponse),
          encryptedRandomSessionKey: m.encryptedRandomSessionKey,
          mic: m.mic,
          version: m.version
        })
      })
  }
}
