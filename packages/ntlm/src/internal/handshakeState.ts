/**
 * The acceptor's state between CHALLENGE and AUTHENTICATE as bytes for a
 * shared `HandshakeStore` (core), so that any node can finish a handshake
 * another one started, and the id it is stored under.
 *
 * The id is the CHALLENGE's MsvAvTimestamp ([MS-NLMP] 2.2.2.1), which every
 * NTLMv2 client copies into the AvPairs of its response (3.1.5.2.1), under
 * NTProofStr. Its low-order bits are random ({@link issueTimestamp}), so that
 * two CHALLENGEs issued in the same millisecond get different ids.
 *
 * The state holds only what the wire already showed, plus the channel
 * bindings hash the acceptor was given: the NEGOTIATE and CHALLENGE messages
 * (for the MIC; the CHALLENGE also carries the flags, the server challenge and
 * the TargetInfo the client must echo). Never a key or a hash. When NTLM runs
 * inside another mechanism (SPNEGO), that mechanism's own state goes with the
 * entry as opaque bytes (`outer`, at most {@link MAX_OUTER}: for SPNEGO the
 * client's mechTypes, which the wire showed too), so that the node that
 * finishes the handshake can finish the outer one as well.
 *
 *   u8 version (1) | u8 flags (bit 0: bindings, bit 1: outer) | [16 bindings hash] |
 *   u32 LE NEGOTIATE length | NEGOTIATE | u32 LE CHALLENGE length | CHALLENGE |
 *   [u32 LE outer length | outer]
 */
import { RandomBytes } from "@effect-sspi/core"
import { Result } from "effect"
import { type AvPair, avTimestamp, fileTimeFromUnixMillis, findAvPair } from "./avpairs.ts"
import { readU32, writeU32 } from "./bytes.ts"
import { AvId } from "./constants.ts"
import { NtlmMalformed } from "./errors.ts"
import { decodeChallenge, decodeNegotiate } from "./messages.ts"

/** What a node needs to finish a handshake it did not start. */
export interface ServerState {
  readonly negotiate: Uint8Array
  readonly challenge: Uint8Array
  /** The MD5 of the SECBUFFER_CHANNEL_BINDINGS the CHALLENGE leg was given, if any. */
  readonly bindings: Uint8Array | undefined
  /** The state of the mechanism NTLM runs inside (SPNEGO), opaque here; never secret, at most {@link MAX_OUTER} bytes. */
  readonly outer?: Uint8Array | undefined
}

/** The largest outer-mechanism state stored with a handshake (SPNEGO's mechTypes are tens of bytes). */
export const MAX_OUTER = 1024

/** {@link ServerState} with the CHALLENGE decoded. */
export interface DecodedServerState extends ServerState {
  readonly flags: number
  readonly serverChallenge: Uint8Array
  readonly targetInfo: ReadonlyArray<AvPair>
}

const VERSION = 1
const BINDINGS = 16
const HAS_BINDINGS = 1
const HAS_OUTER = 2

/** Random low-order bits of the MsvAvTimestamp: 2^24 × 100 ns ≈ 1.68 s. */
export const RANDOM_BITS = 24
const SPREAD = 1n << BigInt(RANDOM_BITS)

/**
 * The CHALLENGE's MsvAvTimestamp: `now` as a FILETIME, moved by a random
 * offset in [-0.84 s, +0.84 s) (24 random bits), so that it also names the
 * handshake. The client's own timestamp check (30 minutes) is unaffected.
 */
export const issueTimestamp = (now: number): AvPair => {
  const random = RandomBytes.randomBytes(4)
  const offset = BigInt(((random[0]! | (random[1]! << 8) | (random[2]! << 16)) >>> 0)) - SPREAD / 2n
  random.fill(0)
  return avTimestamp(fileTimeFromUnixMillis(now) + offset)
}

/** The store id of a handshake: its MsvAvTimestamp's 8 bytes in hex. */
export const idOfTimestamp = (pair: AvPair): string => `ntlm:${Buffer.from(pair.value).toString("hex")}`

/** The id named by AV pairs (the CHALLENGE's, or those an NTLMv2 client echoed), if they hold an 8-byte MsvAvTimestamp. */
export const idOfPairs = (pairs: ReadonlyArray<AvPair>): string | undefined => {
  const pair = findAvPair(pairs, AvId.MsvAvTimestamp)
  return pair === undefined || pair.value.length !== 8 ? undefined : idOfTimestamp(pair)
}

/** Encodes the state (the messages are ≤ 64 KiB each, `outer` is checked by the caller: always encodable). */
export const encodeServerState = (state: ServerState): Uint8Array => {
  const bindings = state.bindings === undefined ? 0 : BINDINGS
  const parts = state.outer === undefined ? [state.negotiate, state.challenge] : [state.negotiate, state.challenge, state.outer]
  const out = new Uint8Array(2 + bindings + parts.reduce((n, part) => n + 4 + part.length, 0))
  out[0] = VERSION
  out[1] = (bindings === 0 ? 0 : HAS_BINDINGS) | (state.outer === undefined ? 0 : HAS_OUTER)
  let at = 2
  if (state.bindings !== undefined) {
    out.set(state.bindings.subarray(0, BINDINGS), at)
    at += BINDINGS
  }
  for (const part of parts) {
    writeU32(out, at, part.length)
    out.set(part, at + 4)
    at += 4 + part.length
  }
  return out
}

const malformed = (reason: string) => Result.fail(new NtlmMalformed({ reason: `handshake state: ${reason}` }))

/**
 * Decodes a stored state and checks it belongs to `id` (its CHALLENGE's
 * MsvAvTimestamp names `id`). Anything else is `NtlmMalformed`; never throws.
 */
export const decodeServerState = (bytes: Uint8Array, id: string): Result.Result<DecodedServerState, NtlmMalformed> => {
  if (bytes.length < 2 || bytes[0] !== VERSION || bytes[1]! > (HAS_BINDINGS | HAS_OUTER)) return malformed("unknown version")
  const flags = bytes[1]!
  let at = 2
  let bindings: Uint8Array | undefined
  if ((flags & HAS_BINDINGS) !== 0) {
    if (bytes.length < at + BINDINGS) return malformed("truncated")
    bindings = bytes.slice(at, at + BINDINGS)
    at += BINDINGS
  }
  const parts: Array<Uint8Array> = []
  for (let i = 0; i < ((flags & HAS_OUTER) !== 0 ? 3 : 2); i++) {
    if (bytes.length < at + 4) return malformed("truncated")
    const length = readU32(bytes, at)
    if (length > bytes.length - at - 4) return malformed("truncated")
    parts.push(bytes.slice(at + 4, at + 4 + length))
    at += 4 + length
  }
  if (at !== bytes.length) return malformed("trailing bytes")
  const [negotiate, challenge, outer] = parts as [Uint8Array, Uint8Array, Uint8Array | undefined]
  if (outer !== undefined && outer.length > MAX_OUTER) return malformed("outer state too large")
  const n = decodeNegotiate(negotiate)
  if (Result.isFailure(n)) return Result.fail(n.failure)
  const c = decodeChallenge(challenge)
  if (Result.isFailure(c)) return Result.fail(c.failure)
  const targetInfo = c.success.targetInfo ?? []
  if (idOfPairs(targetInfo) !== id) return malformed("stored under another id")
  return Result.succeed({
    negotiate,
    challenge,
    bindings,
    outer,
    flags: c.success.flags,
    serverChallenge: Uint8Array.from(c.success.serverChallenge),
    targetInfo
  })
}
