/**
 * The at-rest form of a handshake-store entry in Redis: AES-256-GCM
 * (NIST SP 800-38D) under the app's key, bound to the entry's id.
 *
 *   version (1 byte, 0x01) || nonce (12 random bytes) || ciphertext || tag (16 bytes)
 *
 * The additional authenticated data is `effect-sspi handshake v1\0` + id, so
 * an entry copied under another id, written with another key, truncated or
 * altered fails authentication: {@link open} answers `Option.none()` (the
 * store treats it as missing), never throws.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Option } from "effect";
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes an entry adds to its plaintext. */
export const OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
/** AES-256 key length. */
export const KEY_BYTES = 32;
const aad = (id) => Buffer.from(`effect-sspi handshake v1\0${id}`, "utf8");
/** Encrypts `plain` for `id`; `nonce` only for tests (default: 12 fresh random bytes). */
export const seal = (key, id, plain, nonce = randomBytes(NONCE_BYTES)) => {
    const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(id));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const out = new Uint8Array(OVERHEAD + plain.length);
    out[0] = VERSION;
    out.set(nonce, 1);
    out.set(body, 1 + NONCE_BYTES);
    out.set(cipher.getAuthTag(), 1 + NONCE_BYTES + body.length);
    return out;
};
/**
 * Decrypts an entry read for `id`. Anything that is not an entry this key
 * sealed for this id (wrong version, too short, altered, foreign) is
 * `Option.none()`; unauthenticated plaintext is zeroed, never returned.
 */
export const open = (key, id, blob) => {
    if (blob.length < OVERHEAD || blob[0] !== VERSION)
        return Option.none();
    const nonce = blob.subarray(1, 1 + NONCE_BYTES);
    const body = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(id));
    decipher.setAuthTag(tag);
    const plain = decipher.update(body);
    try {
        // SP 800-38D 7.2 step 8: the tag must match before any plaintext is used.
        decipher.final();
    }
    catch {
        plain.fill(0);
        return Option.none();
    }
    // A copy: the decipher's Buffer may be a slice of Node's shared pool.
    const out = new Uint8Array(plain);
    plain.fill(0);
    return Option.some(out);
};
//# sourceMappingURL=entryCodec.js.map