/**
 * The SPNEGO token model (RFC 4178 4.2, MS-SPNG 2.2.1). Byte fields are views
 * of the decoded input, not copies.
 *
 * @module
 */
import type { Oid } from "@effect-sspi/asn1"

/** ContextFlags (RFC 4178 4.2.1) as a mask: ASN.1 bit i is `1 << i`. */
export const ContextFlag = {
  Deleg: 1 << 0,
  Mutual: 1 << 1,
  Replay: 1 << 2,
  Sequence: 1 << 3,
  Anon: 1 << 4,
  Conf: 1 << 5,
  Integ: 1 << 6
} as const

/** negState of a NegTokenResp (RFC 4178 4.2.2). */
export const NegState = {
  AcceptCompleted: 0,
  AcceptIncomplete: 1,
  Reject: 2,
  RequestMic: 3
} as const

/** One of the four {@link NegState} values. */
export type NegState = (typeof NegState)[keyof typeof NegState]

/** RFC 4178 NegTokenInit: the initiator's first token. */
export interface NegTokenInit {
  readonly _tag: "NegTokenInit"
  /** Mechanisms in order of preference; the first is the optimistic one. */
  readonly mechTypes: ReadonlyArray<Oid>
  /** ContextFlags mask ({@link ContextFlag}); senders SHOULD omit it. */
  readonly reqFlags?: number
  /** Optimistic token of `mechTypes[0]`. */
  readonly mechToken?: Uint8Array
  /** [3] mechListMIC. */
  readonly mechListMIC?: Uint8Array
}

/** MS-SPNG NegHints. */
export interface NegHints {
  /** Read and written as ISO-8859-1 (one char per octet), e.g. "not_defined_in_RFC4178@please_ignore". */
  readonly hintName?: string
  readonly hintAddress?: Uint8Array
}

/**
 * MS-SPNG NegTokenInit2, the server-initiated variant; it shares the [0] CHOICE
 * alternative with NegTokenInit. Decoded when the token carries negHints [3]
 * or mechListMIC [4], or lacks mechTypes.
 */
export interface NegTokenInit2 {
  readonly _tag: "NegTokenInit2"
  readonly mechTypes?: ReadonlyArray<Oid>
  readonly reqFlags?: number
  readonly mechToken?: Uint8Array
  readonly negHints?: NegHints
  /** [4] mechListMIC. */
  readonly mechListMIC?: Uint8Array
}

/** RFC 4178 NegTokenResp: every token after the first. */
export interface NegTokenResp {
  readonly _tag: "NegTokenResp"
  readonly negState?: NegState
  readonly supportedMech?: Oid
  readonly responseToken?: Uint8Array
  readonly mechListMIC?: Uint8Array
}

/** NegotiationToken CHOICE { negTokenInit [0], negTokenResp [1] }. */
export type NegotiationToken = NegTokenInit | NegTokenInit2 | NegTokenResp
