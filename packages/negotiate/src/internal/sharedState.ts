/**
 * The SPNEGO acceptor's state that another node needs to finish a handshake
 * whose NTLM leg it did not see (issue 12): stored as opaque bytes inside
 * NTLM's own shared handshake entry (`Ntlm.NestedAcceptor`), so that it is
 * found by the same echoed id, lives as long, and is taken with it exactly
 * once. No second entry, no second round trip to the store.
 *
 * It is what RFC 4178 section 5 needs for the mechListMIC: the client's
 * mechTypes as received (the MIC covers their DER; stored as the DER the
 * connection-bound path computes the MIC over), and whether NTLM's NEGOTIATE
 * came as the optimistic token of the NegTokenInit (NTLM the client's first
 * choice). Both were on the wire: nothing secret. Bounded: NTLM refuses more
 * than `NestedAcceptor.maxOuter` bytes (1 KiB) with a shared store.
 *
 *   u8 version (1) | u8 flags (bit 0: optimistic) | MechTypeList DER
 */
import type { Oid } from "@effect-sspi/asn1"
import { Result } from "effect"
import { decodeMechTypeList } from "./decode.ts"
import { encodeMechTypeList } from "./encode.ts"
import { NTLMSSP } from "./oids.ts"

/** What a node needs of the SPNEGO exchange to finish it after NTLM's AUTHENTICATE. */
export interface SpnegoState {
  /** The client's mechTypes, decoded, and their DER (what the mechListMIC covers). */
  readonly mechTypes: ReadonlyArray<Oid>
  readonly mechListDer: Uint8Array
  /** NTLM's NEGOTIATE came as the NegTokenInit's optimistic mechToken (so NTLM was the client's first choice). */
  readonly optimistic: boolean
}

const VERSION = 1
const OPTIMISTIC = 1

/** Encodes the state (total). */
export const encodeSpnegoState = (state: Pick<SpnegoState, "mechListDer" | "optimistic">): Uint8Array => {
  const out = new Uint8Array(2 + state.mechListDer.length)
  out[0] = VERSION
  out[1] = state.optimistic ? OPTIMISTIC : 0
  out.set(state.mechListDer, 2)
  return out
}

/**
 * Decodes a stored state: strict (the DER must be the canonical encoding of
 * the list it decodes to, the list must name NTLM, an optimistic NEGOTIATE
 * means NTLM comes first). Anything else is a reason, never a throw: the
 * acceptor treats it as a missing entry (SEC_E_INVALID_TOKEN).
 */
export const decodeSpnegoState = (bytes: Uint8Array): Result.Result<SpnegoState, string> => {
  if (bytes.length < 2 || bytes[0] !== VERSION) return Result.fail("unknown version")
  if ((bytes[1]! & ~OPTIMISTIC) !== 0) return Result.fail("unknown flags")
  const der = bytes.subarray(2)
  const list = decodeMechTypeList(der)
  if (Result.isFailure(list)) return Result.fail(`mechTypes: ${list.failure.reason}`)
  const mechTypes = list.success
  const mechListDer = encodeMechTypeList(mechTypes)
  if (mechListDer.length !== der.length || !mechListDer.every((b, i) => b === der[i])) return Result.fail("mechTypes not in DER")
  const optimistic = bytes[1] === OPTIMISTIC
  if (!mechTypes.some((oid) => oid.equals(NTLMSSP))) return Result.fail("mechTypes without NTLM")
  if (optimistic && !mechTypes[0]!.equals(NTLMSSP)) return Result.fail("optimistic NTLM that was not the first mechanism")
  return Result.succeed({ mechTypes, mechListDer, optimistic })
}
