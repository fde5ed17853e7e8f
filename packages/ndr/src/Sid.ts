/**
 * Security identifiers: the binary form NDR reads and the `S-1-…` text.
 *
 * @since 0.1.0
 */
export { format, MAX_SUB_AUTHORITIES, parse, type Sid, withRid } from "./internal/sid.ts"
