import { Option } from "effect";
/** Bytes an entry adds to its plaintext. */
export declare const OVERHEAD: number;
/** AES-256 key length. */
export declare const KEY_BYTES = 32;
/** Encrypts `plain` for `id`; `nonce` only for tests (default: 12 fresh random bytes). */
export declare const seal: (key: Uint8Array, id: string, plain: Uint8Array, nonce?: Uint8Array) => Uint8Array;
/**
 * Decrypts an entry read for `id`. Anything that is not an entry this key
 * sealed for this id (wrong version, too short, altered, foreign) is
 * `Option.none()`; unauthenticated plaintext is zeroed, never returned.
 */
export declare const open: (key: Uint8Array, id: string, blob: Uint8Array) => Option.Option<Uint8Array>;
