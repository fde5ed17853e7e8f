/**
 * Session cookies for the server middleware (issue 12 item 3b, as
 * mod_auth_gssapi's `GssapiUseSessions`): after a handshake the server sets
 * a cookie that authenticates the client's later requests without a new
 * handshake, on any connection and on any node that holds the key.
 *
 * The cookie is AES-256-GCM (NIST SP 800-38D) under a 32-byte key: the
 * principal (with its logon identity), its expiry and the key id, which is
 * also authenticated as associated data. A tampered, expired or truncated
 * cookie, or one under a key this node does not hold (an unknown id, or an
 * old key past rotation), is ignored: the request gets the 401 challenge.
 * Rotation: a new `current` key, the old one as `previous` until the
 * cookies it sealed have expired (`maxAge`), then dropped.
 *
 * @since 0.2.0
 */
import { createHash } from "node:crypto"
import { Config, Duration, Effect, Option, Redacted, Schema } from "effect"

/**
 * One session key: 32 bytes, and its id (derived from the key, so every
 * node holding the key agrees on it; the id reveals nothing of the key).
 *
 * @since 0.2.0
 */
export interface SessionKey {
  readonly id: string
  readonly key: Redacted.Redacted<Uint8Array>
}

/**
 * The key that seals new cookies and the previous keys that still open old ones.
 *
 * @since 0.2.0
 */
export interface SessionKeys {
  readonly current: SessionKey
  readonly previous: ReadonlyArray<SessionKey>
}

/**
 * Session options of `SspiServer.ServerOptions.sessions`.
 *
 * @since 0.2.0
 */
export interface SessionOptions {
  readonly keys: SessionKeys
  /**
   * How long a cookie authenticates (default 1 hour); never past the
   * lifetime of the security context it came from (SECPKG_ATTR_LIFESPAN:
   * a Kerberos ticket's end time).
   */
  readonly maxAge?: Duration.Input | undefined
  /** Default `sspi_session` (prefixed when Secure, see `namePrefix`). */
  readonly cookieName?: string | undefined
  /** Default `/`. */
  readonly path?: string | undefined
  /**
   * The cookie's `Secure` attribute (RFC 6265 4.1.2.5: the browser sends it
   * back over HTTPS only). `"auto"` (default): Secure when the request came
   * over TLS to this server. `true`: always Secure, for a server that sees
   * plain HTTP because a proxy in front terminates TLS (the browser is on
   * HTTPS, and must never send the cookie over plain HTTP). `false`: never
   * (a plain-HTTP site; the cookie can then be read on the wire). With a
   * `cookieName` that has a prefix (`__Host-`, `__Secure-`), `"auto"` is
   * `true`: browsers drop a prefixed cookie that is not Secure.
   */
  readonly secure?: boolean | "auto" | undefined
  /**
   * Whether a Secure cookie's name gets the prefix that makes browsers
   * enforce its attributes (RFC 6265bis 4.1.3): `__Host-` when the path is
   * `/` (the browser keeps it only if Secure, Path=/ and without Domain —
   * this middleware never sets Domain — and set by a secure origin, so a
   * sibling subdomain or a plain-HTTP page cannot plant or overwrite the
   * session cookie: no session fixation or login CSRF by cookie tossing),
   * `__Secure-` for another path (Secure only). Default `true`. A cookie that
   * is not Secure has no prefix, so one server answering HTTP and HTTPS uses
   * `sspi_session` on the one and `__Host-sspi_session` on the other, each
   * read back where it was set; switching this on logs every holder of an
   * old unprefixed cookie in again with one handshake. A `cookieName` that
   * already starts with `__Host-` or `__Secure-` is used as given.
   */
  readonly namePrefix?: boolean | undefined
}

/**
 * A session key that is not 32 bytes of hex or base64.
 *
 * @since 0.2.0
 */
export class SessionKeyError extends Schema.TaggedError<SessionKeyError>()("SessionKeyError", {
  detail: Schema.String
}) {}

const KEY_BYTES = 32

/**
 * A key from its text: 64 hex digits, or base64 / base64url of 32 bytes.
 *
 * @since 0.2.0
 */
export const decodeKey = (text: Redacted.Redacted<string>): Effect.Effect<SessionKey, SessionKeyError> =>
  Effect.suspend(() => {
    const value = Redacted.value(text).trim()
    const bytes = /^[0-9a-fA-F]{64}$/.test(value)
      ? Buffer.from(value, "hex")
      : /^[A-Za-z0-9+/_-]{43}=?$/.test(value)
      ? Buffer.from(value, "base64")
      : undefined
    if (bytes === undefined || bytes.length !== KEY_BYTES) {
      return Effect.fail(new SessionKeyError({ detail: "a session key is 32 bytes, as 64 hex digits or base64" }))
    }
    return Effect.succeed(fromBytes(bytes))
  })

/**
 * A key from 32 bytes (the caller keeps its own copy).
 *
 * @since 0.2.0
 */
export const fromBytes = (bytes: Uint8Array): SessionKey => {
  const key = Uint8Array.from(bytes)
  const id = createHash("sha256").update("effect-sspi session key id\0").update(key).digest().subarray(0, 9).toString("base64url")
  return { id, key: Redacted.make(key) }
}

/**
 * The keys from effect `Config`: `SSPI_SESSION_KEY` (current) and, during a
 * rotation, `SSPI_SESSION_PREVIOUS_KEY`; both Redacted.
 *
 * @since 0.2.0
 */
export const fromConfig: Effect.Effect<SessionKeys, Config.ConfigError | SessionKeyError> = Effect.gen(function*() {
  const current = yield* decodeKey(yield* Config.Redacted("SSPI_SESSION_KEY"))
  const previous = yield* Config.option(Config.Redacted("SSPI_SESSION_PREVIOUS_KEY"))
  return {
    current,
    previous: Option.isSome(previous) ? [yield* decodeKey(previous.value)] : []
  }
})
