/**
 * Kerberos GSS-API context tokens (RFC 4121 section 4.1, RFC 2743 section
 * 3.1): `[APPLICATION 0] { OID 1.2.840.113554.1.2.2, TOK_ID, message }`.
 *
 * @since 0.1.0
 */
import { Der, decode, Oid } from "@effect-sspi/asn1"
import { Result } from "effect"

/** The Kerberos V5 mechanism OID. */
export const KRB5_OID = Oid.unsafeFromString("1.2.840.113554.1.2.2")

/** TOK_ID values of context tokens. */
export const TokenId = { AP_REQ: 0x0100, AP_REP: 0x0200, KRB_ERROR: 0x0300 } as const

/** A framed context token. */
export const frame = (tokId: number, message: Uint8Array): Uint8Array => {
  const inner = new Uint8Array(2 + message.length)
  inner[0] = tokId >>> 8
  inner[1] = tokId & 0xff
  inner.set(message, 2)
  return Der.encode(Der.gssInitialContextToken(KRB5_OID, inner))
}

/** The TOK_ID and message of a framed Kerberos context token; never throws. */
export const unframe = (token: Uint8Array): Result.Result<{ readonly tokId: number; readonly message: Uint8Array }, string> => {
  const r = decode(token, (reader) =>
    Result.map(reader.gssInitialContextToken(), (t) => ({ mech: t.mech, rest: t.inner.rest() })))
  if (Result.isFailure(r)) return Result.fail(`not a GSS-API token (${r.failure.reason})`)
  if (!r.success.mech.equals(KRB5_OID)) return Result.fail("not a Kerberos token")
  const rest = r.success.rest
  if (rest.length < 2) return Result.fail("truncated token")
  return Result.succeed({ tokId: (rest[0]! << 8) | rest[1]!, message: rest.subarray(2) })
}
