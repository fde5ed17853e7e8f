/**
 * Decoding SPNEGO tokens (RFC 4178, MS-SPNG) for display and inspection,
 * with the strict decoder the Negotiate package itself uses:
 * `decode(bytes)` reads a framed NegTokenInit / NegTokenInit2 (first octet
 * 0x60, mechanism 1.3.6.1.5.5.2) or a bare NegTokenResp (`[1]`); `detect`
 * classifies a token by its framing (raw NTLM, raw Kerberos, SPNEGO). Never
 * throws; malformed input is `SecurityError.InvalidToken`
 * (SEC_E_INVALID_TOKEN) whose detail names the failed DER check and its
 * offset, never token contents.
 *
 * The inner `mechToken` / `responseToken` are the mechanism's own tokens
 * (NTLM messages, Kerberos AP-REQ / AP-REP); decode them with the
 * mechanism's decoder (e.g. `NtlmMessage.decode` of @effect-sspi/ntlm).
 *
 * ```ts
 * import { Result } from "effect"
 * import { SpnegoToken } from "@effect-sspi/negotiate"
 *
 * const t = SpnegoToken.decode(bytes)
 * if (Result.isSuccess(t) && t.success._tag === "NegTokenInit") {
 *   console.log(t.success.mechTypes.map(SpnegoToken.mechanismName))
 * }
 * ```
 *
 * @since 0.1.0
 */
import type { Oid } from "@effect-sspi/asn1"
import { SecurityError } from "@effect-sspi/core"
import { Result } from "effect"
import { decodeToken } from "./internal/decode.ts"
import { detectToken, type TokenKind } from "./internal/detect.ts"
import { encodeToken } from "./internal/encode.ts"
import { KRB5, MS_KRB5, NEGOEX, NTLMSSP, SPNEGO } from "./internal/oids.ts"
import {
  ContextFlag as ContextFlagTable,
  NegState as NegStateTable,
  type NegHints,
  type NegotiationToken,
  type NegTokenInit,
  type NegTokenInit2,
  type NegTokenResp
} from "./internal/tokens.ts"

/**
 * The token model: NegTokenInit, NegTokenInit2 (MS-SPNG), NegTokenResp.
 * Byte fields are views of the decoded input.
 *
 * @since 0.1.0
 */
export type { NegHints, NegotiationToken, NegTokenInit, NegTokenInit2, NegTokenResp, TokenKind }

/**
 * negState values of a NegTokenResp (RFC 4178 4.2.2).
 *
 * @since 0.1.0
 */
export const NegState: Readonly<Record<keyof typeof NegStateTable, number>> = NegStateTable

/**
 * ContextFlags (RFC 4178 4.2.1) as a mask, ASN.1 bit i as `1 << i`.
 *
 * @since 0.1.0
 */
export const ContextFlag: Readonly<Record<keyof typeof ContextFlagTable, number>> = ContextFlagTable

/**
 * Well-known mechanism OIDs.
 *
 * @since 0.1.0
 */
export const Mechanisms: {
  readonly SPNEGO: Oid
  readonly KRB5: Oid
  readonly MS_KRB5: Oid
  readonly NTLMSSP: Oid
  readonly NEGOEX: Oid
} = { SPNEGO, KRB5, MS_KRB5, NTLMSSP, NEGOEX }

const mechanismNames: ReadonlyArray<readonly [Oid, string]> = [
  [SPNEGO, "SPNEGO"],
  [KRB5, "Kerberos V5"],
  [MS_KRB5, "Kerberos V5 (Microsoft)"],
  [NTLMSSP, "NTLMSSP"],
  [NEGOEX, "NEGOEX"]
]

/**
 * A mechanism's name (`Kerberos V5`, `NTLMSSP`, …), or `undefined` for an
 * OID not listed in {@link Mechanisms}.
 *
 * @since 0.1.0
 */
export const mechanismName = (oid: Oid): string | undefined => mechanismNames.find(([o]) => o.equals(oid))?.[1]

/**
 * The name of a negState value (`accept-completed`, `accept-incomplete`,
 * `reject`, `request-mic`).
 *
 * @since 0.1.0
 */
export const negStateName = (state: number): string =>
  ["accept-completed", "accept-incomplete", "reject", "request-mic"][state] ?? `negState ${state}`

/**
 * The names of the ContextFlags set in a reqFlags mask.
 *
 * @since 0.1.0
 */
export const contextFlagNames = (mask: number): ReadonlyArray<string> =>
  Object.entries(ContextFlag).filter(([, bit]) => (mask & bit) !== 0).map(([name]) => `${name.toLowerCase()}Flag`)

/**
 * What a token is by its framing: "Ntlm" (raw NTLMSSP), "Kerberos" (GSS
 * framing with a Kerberos OID), "Spnego" (SPNEGO OID, or a bare `[1]`
 * NegTokenResp), "Unknown". Looks at the header and the OID only.
 *
 * @since 0.1.0
 */
export const detect = (bytes: Uint8Array): TokenKind => detectToken(bytes)

/**
 * Decodes a SPNEGO token as sent on the wire (HTTP `Negotiate`, SMB, …).
 *
 * @since 0.1.0
 */
export const decode = (bytes: Uint8Array): Result.Result<NegotiationToken, SecurityError.InvalidToken> =>
  Result.mapError(
    decodeToken(bytes),
    (e) => new SecurityError.InvalidToken({ detail: `SPNEGO: ${e.reason} at offset ${e.offset}` })
  )

/**
 * Encodes a token for the wire (total): NegTokenInit / NegTokenInit2 inside
 * the RFC 2743 framing with the SPNEGO OID, NegTokenResp bare; what
 * {@link decode} reads back byte for byte (tools and tests that relay or
 * alter tokens).
 *
 * @since 0.2.0
 */
export const encode = (token: NegotiationToken): Uint8Array => encodeToken(token)
