/**
 * The one failure of NDR decoding.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * Bytes that are not the NDR the caller expected: `reason` says what was
 * wrong (never the bytes themselves), `offset` where in the buffer.
 *
 * @since 0.1.0
 */
export class NdrError extends Data.TaggedError("NdrError")<{ readonly reason: string; readonly offset: number }> {}
