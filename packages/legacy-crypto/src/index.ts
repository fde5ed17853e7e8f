/**
 * Legacy primitives that Node.js's default OpenSSL 3 provider no longer
 * offers but NTLM still needs: MD4, RC4 and 56-bit-key single DES.
 *
 * @module
 */

/** MD4 digest (RFC 1320): `md4(data)` returns 16 bytes. */
export { md4 } from "./md4.ts"

/** Stateful RC4 stream cipher: `new Rc4(key).process(input, output?)`, `wipe()`. */
export { Rc4 } from "./rc4.ts"

/**
 * Single-block DES with a 7-byte key (`desEncryptBlock`), and the 56-to-64-bit
 * key expansion it uses (`expandDesKey`).
 */
export { desEncryptBlock, expandDesKey } from "./des.ts"
