/**
 * The handshake store (`@effect-sspi/core`'s `HandshakeStore`) in Redis: any
 * process that uses the same Redis, prefix and key can finish a handshake
 * another one started. Commands:
 *
 *   put:  SET <prefix><id> <base64 entry> PX <ttl ms>
 *   take: GETDEL <prefix><id>                       (Redis >= 6.2)
 *         or EVALSHA of `GET` + `DEL` in one script  (`take: "script"`, or
 *         automatically after Redis answers GETDEL with "unknown command")
 *
 * Both take forms are atomic: of concurrent takes of one id, at most one
 * gets the entry. Entries are encrypted at rest with AES-256-GCM under the
 * app's key and bound to their id (see `internal/entryCodec.ts`): an entry
 * that was altered, truncated, moved to another id or written under another
 * key is treated as missing, like an expired or already taken one.
 *
 * Every Redis wait is bounded by the time-out; a Redis failure is
 * SEC_E_INTERNAL_ERROR naming the server and what happened.
 *
 * @since 0.2.0
 */
import { Layer, Redacted } from "effect";
import * as Redis from "effect/persistence/Redis";
import { HandshakeStore, SecurityError } from "@effect-sspi/core";
import { type CallOptions } from "./internal/call.ts";
/**
 * Options of {@link layer}.
 *
 * @since 0.2.0
 */
export interface Options extends CallOptions {
    /**
     * The AES-256-GCM key: 32 bytes, or a string holding them as 64 hex digits
     * or base64 (e.g. `Config.redacted("SSPI_HANDSHAKE_KEY")`). Every process
     * that shares the store needs the same key.
     */
    readonly key: Redacted.Redacted<Uint8Array | string>;
    /** Prepended to every key (default `effect-sspi:handshake:`). */
    readonly prefix?: string | undefined;
    /** `"getdel"` (default, Redis >= 6.2) or `"script"` (GET + DEL in Lua, any Redis). */
    readonly take?: "getdel" | "script" | undefined;
    /** A larger entry is refused with SEC_E_INSUFFICIENT_MEMORY (default 16 KiB). */
    readonly maxEntryBytes?: number | undefined;
}
/**
 * A Redis-backed HandshakeStore, using the app's `Redis` service. Fails to
 * build with SEC_E_INVALID_PARAMETER when the key is not 32 bytes; the key
 * copy is zeroed when the Layer's scope closes.
 *
 * @since 0.2.0
 */
export declare const layer: (options: Options) => Layer.Layer<HandshakeStore.HandshakeStore, SecurityError.InvalidParameter, Redis.Redis>;
