/**
 * The shape every encryption type exposes (RFC 3961 section 3), and the
 * helpers the implementations share.
 *
 * @since 0.1.0
 */
import { createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto"
import type { Effect, Result } from "effect"
import type { IntegrityError } from "./errors.ts"
import { RandomBytes } from "@effect-sspi/core"

/**
 * String-to-key parameters: the opaque `s2kparams` octets of ETYPE-INFO2
 * (for the AES types four octets, the big-endian iteration count), or the
 * iteration count itself.
 *
 * @since 0.1.0
 */
export type StringToKeyParams = Uint8Array | { readonly iterations: number }

/**
 * One encryption type with its associated checksum type. Keys, plaintexts and
 * ciphertexts are raw bytes; `usage` is the RFC 4120 key usage number.
 *
 * @since 0.1.0
 */
export interface EncryptionProfile {
  /** The enctype number (RFC 3961 section 8). */
  readonly enctype: number
  /** The enctype name, e.g. "aes256-cts-hmac-sha1-96". */
  readonly name: string
  /** Length of a protocol key in bytes. */
  readonly keyLength: number
  /** The checksum type keyed with this enctype's keys. */
  readonly checksumType: number
  /** Length of a checksum (and of the ciphertext integrity tag) in bytes. */
  readonly checksumSize: number
  /** Length of the random confounder prepended to every plaintext. */
  readonly confounderSize: number
  /** The ciphertext length for a plaintext of `plaintextLength` bytes. */
  readonly ciphertextLength: (plaintextLength: number) => number
  /**
   * The long-term key of a password (UTF-8 bytes) and salt. Throws a
   * `RangeError` on malformed or unreasonable `params`.
   */
  readonly stringToKey: (password: Uint8Array, salt: Uint8Array, params?: StringToKeyParams) => Uint8Array
  /**
   * `stringToKey` off the event loop (PBKDF2 on libuv's thread pool), for
   * parameters that come from the network. Fails with a `RangeError` on
   * malformed or unreasonable `params` (never runs them).
   */
  readonly stringToKeyAsync: (
    password: Uint8Array,
    salt: Uint8Array,
    params?: StringToKeyParams
  ) => Effect.Effect<Uint8Array, RangeError>
  /** A key from `keyLength` random bytes (the identity for AES and RC4). */
  readonly randomToKey: (random: Uint8Array) => Uint8Array
  /**
   * Encrypts `plaintext` for `usage`. The confounder is random unless given
   * (tests); it must then be `confounderSize` bytes.
   */
  readonly encrypt: (key: Uint8Array, usage: number, plaintext: Uint8Array, confounder?: Uint8Array) => Uint8Array
  /**
   * Encrypts the concatenation of `parts` for `usage` and writes the
   * `ciphertextLength(total)` bytes to `out` at `offset`, without joining
   * the parts first (the per-message hot path).
   */
  readonly encryptInto: (
    key: Uint8Array,
    usage: number,
    parts: ReadonlyArray<Uint8Array>,
    out: Uint8Array,
    offset: number,
    confounder?: Uint8Array
  ) => void
  /**
   * The large-message fast path, where the enctype has one: encrypts
   * `plaintext ‖ suffix` for `usage` (as `encryptInto` does) and gives its
   * ciphertext rotated right by `confounderSize + checksumSize` octets, in two
   * pieces: the first `2 * confounderSize + checksumSize` octets are written
   * to `out` at `offset` and the other `plaintext.length` are returned, as an
   * array of their own that is not a copy of anything (RFC 4121 Wrap with the
   * RRC Windows uses). `undefined`, with nothing written, when the lengths do
   * not suit it: then use `encryptInto`.
   */
  readonly encryptRotatedInto?: (
    key: Uint8Array,
    usage: number,
    plaintext: Uint8Array,
    suffix: Uint8Array,
    out: Uint8Array,
    offset: number,
    confounder?: Uint8Array
  ) => Uint8Array | undefined
  /** Decrypts and verifies; never throws on any `ciphertext`. */
  readonly decrypt: (key: Uint8Array, usage: number, ciphertext: Uint8Array) => Result.Result<Uint8Array, IntegrityError>
  /** The keyed checksum of `data` for `usage`. */
  readonly checksum: (key: Uint8Array, usage: number, data: Uint8Array) => Uint8Array
  /** Whether `checksum` is the checksum of `data`, compared in constant time. */
  readonly verifyChecksum: (key: Uint8Array, usage: number, data: Uint8Array, checksum: Uint8Array) => boolean
}

/**
 * The largest iteration count accepted (MIT's limit: krb5
 * `src/lib/crypto/krb/s2k_pbkdf2.c` refuses `iter_count >= MAX_ITERATION_COUNT`,
 * `0x1000000`, with KRB5_ERR_BAD_S2K_PARAMS): a KDC asking for more,
 * including the 2^32 that RFC 3962 gives "00 00 00 00", is refused rather
 * than obeyed. Counts up to it still take seconds, so the KDC client runs
 * them with `stringToKeyAsync`, off the event loop.
 *
 * @since 0.1.0
 */
export const MAX_ITERATIONS = 0xffffff

/**
 * The PBKDF2 iteration count named by `params`, or `fallback` without them.
 *
 * @since 0.1.0
 */
export const iterationCount = (params: StringToKeyParams | undefined, fallback: number): number => {
  if (params === undefined) return fallback
  let count: number
  if (params instanceof Uint8Array) {
    if (params.length !== 4) throw new RangeError(`s2kparams of ${params.length} octets; expected 4`)
    count = new DataView(params.buffer, params.byteOffset, 4).getUint32(0)
    if (count === 0) count = 2 ** 32
  } else {
    count = params.iterations
  }
  if (!Number.isInteger(count) || count < 1 || count > MAX_ITERATIONS) {
    throw new RangeError(`iteration count ${count} outside 1..${MAX_ITERATIONS}`)
  }
  return count
}

/**
 * Four-octet s2kparams for an iteration count.
 *
 * @since 0.1.0
 */
export const iterationParams = (iterations: number): Uint8Array => {
  const params = new Uint8Array(4)
  new DataView(params.buffer).setUint32(0, iterations)
  return params
}

/**
 * Constant-time equality of two byte strings; lengths are not secret.
 *
 * @since 0.1.0
 */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && timingSafeEqual(a, b)

/**
 * Throws a `RangeError` unless `key` has `length` bytes. A wrong key length is
 * a programming error, not an integrity failure.
 *
 * @since 0.1.0
 */
export const assertKeyLength = (name: string, key: Uint8Array, length: number): void => {
  if (key.length !== length) throw new RangeError(`${name} key of ${key.length} bytes; expected ${length}`)
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const MAX_CACHED_USAGES = 64

/**
 * What each cache entry holds derived from a key array (its snapshot, the
 * base KeyObject, the subkeys), by that array, so that {@link wipeKey} can
 * drop it: the cache must not keep a key alive after its owner zeroed it.
 */
const holders = new WeakMap<Uint8Array, Set<() => void>>()

/**
 * Zeroes a key's bytes and releases everything {@link derivedKeyCache} holds
 * derived from them: the entry's copy of the bytes is zeroed, its subkeys'
 * reused cipher contexts are finalised (OpenSSL cleanses their key schedules)
 * and the entry is dropped, so the base and derived KeyObjects are left to
 * the collector (node:crypto clears a secret KeyObject's bytes when it frees
 * them; there is no call to do it sooner). Use it wherever a key that may
 * have been used for encryption or checksums is zeroed (context and
 * credential deletion).
 *
 * @since 0.2.0
 */
export const wipeKey = (key: Uint8Array | undefined): void => {
  if (key === undefined) return
  key.fill(0)
  const releases = holders.get(key)
  if (releases === undefined) return
  holders.delete(key)
  for (const release of releases) release()
}

/**
 * How many cache entries hold material derived from `key` (for tests: zero
 * after {@link wipeKey}).
 *
 * @since 0.2.0
 */
export const cachedEntries = (key: Uint8Array): number => holders.get(key)?.size ?? 0

/**
 * Memoises `derive(key, usage)` per key object and usage, so the hot path
 * does not re-derive subkeys for every message. Each entry keeps a copy of the
 * key bytes and is dropped if the caller's array has changed since. `derive`
 * also gets the base key as a `KeyObject`, made once per entry (node:crypto
 * takes it without the per-call checks a raw key costs, see `AesKey`).
 * `release` is given every derived value and the base KeyObject when the
 * entry is dropped (a changed array, {@link wipeKey}, the usage bound), to
 * let go of what they hold.
 *
 * @since 0.1.0
 */
export const derivedKeyCache = <A>(
  derive: (key: Uint8Array, usage: number, keyObject: () => KeyObject) => A,
  release: (derived: A | KeyObject) => void = () => {}
) => {
  interface Entry {
    readonly snapshot: Uint8Array
    readonly byUsage: Map<number, A>
    keyObject: KeyObject | undefined
    readonly drop: () => void
  }
  const cache = new WeakMap<Uint8Array, Entry>()
  const dropUsages = (entry: Entry) => {
    for (const derived of entry.byUsage.values()) release(derived)
    entry.byUsage.clear()
  }
  return (key: Uint8Array, usage: number): A => {
    let entry = cache.get(key)
    if (entry !== undefined && !sameBytes(entry.snapshot, key)) {
      entry.drop()
      entry = undefined
    }
    if (entry === undefined) {
      const created: Entry = {
        snapshot: key.slice(),
        byUsage: new Map(),
        keyObject: undefined,
        drop: () => {
          if (cache.get(key) === created) cache.delete(key)
          holders.get(key)?.delete(created.drop)
          created.snapshot.fill(0)
          dropUsages(created)
          if (created.keyObject !== undefined) release(created.keyObject)
          created.keyObject = undefined
        }
      }
      entry = created
      cache.set(key, entry)
      let releases = holders.get(key)
      if (releases === undefined) holders.set(key, releases = new Set())
      releases.add(entry.drop)
    }
    let derived = entry.byUsage.get(usage)
    if (derived === undefined) {
      if (entry.byUsage.size >= MAX_CACHED_USAGES) dropUsages(entry)
      const e = entry
      derived = derive(key, usage, () => e.keyObject ??= createSecretKey(e.snapshot))
      entry.byUsage.set(usage, derived)
    }
    return derived
  }
}

/** The given confounder (tests) or fresh random bytes; a wrong length is a programming error. */
export const confounderOf = (confounder: Uint8Array | undefined, size: number): Uint8Array => {
  if (confounder === undefined) return RandomBytes.randomBytes(size)
  if (confounder.length !== size) throw new RangeError(`confounder must be ${size} bytes`)
  return confounder
}
