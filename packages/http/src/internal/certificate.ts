/**
 * A certificate's signatureAlgorithm OID, read with @effect-sspi/asn1
 * (Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature },
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }).
 */
import { decode } from "@effect-sspi/asn1"
import { Result } from "effect"

/** The dotted signatureAlgorithm OID of a DER certificate, or `undefined` if it does not parse. */
export const signatureAlgorithmOid = (certificate: Uint8Array): string | undefined => {
  const oid = decode(certificate, (r) =>
    r.sequenceWith((certificate) => {
      const tbs = certificate.sequence() // skipped: only its header is checked
      if (Result.isFailure(tbs)) return Result.fail(tbs.failure)
      const algorithm = certificate.sequence()
      if (Result.isFailure(algorithm)) return Result.fail(algorithm.failure)
      certificate.rest() // signatureValue
      return algorithm.success.oid()
    }))
  return Result.isSuccess(oid) ? oid.success.toString() : undefined
}
