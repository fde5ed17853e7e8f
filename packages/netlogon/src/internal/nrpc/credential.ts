/**
 * Netlogon credentials with AES (MS-NRPC 3.1.4.3.1, 3.1.4.4.1, 3.1.4.5):
 * the session key, ComputeNetlogonCredential and the authenticator chain.
 *
 * @since 0.1.0
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto"

/**
 * AES-128-CFB8 over `data` (MS-NRPC 3.1.4.4.1 and 3.3.4.2.1 use it with
 * different keys and IVs).
 */
export const aesCfb8 = (key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt = false): Uint8Array => {
  const cipher = decrypt ? createDecipheriv("aes-128-cfb8", key, iv) : createCipheriv("aes-128-cfb8", key, iv)
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]))
}

/**
 * MS-NRPC 3.1.4.3.1 (AES): the session key is the first 16 bytes of
 * HMAC-SHA256(NT hash of the machine password, ClientChallenge ||
 * ServerChallenge).
 */
export const sessionKey = (ntHash: Uint8Array, clientChallenge: Uint8Array, serverChallenge: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac("sha256", ntHash).update(clientChallenge).update(serverChallenge).digest().subarray(0, 16))

/** MS-NRPC 3.1.4.4.1: ComputeNetlogonCredential with AES-128-CFB8, IV zero. */
export const computeNetlogonCredential = (input: Uint8Array, key: Uint8Array): Uint8Array =>
  aesCfb8(key, new Uint8Array(16), input)

/** `credential + n` as MS-NRPC 3.1.4.5 adds: to the first 32 bits, little-endian, modulo 2^32. */
const plus = (credential: Uint8Array, n: number): Uint8Array => {
  const out = credential.slice()
  const v = new DataView(out.buffer)
  v.setUint32(0, (v.getUint32(0, true) + n) >>> 0, true)
  return out
}

/** An authenticator as sent (NETLOGON_AUTHENTICATOR, MS-NRPC 2.2.1.1.5). */
export interface Authenticator {
  readonly credential: Uint8Array
  readonly timestamp: number
}

/**
 * The client side of an established secure channel's credential chain
 * (MS-NRPC 3.1.4.5). Not concurrent: one call at a time.
 */
export class CredentialChain {
  private stored: Uint8Array

  /** `clientCredential` is the one sent in NetrServerAuthenticate3. */
  constructor(readonly key: Uint8Array, clientCredential: Uint8Array) {
    this.stored = clientCredential.slice()
  }

  /**
   * MS-NRPC 3.1.4.5: ClientStoredCredential += TimeNow; the authenticator is
   * ComputeNetlogonCredential(ClientStoredCredential). Returns it and the
   * check for the server's return authenticator.
   */
  next(timeNow: number): { readonly authenticator: Authenticator; readonly verify: (returned: Uint8Array) => boolean } {
    const advanced = plus(this.stored, timeNow)
    const authenticator = { credential: computeNetlogonCredential(advanced, this.key), timestamp: timeNow >>> 0 }
    return {
      authenticator,
      verify: (returned) => {
        // MS-NRPC 3.1.4.5: the server answers ComputeNetlogonCredential(ClientStoredCredential + 1)
        const next = plus(advanced, 1)
        const expected = computeNetlogonCredential(next, this.key)
        if (returned.length !== 8 || !timingSafeEqual(expected, returned)) return false
        this.stored = next
        return true
      }
    }
  }

  /** Zeroes the key and the stored credential. */
  wipe(): void {
    this.key.fill(0)
    this.stored.fill(0)
  }
}
