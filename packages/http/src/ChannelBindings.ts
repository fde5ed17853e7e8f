/**
 * TLS channel bindings for HTTP authentication: `tls-server-end-point`
 * (RFC 5929 section 4), the hash of the server's certificate, as the
 * application data of a SEC_CHANNEL_BINDINGS buffer.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { SecBuffer } from "@effect-sspi/core"
import { signatureAlgorithmOid } from "./internal/certificate.ts"

const byOid: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.12": "sha384", // sha384WithRSAEncryption
  "1.2.840.113549.1.1.13": "sha512", // sha512WithRSAEncryption
  "1.2.840.10045.4.3.3": "sha384", // ecdsa-with-SHA384
  "1.2.840.10045.4.3.4": "sha512" // ecdsa-with-SHA512
}

/**
 * The hash RFC 5929 prescribes for a certificate: the hash of its signature
 * algorithm, with MD5 and SHA-1 replaced by SHA-256. SHA-256 as well for
 * algorithms without a single hash (RSASSA-PSS, EdDSA), as Windows does.
 *
 * @since 0.1.0
 */
export const hashAlgorithm = (certificate: Uint8Array): string => {
  const oid = signatureAlgorithmOid(certificate)
  return (oid !== undefined ? byOid[oid] : undefined) ?? "sha256"
}

/**
 * `"tls-server-end-point:" + hash(certificate)`: the channel bindings'
 * application data.
 *
 * @since 0.1.0
 */
export const tlsServerEndPoint = (certificate: Uint8Array): Uint8Array => {
  const hash = createHash(hashAlgorithm(certificate)).update(certificate).digest()
  const prefix = Buffer.from("tls-server-end-point:", "ascii")
  return new Uint8Array(Buffer.concat([prefix, hash]))
}

/**
 * The SECBUFFER_CHANNEL_BINDINGS buffer for a server certificate (DER).
 *
 * @since 0.1.0
 */
export const fromCertificate = (certificate: Uint8Array): SecBuffer.SecBuffer =>
  SecBuffer.channelBindings(tlsServerEndPoint(certificate))
