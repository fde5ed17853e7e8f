/**
 * NTLM credential and context state, and the flag policy shared by both
 * sides.
 */
import { ChannelBindings, Flags, SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Result } from "effect"
import type { AvPair } from "./avpairs.ts"
import { NegotiateFlags as F } from "./constants.ts"
import { NtlmSessionSecurity } from "./session.ts"
import type { DomainVerifier } from "../DomainVerifier.ts"
import type { UserStore } from "../UserStore.ts"

/** A credential: the client's identity (outbound) and/or the user store (inbound). */
export interface NtlmCredential {
  readonly user: string
  readonly domain: string
  readonly workstation: string
  /** NTOWFv1; zeroed when the credential is freed. */
  readonly ntHash: Uint8Array | undefined
  /** NTOWFv2 of the user and domain (constant per credential); zeroed when freed. */
  readonly responseKeyV2: Uint8Array | undefined
  /** LMOWFv1, only when LM/NTLMv1 is enabled; zeroed when freed. */
  readonly lmHash: Uint8Array | undefined
  /** Send NTLMv1 responses (initiator) / accept them (acceptor). Off by default. */
  readonly allowNtlmV1: boolean
  readonly store: UserStore["Service"] | undefined
  /** Inbound: the domain that verifies NTLMv2 responses instead of `store` (see `DomainVerifier`). */
  readonly verifier?: DomainVerifier["Service"] | undefined
}

/** One NTLM context, client or server. */
export interface NtlmContext {
  readonly role: "client" | "server"
  /** What the context waits for next. */
  phase: "challenge" | "authenticate" | "done"
  flags: number
  negotiate: Uint8Array
  challenge: Uint8Array
  /** Server: the AV pairs its CHALLENGE sent, which the client must echo. */
  sentTargetInfo?: ReadonlyArray<AvPair>
  /** Server with a shared handshake store: the id its pending state is stored under (the CHALLENGE's MsvAvTimestamp). */
  handshakeId?: string | undefined
  /** Server, state taken from a handshake store: the channel bindings hash its CHALLENGE leg was given. */
  storedBindings?: Uint8Array | undefined
  serverChallenge: Uint8Array
  userName: string
  /** Server, verified by the domain: who the client is there (the validation info's SIDs). */
  identity?: SecurityPackage.LogonIdentity | undefined
  exportedSessionKey: Uint8Array | undefined
  /** Signing and sealing state, derived on first use (HTTP authentication never needs it). */
  session: NtlmSessionSecurity | undefined
}

/** What we offer in NEGOTIATE, and the most we accept from a client. */
export const offeredFlags =
  F.UNICODE | F.OEM | F.REQUEST_TARGET | F.SIGN | F.SEAL | F.NTLM | F.ALWAYS_SIGN |
  F.EXTENDED_SESSIONSECURITY | F.VERSION | F.KEY_128 | F.KEY_EXCH | F.KEY_56

/** The ISC_RET_* / ASC_RET_* bits that the negotiated NTLM flags provide, limited to what was asked. */
export const contextAttributes = (role: NtlmContext["role"], requested: number, flags: number): number => {
  const ret = role === "client" ? Flags.IscRet : Flags.AscRet
  let provided = ret.CONNECTION
  if ((flags & (F.SIGN | F.SEAL)) !== 0) provided |= ret.INTEGRITY | ret.REPLAY_DETECT | ret.SEQUENCE_DETECT
  if ((flags & F.SEAL) !== 0) provided |= ret.CONFIDENTIALITY
  // these REQ and RET bits share their positions on each side
  return provided & requested
}

/** The MD5 hash of the SECBUFFER_CHANNEL_BINDINGS input, if any. */
export const bindingsHash = ChannelBindings.hashOfInput

/** The input SECBUFFER_TOKEN bytes, or SEC_E_INVALID_TOKEN. */
export const inputToken = (
  input: ReadonlyArray<SecBuffer.SecBuffer>
): Result.Result<Uint8Array, SecurityError.InvalidToken> => {
  const token = SecBuffer.find(input, SecBuffer.BufferType.TOKEN)
  return token === undefined || token.data.length === 0
    ? Result.fail(new SecurityError.InvalidToken({ detail: "no input token" }))
    : Result.succeed(token.data)
}

/** Maps a codec failure to SEC_E_INVALID_TOKEN, keeping the (non-secret) reason. */
export const invalidToken = (e: { readonly reason: string }) => new SecurityError.InvalidToken({ detail: e.reason })

/** The input token and its decoding, or SEC_E_INVALID_TOKEN. Plain code: the handshake hot path. */
export const decodeInput = <A>(
  input: ReadonlyArray<SecBuffer.SecBuffer>,
  decode: (bytes: Uint8Array) => Result.Result<A, { readonly reason: string }>
): Result.Result<{ readonly bytes: Uint8Array; readonly message: A }, SecurityError.InvalidToken> => {
  const token = inputToken(input)
  if (Result.isFailure(token)) return Result.fail(token.failure)
  const decoded = decode(token.success)
  return Result.isFailure(decoded)
    ? Result.fail(invalidToken(decoded.failure))
    : Result.succeed({ bytes: token.success, message: decoded.success })
}

/** Zeroes every secret a context holds. */
export const wipeContext = (context: NtlmContext): void => {
  context.exportedSessionKey?.fill(0)
  context.session?.wipe()
  context.serverChallenge.fill(0)
  context.exportedSessionKey = undefined
  context.session = undefined
  context.identity = undefined
  context.phase = "done"
}

/** The context's session security, derived from the exported session key on first use. */
export const sessionOf = (context: NtlmContext): NtlmSessionSecurity | undefined => {
  if (context.session === undefined && context.phase === "done" && context.exportedSessionKey !== undefined) {
    context.session = new NtlmSessionSecurity({
      flags: context.flags,
      exportedSessionKey: context.exportedSessionKey,
      side: context.role
    })
  }
  return context.session
}
