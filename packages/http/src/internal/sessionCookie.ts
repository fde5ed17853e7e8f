/**
 * The session cookie's sealing: `v1.<key id>.<iv>.<ciphertext‖tag>`
 * (base64url), AES-256-GCM with a random 96-bit IV (NIST SP 800-38D 8.2.2)
 * and the `v1.<key id>` prefix as associated data. Opening never throws:
 * anything but an intact, unexpired cookie under a held key is `undefined`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Redacted } from "effect"
import type { PrincipalInfo } from "../Principal.ts"
import type { SessionKey, SessionKeys, SessionOptions } from "../Sessions.ts"

const VERSION = "v1"
const IV_BYTES = 12
const TAG_BYTES = 16

/** What a cookie holds. */
interface Payload {
  readonly principal: PrincipalInfo
  /** Milliseconds since the epoch. */
  readonly expiry: number
}

/** Seals `payload` under `key`. */
export const seal = (key: SessionKey, payload: Payload): string => {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv("aes-256-gcm", Redacted.value(key.key), iv)
  cipher.setAAD(Buffer.from(`${VERSION}.${key.id}`))
  const body = Buffer.concat([cipher.update(JSON.stringify(payload)), cipher.final(), cipher.getAuthTag()])
  return `${VERSION}.${key.id}.${iv.toString("base64url")}.${body.toString("base64url")}`
}

/**
 * The cookie size every browser keeps (RFC 6265 section 6.1: at least 4096
 * bytes per cookie, name and value); larger ones are dropped without a word,
 * and the client would hand-shake on every request.
 */
export const MAX_COOKIE_BYTES = 4096

/** Whether the cookie `name=value` is small enough for every browser to keep. */
export const fits = (name: string, value: string): boolean => name.length + 1 + value.length <= MAX_COOKIE_BYTES

const B64URL = /^[A-Za-z0-9_-]+$/

/** Opens `cookie` if intact, unexpired at `now` and sealed by one of `keys`. */
export const open = (keys: SessionKeys, cookie: string, now: number): PrincipalInfo | undefined => {
  const parts = cookie.split(".")
  if (parts.length !== 4 || parts[0] !== VERSION || !parts.every((p) => B64URL.test(p))) return undefined
  const [, id, ivText, bodyText] = parts as [string, string, string, string]
  // an unknown key id: another deployment's key, or an old key past rotation
  const key = [keys.current, ...keys.previous].find((k) => k.id === id)
  if (key === undefined) return undefined
  const iv = Buffer.from(ivText, "base64url")
  const body = Buffer.from(bodyText, "base64url")
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return undefined
  // canonical base64url only (RFC 4648 3.5: no set pad bits), so one sealed value has one spelling
  if (iv.toString("base64url") !== ivText || body.toString("base64url") !== bodyText) return undefined
  let plain: string
  try {
    const decipher = createDecipheriv("aes-256-gcm", Redacted.value(key.key), iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(`${VERSION}.${id}`))
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
    // GCM's tag check (SP 800-38D 7.2 step 8) is in final(): a tampered cookie throws there
    plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8")
  } catch {
    return undefined
  }
  const payload = parse(plain)
  // an expired cookie is ignored (its principal's session is over)
  if (payload === undefined || !(now < payload.expiry)) return undefined
  return payload.principal
}

const isString = (u: unknown): u is string => typeof u === "string"
const isNumber = (u: unknown): u is number => typeof u === "number" && Number.isFinite(u)

/** The payload, if it has the sealed shape (it is authenticated; this guards against our own format changes). */
const parse = (text: string): Payload | undefined => {
  let u: any
  try {
    u = JSON.parse(text)
  } catch {
    return undefined
  }
  const p = u?.principal
  if (!isNumber(u?.expiry) || typeof p !== "object" || p === null) return undefined
  if (!isString(p.name) || !isString(p.scheme) || !isString(p.packageName) || !isNumber(p.attributes)) return undefined
  return { expiry: u.expiry, principal: p as PrincipalInfo }
}

/** How the session cookie is named and marked: the options with their defaults. */
export interface CookieSettings {
  readonly name: string
  readonly path: string
  readonly secure: boolean | "auto"
  readonly namePrefix: boolean
}

/** A name browsers keep only with Secure (RFC 6265bis 4.1.3.1, 4.1.3.2; matched case-insensitively, 5.6 step 21). */
const PREFIXED = /^__(Host|Secure)-/i

/**
 * The options' cookie settings, defaults filled in (see `SessionOptions`).
 * A `cookieName` given with a prefix makes `"auto"` mean Secure: the
 * browser keeps such a cookie only when Secure (RFC 6265bis 4.1.3), so over
 * plain HTTP (a TLS-terminating proxy in front) "auto" would set a cookie
 * the browser drops, and every request would hand-shake again.
 */
export const settings = (options: SessionOptions): CookieSettings => {
  const name = options.cookieName ?? "sspi_session"
  const secure = options.secure ?? "auto"
  return {
    name,
    path: options.path ?? "/",
    secure: secure === "auto" && PREFIXED.test(name) ? true : secure,
    namePrefix: options.namePrefix ?? true
  }
}

/**
 * Why browsers would never keep a cookie set with these settings, or
 * undefined: a `__Host-` name needs Path=/ and Secure, a `__Secure-` name
 * Secure (RFC 6265bis 4.1.3; the server refuses such settings when it is
 * built rather than set a cookie that is silently dropped).
 */
export const problem = (settings: CookieSettings): string | undefined => {
  if (/^__Host-/i.test(settings.name) && settings.path !== "/") {
    return `cookie name ${settings.name} needs path "/" (got "${settings.path}"): browsers drop a __Host- cookie with another path`
  }
  if (PREFIXED.test(settings.name) && settings.secure === false) {
    return `cookie name ${settings.name} needs Secure: browsers drop a prefixed cookie set with secure: false`
  }
  return undefined
}

/** The cookie's name and Set-Cookie attributes (but Max-Age) for a request that came over TLS or not. */
export interface CookieFor {
  readonly name: string
  readonly attributes: {
    readonly httpOnly: true
    readonly sameSite: "lax"
    readonly secure: boolean
    readonly path: string
  }
}

/**
 * The cookie for one request: Secure per `settings.secure` (`"auto"`: when
 * `overTls`), its name prefixed when Secure (RFC 6265bis 4.1.3.2 `__Host-`
 * with Path=/ and no Domain; 4.1.3.1 `__Secure-` otherwise). Set and read
 * with the same name, so a cookie is only read back on the kind of request
 * that set it.
 */
export const cookieFor = (settings: CookieSettings, overTls: boolean): CookieFor => {
  const secure = settings.secure === "auto" ? overTls : settings.secure
  const prefixed = PREFIXED.test(settings.name)
  const name = !secure || !settings.namePrefix || prefixed
    ? settings.name
    : `${settings.path === "/" ? "__Host-" : "__Secure-"}${settings.name}`
  return { name, attributes: { httpOnly: true, sameSite: "lax", secure, path: settings.path } }
}
