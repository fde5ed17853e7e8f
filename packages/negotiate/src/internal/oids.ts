/**
 * Well-known mechanism OIDs of SPNEGO negotiation.
 *
 * @module
 */
import { Oid } from "@effect-sspi/asn1"

/** SPNEGO itself (RFC 4178): 1.3.6.1.5.5.2. */
export const SPNEGO: Oid = Oid.unsafeFromString("1.3.6.1.5.5.2")
/** Kerberos V5 (RFC 1964 / 4121): 1.2.840.113554.1.2.2. */
export const KRB5: Oid = Oid.unsafeFromString("1.2.840.113554.1.2.2")
/** Microsoft's (mis-encoded) Kerberos OID, MS-SPNG 3.3.5.1: 1.2.840.48018.1.2.2. */
export const MS_KRB5: Oid = Oid.unsafeFromString("1.2.840.48018.1.2.2")
/** NTLMSSP (MS-NLMP): 1.3.6.1.4.1.311.2.2.10. */
export const NTLMSSP: Oid = Oid.unsafeFromString("1.3.6.1.4.1.311.2.2.10")
/** NEGOEX (MS-NEGOEX): 1.3.6.1.4.1.311.2.2.30. */
export const NEGOEX: Oid = Oid.unsafeFromString("1.3.6.1.4.1.311.2.2.30")

/** Whether `oid` is one of the two Kerberos OIDs. */
export const isKerberos = (oid: Oid): boolean => oid.equals(KRB5) || oid.equals(MS_KRB5)
