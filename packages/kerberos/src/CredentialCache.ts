/**
 * MIT credential caches (`FILE:` ccaches, format version 4, read in 3 and 4)
 * as MIT's kinit, klist and kdestroy use them, and getting initial tickets
 * (the AS exchange, as kinit does) with a password or keytab keys.
 *
 * ```ts
 * const cache = yield* CredentialCache.getInitialCredentials({ principal: "alice@EXAMPLE.COM", password })
 * yield* CredentialCache.write("FILE:/tmp/krb5cc_1000", cache)
 * ```
 *
 * @since 0.1.0
 */
import * as Os from "node:os"
import { Clock, Duration, Effect, Redacted, Result } from "effect"
import { SecurityError } from "@effect-sspi/core"
import { type CachedCredential, decodeCcache } from "./internal/files/ccache.ts"
import { encodeCcache } from "./internal/files/ccacheWriter.ts"
import { expandPath } from "./internal/files/locations.ts"
import { CredentialFileError, destroyFile, readBytes, writeBytes } from "./internal/files/fileWriter.ts"
import { AS_ETYPES, asExchange, type ClientSecret, type KdcSend } from "./internal/kdc/client.ts"
import { decodeKrbError } from "./internal/messages/error.ts"
import { decodeEtypeInfo2, decodeMethodData, PaType } from "./internal/messages/padata.ts"
import { formatPrincipal, parseClientPrincipal, parsePrincipal, type Principal, sameName } from "./internal/messages/common.ts"
import { decodeKdcReq, encodeKdcReq, encodeKdcReqBody, KdcOptions } from "./internal/messages/kdc.ts"
import { decodeTicket } from "./internal/messages/ticket.ts"
import { type KerberosOptions, resolveSettings } from "./internal/settings.ts"
import * as Keytab from "./Keytab.ts"
import { wipeKey } from "./internal/crypto/profile.ts"

export { CredentialFileError } from "./internal/files/fileWriter.ts"
export type { Principal } from "./internal/messages/common.ts"

/**
 * One cached credential (times in epoch milliseconds; `key.keyvalue` is
 * secret).
 *
 * @since 0.1.0
 */
export type Credential = CachedCredential

/**
 * A credential cache: its default principal and credentials.
 *
 * @since 0.1.0
 */
export interface CredentialCache {
  readonly version: number
  readonly defaultPrincipal: Principal
  readonly credentials: ReadonlyArray<Credential>
}

/**
 * Ticket flags (RFC 4120 section 5.3, bit 0 the most significant), with
 * MIT's klist letters.
 *
 * @since 0.1.0
 */
export const TicketFlags: ReadonlyArray<{ readonly bit: number; readonly name: string; readonly letter: string }> = [
  { bit: 1, name: "forwardable", letter: "F" },
  { bit: 2, name: "forwarded", letter: "f" },
  { bit: 3, name: "proxiable", letter: "P" },
  { bit: 4, name: "proxy", letter: "p" },
  { bit: 5, name: "may-postdate", letter: "D" },
  { bit: 6, name: "postdated", letter: "d" },
  { bit: 7, name: "invalid", letter: "i" },
  { bit: 8, name: "renewable", letter: "R" },
  { bit: 9, name: "initial", letter: "I" },
  { bit: 10, name: "pre-authent", letter: "A" },
  { bit: 11, name: "hw-authent", letter: "H" },
  { bit: 12, name: "transited-policy-checked", letter: "T" },
  { bit: 13, name: "ok-as-delegate", letter: "O" },
  { bit: 15, name: "enc-pa-rep", letter: "" },
  { bit: 16, name: "anonymous", letter: "a" }
]

/**
 * The default cache name: `KRB5CCNAME`, else `FILE:/tmp/krb5cc_<uid>`, from
 * the process environment only (no `ConfigProvider`, no krb5.conf): see
 * {@link resolveDefaultName} for the name the package itself uses.
 *
 * @since 0.1.0
 */
export const defaultName = (env: Readonly<Record<string, string | undefined>> = process.env): string =>
  env["KRB5CCNAME"] ?? `FILE:/tmp/krb5cc_${typeof Os.userInfo === "function" ? Os.userInfo().uid : 0}`

/**
 * The default cache name as the package resolves it (MIT's
 * krb5_cc_default_name): the `ccache` option, else `KRB5CCNAME` from the
 * app's `ConfigProvider` (or the `env` option), else krb5.conf's
 * `default_ccache_name`, else `FILE:/tmp/krb5cc_%{uid}`; MIT's path tokens
 * expanded. A config value of the wrong form is SEC_E_INVALID_PARAMETER.
 *
 * @since 0.2.0
 */
export const resolveDefaultName = (kerberos: KerberosOptions = {}): Effect.Effect<string, SecurityError.SspiError> =>
  Effect.map(resolveSettings(kerberos), (settings) => expandPath(settings.ccacheName))

/**
 * Decodes a ccache (versions 3 and 4); never throws.
 *
 * @since 0.1.0
 */
export const decode = (bytes: Uint8Array): Result.Result<CredentialCache, { readonly reason: string }> => decodeCcache(bytes)

/**
 * Encodes a version 4 ccache (the bytes hold session keys: zero them once
 * written).
 *
 * @since 0.1.0
 */
export const encode = (cache: Pick<CredentialCache, "defaultPrincipal" | "credentials">): Uint8Array =>
  encodeCcache(cache.defaultPrincipal, cache.credentials)

/**
 * Reads a cache file (`FILE:` or a path); a missing or corrupt file is a
 * {@link CredentialFileError} naming it.
 *
 * @since 0.1.0
 */
export const read = (name: string): Effect.Effect<CredentialCache, CredentialFileError> =>
  Effect.flatMap(readBytes(name), (bytes) =>
    Result.match(decodeCcache(bytes), {
      onFailure: (e) => Effect.fail(new CredentialFileError({ path: name, reason: `not a credential cache (${e.reason})` })),
      onSuccess: Effect.succeed
    }))

/**
 * Writes a cache file (version 4, mode 0600, replaced atomically).
 *
 * @since 0.1.0
 */
export const write = (name: string, cache: Pick<CredentialCache, "defaultPrincipal" | "credentials">): Effect.Effect<void, CredentialFileError> =>
  Effect.suspend(() => {
    const bytes = encode(cache)
    return Effect.ensuring(writeBytes(name, bytes), Effect.sync(() => bytes.fill(0)))
  })

/**
 * Destroys a cache file: overwrites it with zeros, then deletes it.
 *
 * @since 0.1.0
 */
export const destroy = (name: string): Effect.Effect<void, CredentialFileError> => destroyFile(name)

/**
 * Zeroes the session keys a cache holds.
 *
 * @since 0.1.0
 */
export const wipe = (cache: Pick<CredentialCache, "credentials">): void => {
  for (const c of cache.credentials) wipeKey(c.key.keyvalue)
}

/**
 * The encryption type of a credential's ticket (its enc-part), if the ticket
 * decodes.
 *
 * @since 0.1.0
 */
export const ticketEnctype = (credential: Credential): number | undefined => {
  const t = decodeTicket(credential.ticket)
  return Result.isSuccess(t) ? t.success.encPart.etype : undefined
}

/**
 * "a/b@REALM" of a principal.
 *
 * @since 0.1.0
 */
export const principalName = (p: Principal): string => formatPrincipal(p)

/**
 * Options of {@link getInitialCredentials}.
 *
 * @since 0.1.0
 */
export interface InitialCredentialsOptions {
  /** "alice" or "alice@REALM" (default realm from krb5.conf); with a keytab, default its first principal. */
  readonly principal?: string | undefined
  /** The password (exclusive with `keytab`). */
  readonly password?: Redacted.Redacted<string> | undefined
  /** A keytab path ("FILE:" allowed) holding the principal's keys. */
  readonly keytab?: string | undefined
  /** Requested lifetime (default: the package's ticketLifetime, 10 hours). */
  readonly lifetime?: Duration.Input | undefined
  /** Ask for a forwardable ticket (KDC option forwardable, RFC 4120 section 2.6). */
  readonly forwardable?: boolean | undefined
  /** The principal is an enterprise name (UPN; MIT's `kinit -E`, RFC 6806 section 5). */
  readonly enterprise?: boolean | undefined
  /** Ask for the canonical client name (MIT's `kinit -C`, RFC 6806 section 5); default the package's `canonicalize`. */
  readonly canonicalize?: boolean | undefined
  /** krb5.conf, realm, KDCs, environment. */
  readonly kerberos?: KerberosOptions | undefined
}

/**
 * Sets KDC options on the AS-REQs going through `send` (the AS-REQ body
 * carries no checksum, RFC 4120 section 5.4.1, so re-encoding it is sound).
 */
const withKdcOptions = (send: KdcSend, options: number): KdcSend => (realm, request) => {
  const req = decodeKdcReq(request)
  if (Result.isFailure(req) || req.success.msgType !== 10) return send(realm, request)
  const body = encodeKdcReqBody({ ...req.success.body, options: req.success.body.options | options })
  return send(realm, encodeKdcReq(10, req.success.padata, body))
}

/**
 * The AS exchange, as kinit: a TGT for the principal from a password or
 * keytab keys, returned as a one-credential cache (write it with
 * {@link write}). KDC failures are the SSPI statuses Windows gives
 * (SEC_E_LOGON_DENIED for a wrong password, …); an unreadable keytab is a
 * {@link CredentialFileError}.
 *
 * @since 0.1.0
 */
export const getInitialCredentials = (
  options: InitialCredentialsOptions
): Effect.Effect<CredentialCache, SecurityError.SspiError | CredentialFileError> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(options.kerberos ?? {})
    const realm = settings.defaultRealm ?? ""
    let client = options.principal === undefined ? undefined : parseClientPrincipal(options.principal, realm, options.enterprise === true)
    let secret: ClientSecret
    if (options.keytab !== undefined) {
      const entries = yield* Keytab.read(options.keytab)
      const wanted = client ?? entries[0]?.principal
      const mine = wanted === undefined
        ? []
        : entries.filter((e) => sameName(e.principal.name, wanted.name) && e.principal.realm === wanted.realm)
      for (const e of entries) if (!mine.includes(e)) wipeKey(e.key)
      if (wanted === undefined || mine.length === 0) {
        return yield* new SecurityError.NoCredentials({ detail: `no key for ${wanted === undefined ? "any principal" : formatPrincipal(wanted)} in ${options.keytab}` })
      }
      client = wanted
      // newest kvno only (MIT ktadd keeps old ones)
      const kvno = Math.max(...mine.map((e) => e.kvno))
      for (const e of mine) if (e.kvno !== kvno) wipeKey(e.key)
      secret = { _tag: "Keys", keys: mine.filter((e) => e.kvno === kvno).map((e) => ({ keytype: e.enctype, keyvalue: e.key })) }
    } else if (options.password !== undefined && client !== undefined) {
      secret = { _tag: "Password", password: options.password }
    } else {
      return yield* new SecurityError.NoCredentials({ detail: "a principal with a password, or a keytab, is needed" })
    }
    if (client.realm === "") {
      return yield* new SecurityError.NoAuthenticatingAuthority({ detail: "no realm: give principal@REALM or set default_realm in krb5.conf" })
    }
    const send = options.forwardable === true ? withKdcOptions(settings.send, KdcOptions.FORWARDABLE) : settings.send
    const lifetime = options.lifetime === undefined ? settings.ticketLifetimeMs : Duration.toMillis(Duration.fromInputUnsafe(options.lifetime))
    const now = yield* Clock.currentTimeMillis
    const grant = yield* asExchange(send, client, secret, now, lifetime, { canonicalize: options.canonicalize ?? settings.canonicalize }).pipe(
      Effect.ensuring(Effect.sync(() => {
        if (secret._tag === "Keys") for (const k of secret.keys) wipeKey(k.keyvalue)
      }))
    )
    const credential: Credential = {
      client: grant.client,
      server: grant.server,
      key: grant.key,
      authtime: grant.authtime,
      starttime: grant.starttime,
      endtime: grant.endtime,
      renewTill: 0,
      flags: grant.flags,
      ticket: grant.ticket.der
    }
    return { version: 4, defaultPrincipal: grant.client, credentials: [credential] }
  })

/**
 * What a KDC said to an AS-REQ without pre-authentication (RFC 4120 section
 * 3.1.1), for diagnostics (`sspi doctor`): its clock, the error code (none
 * when it issued a ticket at once), the client's key types and salts from
 * ETYPE-INFO2.
 *
 * @since 0.1.0
 */
export interface KdcAnswer {
  readonly realm: string
  /** The KDC's time (KRB-ERROR stime, ms), when it answered with an error. */
  readonly kdcTime: number | undefined
  /** Our Clock's time when the answer came (ms). */
  readonly localTime: number
  /** The KRB-ERROR code; undefined for an AS-REP. */
  readonly errorCode: number | undefined
  readonly etypeInfo: ReadonlyArray<{ readonly etype: number; readonly salt?: string | undefined }>
  /** The allowed clock skew of the settings (ms). */
  readonly clockSkewMs: number
}

/**
 * Sends one AS-REQ for `principal` (no pre-authentication, no secret) to its
 * realm's KDC and reports the answer. Unreachable KDCs are
 * SEC_E_NO_AUTHORITY; nothing is decrypted.
 *
 * @since 0.1.0
 */
export const askKdc = (
  principal: string,
  kerberos: KerberosOptions = {}
): Effect.Effect<KdcAnswer, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const settings = yield* resolveSettings(kerberos)
    const client = parsePrincipal(principal, settings.defaultRealm ?? "")
    if (client.realm === "") {
      return yield* new SecurityError.NoAuthenticatingAuthority({ detail: "no realm: give principal@REALM or set default_realm in krb5.conf" })
    }
    const now = yield* Clock.currentTimeMillis
    const body = encodeKdcReqBody({
      options: 0,
      cname: client.name,
      realm: client.realm,
      sname: { nameType: 2, components: ["krbtgt", client.realm] },
      till: now + 3_600_000,
      nonce: (now % 0x7fffffff) >>> 0,
      etypes: AS_ETYPES
    })
    const reply = yield* settings.send(client.realm, encodeKdcReq(10, [], body))
    const localTime = yield* Clock.currentTimeMillis
    const error = reply[0] === 0x7e ? decodeKrbError(reply) : undefined
    if (error === undefined || Result.isFailure(error)) {
      return { realm: client.realm, kdcTime: undefined, localTime, errorCode: undefined, etypeInfo: [], clockSkewMs: settings.clockSkewMs }
    }
    const methods = error.success.eData === undefined ? undefined : decodeMethodData(error.success.eData)
    const info = methods === undefined || Result.isFailure(methods)
      ? undefined
      : methods.success.find((p) => p.type === PaType.ETYPE_INFO2)
    const entries = info === undefined ? undefined : decodeEtypeInfo2(info.value)
    return {
      realm: client.realm,
      kdcTime: error.success.stime + Math.floor(error.success.susec / 1000),
      localTime,
      errorCode: error.success.errorCode,
      etypeInfo: entries === undefined || Result.isFailure(entries) ? [] : entries.success.map((e) => ({ etype: e.etype, salt: e.salt })),
      clockSkewMs: settings.clockSkewMs
    }
  })
