/**
 * The mechanisms Negotiate chooses between, its credential and context
 * state, and the inner-mechanism helpers (legs, mechListMIC).
 */
import type { Oid } from "@effect-sspi/asn1"
import { SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect } from "effect"
import { encodeToken } from "./encode.ts"
import type { Fallback } from "./fallback.ts"
import { isKerberos, KRB5, MS_KRB5, NTLMSSP } from "./oids.ts"
import type { NegotiationToken } from "./tokens.ts"

/** One inner mechanism: its OID and its package. */
export interface Mechanism {
  readonly oid: Oid
  readonly pkg: SecurityPackage.AnySecurityPackage
}

/** A Negotiate credential: one inner credential per mechanism that could be acquired, in preference order. */
export interface NegotiateCredential {
  readonly mechs: ReadonlyArray<{ readonly mech: Mechanism; readonly credential: unknown }>
}

/** The chosen inner mechanism of a context. */
export interface Inner {
  readonly mech: Mechanism
  readonly credential: unknown
  state: unknown
  done: boolean
  /** The inner mechanism's last attributes and expiry. */
  attributes: number
  expiry: number
}

/** An inner mechanism after one of its legs. */
export const innerAfter = (
  mech: Mechanism,
  credential: unknown,
  innerStep: SecurityPackage.HandshakeStep<unknown>
): Inner => ({
  mech,
  credential,
  state: innerStep.state,
  done: innerStep.status === "SEC_E_OK",
  attributes: innerStep.attributes,
  expiry: innerStep.expiry
})

/** Records an inner leg on an existing inner mechanism. */
export const advance = (inner: Inner, innerStep: SecurityPackage.HandshakeStep<unknown>): void => {
  inner.state = innerStep.state
  inner.done = innerStep.status === "SEC_E_OK"
  inner.attributes = innerStep.attributes
  inner.expiry = innerStep.expiry
}

/** A Negotiate step with the inner mechanism's attributes and expiry. */
export const negotiateStep = (
  context: NegotiateContext,
  status: SecurityPackage.HandshakeStatus,
  out: ReadonlyArray<SecBuffer.SecBuffer>
): SecurityPackage.HandshakeStep<NegotiateContext> => ({
  status,
  state: context,
  output: out,
  attributes: context.inner?.attributes ?? 0,
  expiry: context.inner?.expiry ?? Infinity
})

/** A Negotiate context. `raw` contexts carry a bare NTLM or Kerberos exchange (acceptor only). */
export interface NegotiateContext {
  readonly role: "initiator" | "acceptor"
  mode: "spnego" | "raw"
  /** The mechTypes as sent or received, and their DER (what mechListMIC covers). */
  mechTypes: ReadonlyArray<Oid>
  mechListDer: Uint8Array
  inner: Inner | undefined
  /** The peer's mechListMIC was checked. */
  peerMicChecked: boolean
  /** Ours was sent. */
  micSent: boolean
  /** A mechListMIC exchange is required (mech not the first proposed, or NTLM). */
  micRequired: boolean
  done: boolean
  /** The mechanisms passed over before the chosen one, and why (NegotiationInfo's `fallback`). */
  fallback: ReadonlyArray<Fallback>
}

/** Whether `oid` names the mechanism. */
export const matches = (mech: Mechanism, oid: Oid): boolean =>
  mech.oid.equals(oid) || (isKerberos(mech.oid) && isKerberos(oid))

/** Kerberos (MIT and Microsoft OIDs) and NTLM, preferred in that order. */
export const mechanismsOf = (packages: {
  readonly kerberos?: SecurityPackage.AnySecurityPackage | undefined
  readonly ntlm?: SecurityPackage.AnySecurityPackage | undefined
}): ReadonlyArray<Mechanism> => [
  ...(packages.kerberos === undefined ? [] : [{ oid: KRB5, pkg: packages.kerberos }]),
  ...(packages.ntlm === undefined ? [] : [{ oid: NTLMSSP, pkg: packages.ntlm }])
]

/** Windows exchanges mechListMICs whenever NTLM is chosen, and RFC 4178 when the choice is not the first proposal. */
export const micRequired = (chosen: Oid, mechTypes: ReadonlyArray<Oid>): boolean =>
  chosen.equals(NTLMSSP) || mechTypes[0] === undefined || !(mechTypes[0].equals(chosen) ||
    (isKerberos(chosen) && isKerberos(mechTypes[0])))

/** The single TOKEN buffer of an inner output, if any. */
export const tokenOf = (output: ReadonlyArray<SecBuffer.SecBuffer>): Uint8Array | undefined => {
  const token = SecBuffer.find(output, SecBuffer.BufferType.TOKEN)
  return token === undefined || token.data.length === 0 ? undefined : token.data
}

/** Input buffers for an inner leg: the inner token and the caller's other buffers (channel bindings …). */
export const innerInput = (
  token: Uint8Array | undefined,
  input: ReadonlyArray<SecBuffer.SecBuffer>
): ReadonlyArray<SecBuffer.SecBuffer> => [
  ...(token === undefined ? [] : [SecBuffer.token(token)]),
  ...input.filter((b) => b.baseType !== SecBuffer.BufferType.TOKEN)
]

/** Our mechListMIC: the inner mechanism's signature over the DER mechTypes. */
export const makeMic = (context: NegotiateContext): Effect.Effect<Uint8Array, SecurityError.SspiError> => {
  const inner = context.inner!
  return inner.mech.pkg.makeSignature(inner.state, 0, [SecBuffer.data(context.mechListDer), SecBuffer.token(new Uint8Array(0))], 0).pipe(
    Effect.map((buffers) => SecBuffer.find(buffers, SecBuffer.BufferType.TOKEN)!.data),
    Effect.tap(() => inner.mech.pkg.afterMechListMic?.(inner.state, "outbound") ?? Effect.void)
  )
}

/** Checks the peer's mechListMIC; a mismatch is a downgrade (the mechList was altered). */
export const checkMic = (context: NegotiateContext, mic: Uint8Array): Effect.Effect<void, SecurityError.SspiError> => {
  const inner = context.inner!
  return inner.mech.pkg.verifySignature(inner.state, [SecBuffer.data(context.mechListDer), SecBuffer.token(mic)], 0).pipe(
    Effect.mapError(() => new SecurityError.DowngradeDetected({ detail: "the mechListMIC does not match" })),
    Effect.andThen(inner.mech.pkg.afterMechListMic?.(inner.state, "inbound") ?? Effect.void),
    Effect.andThen(Effect.sync(() => {
      context.peerMicChecked = true
    }))
  )
}

/** A SPNEGO output buffer. */
export const output = (token: NegotiationToken): ReadonlyArray<SecBuffer.SecBuffer> => [SecBuffer.token(encodeToken(token))]

export { KRB5, MS_KRB5, NTLMSSP }
