/**
 * Classifies a received token before decoding it: raw NTLM, raw Kerberos
 * (GSS framing with a Kerberos OID), SPNEGO, or something else. Looks at the
 * header and the mechanism OID only.
 *
 * @module
 */
import { decode } from "@effect-sspi/asn1"
import { Result } from "effect"
import { isKerberos, SPNEGO } from "./oids.ts"

/** What a token is, by its framing. */
export type TokenKind = "Ntlm" | "Kerberos" | "Spnego" | "Unknown"

const NTLMSSP_SIGNATURE = [0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00] // "NTLMSSP\0"

const isNtlm = (b: Uint8Array): boolean => {
  if (b.length < 8) return false
  for (let i = 0; i < 8; i++) if (b[i] !== NTLMSSP_SIGNATURE[i]) return false
  return true
}

/**
 * "Ntlm" for a raw NTLMSSP message; "Kerberos" for an InitialContextToken
 * whose mechanism is krb5 or MS-krb5; "Spnego" for one with the SPNEGO OID
 * or a bare `[1]` NegTokenResp; "Unknown" otherwise. Never throws.
 */
export const detectToken = (bytes: Uint8Array): TokenKind => {
  if (isNtlm(bytes)) return "Ntlm"
  const first = bytes[0]
  if (first === 0xa1) return "Spnego"
  if (first !== 0x60) return "Unknown"
  const mech = decode(bytes, (r) =>
    r.gssInitialContextToken().pipe(Result.map((g) => {
      g.inner.rest()
      return g.mech
    })))
  if (Result.isFailure(mech)) return "Unknown"
  return mech.success.equals(SPNEGO) ? "Spnego" : isKerberos(mech.success) ? "Kerberos" : "Unknown"
}
