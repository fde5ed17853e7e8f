/**
 * One Redis round trip as the shared-state Layers need it: bounded by a
 * time-out (Effect's Clock), and every failure (no answer, a refused
 * connection, an error reply) turned into SEC_E_INTERNAL_ERROR whose detail
 * names the Redis server and what happened, never a value or a credential.
 */
import { Duration, Effect } from "effect";
import type { RedisError } from "effect/persistence/Redis";
import { SecurityError } from "@effect-sspi/core";
/** Options shared by the Redis Layers. */
export interface CallOptions {
    /** Longest wait for one Redis answer (default 500 ms). */
    readonly timeout?: Duration.Input | undefined;
    /**
     * How errors name the server (default: `host:port` of the NodeRedis client
     * when there is one, without credentials; else `redis`).
     */
    readonly label?: string | undefined;
}
/** A bounded, error-mapped round trip. */
export type Call = <A>(what: string, effect: Effect.Effect<A, RedisError>) => Effect.Effect<A, SecurityError.InternalError>;
/** What went wrong, from a RedisError's cause: its class and first line, bounded. */
export declare const describeCause: (cause: unknown) => string;
/** Builds the {@link Call} of a Layer; reads the NodeRedis client if the app has one. */
export declare const makeCall: (options: CallOptions) => Effect.Effect<{
    call: Call;
    label: string;
}, never, never>;
/** A reply that is not what the command answers: SEC_E_INTERNAL_ERROR naming it (its type only). */
export declare const unexpected: (label: string, what: string, reply: unknown) => SecurityError.InternalError;
