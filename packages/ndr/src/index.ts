/**
 * @effect-sspi/ndr: NDR (MS-RPCE 2.2.5, C706 chapter 14) for the
 * little-endian NDR20 transfer syntax, and type serialization version 1
 * (MS-RPCE 2.2.6), the encoding of the PAC's buffers.
 *
 * - {@link NdrReader.decode} / {@link NdrReader.NdrReader}: bounded reads,
 *   deferred pointer referents, conformant (varying) arrays,
 *   RPC_UNICODE_STRING, RPC_SID, FILETIME; `Result`, never throws.
 * - {@link NdrWriter.NdrWriter}: the same layout for writing (RPC requests,
 *   tests).
 * - {@link TypeSerialization}: the common and private headers around one
 *   top-level object.
 *
 * ```ts
 * import { NdrReader, Sid, TypeSerialization } from "@effect-sspi/ndr"
 * const sid = TypeSerialization.decode(bytes, (r) => r.required(r.pointer((r) => r.sid()), "sid"))
 * ```
 *
 * @since 0.1.0
 */
export { NdrError } from "./NdrError.ts"
/** The reader and `decode`. */
export * as NdrReader from "./NdrReader.ts"
/** The writer. */
export * as NdrWriter from "./NdrWriter.ts"
/** MS-RPCE 2.2.6 headers. */
export * as TypeSerialization from "./TypeSerialization.ts"
/** SIDs: binary and `S-1-…` text. */
export * as Sid from "./Sid.ts"
/** FILETIME conversions. */
export * as Filetime from "./Filetime.ts"
