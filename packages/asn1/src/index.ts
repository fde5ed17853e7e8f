/**
 * A small strict DER codec (X.690) for Kerberos (RFC 4120) and SPNEGO
 * (RFC 4178) messages.
 *
 * - Reading: {@link decode} / {@link Reader} — definite lengths only,
 *   minimal encodings, depth and size limits; `Result`, never throws.
 * - Writing: the {@link Der} encoders build a tree of sized nodes that
 *   `Der.encode` writes into one buffer.
 *
 * @module
 */
export { Asn1Error, type Asn1ErrorReason, fail as asn1Fail } from "./internal/error.ts"
export { Tlv } from "./internal/header.ts"
export type { BitString } from "./internal/bits.ts"
export { MAX_ARC_OCTETS as MAX_OID_ARC_OCTETS, Oid } from "./internal/oid.ts"
export {
  decode,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_LENGTH,
  type GssInitialContextToken,
  Reader,
  type ReaderOptions
} from "./internal/reader.ts"
export { TagClass, UniversalTag } from "./internal/tag.ts"
/** DER encoders: `Der.sequence([...])`, `Der.explicit(n, ...)`, `Der.encode(node)`, ... */
export * as Der from "./internal/writer.ts"
export type { DerNode } from "./internal/writer.ts"
