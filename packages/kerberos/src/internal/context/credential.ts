/**
 * Kerberos credentials: what AcquireCredentialsHandle gives a context. An
 * outbound credential holds a client principal and a secret (password or
 * keytab keys) and/or cached tickets (ccache); an inbound one holds keytab
 * keys. Freeing zeroes every key.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Result } from "effect"
import { Flags, SecurityError } from "@effect-sspi/core"
import type { SecurityPackage } from "@effect-sspi/core"
import { badLength } from "../crypto/keys.ts"
import { decodeCcache } from "../files/ccache.ts"
import { decodeKeytab, type KeytabEntry } from "../files/keytab.ts"
import { ccacheFiles, type FileProblem, keytabPath, readBytes } from "../files/locations.ts"
import { type ClientSecret, grantFromCache, type TicketGrant } from "../kdc/client.ts"
import { formatPrincipal, parseClientPrincipal, parsePrincipal, type Principal, sameName } from "../messages/common.ts"
import type { Settings } from "../settings.ts"
import { fromDelegatedAuthData, isDelegatedAuthData } from "./delegation.ts"
import { wipeKey } from "../crypto/profile.ts"

/**
 * authData for a password logon.
 *
 * @since 0.1.0
 */
export interface PasswordAuthData {
  /**
   * "alice" or "alice@REALM"; a UPN as an enterprise name (RFC 6806):
   * "alice@corp.test@CORP.TEST", or "alice@corp.test" with `enterprise`.
   */
  readonly principal: string
  readonly password: Redacted.Redacted<string>
  /** The principal is an enterprise name (MIT's `kinit -E`): sent as NT-ENTERPRISE with canonicalization. */
  readonly enterprise?: boolean | undefined
}

/**
 * authData for keytab keys: the acceptor's service keys, or (outbound) the
 * client's keys. A path may carry a "FILE:" prefix.
 *
 * @since 0.1.0
 */
export interface KeytabAuthData {
  readonly keytab: string | Uint8Array
  /** Only this principal's keys (outbound: the client; default the keytab's first principal). */
  readonly principal?: string | undefined
}

/**
 * authData for an MIT credential cache, `FILE:` or a `DIR:` collection
 * (default: KRB5CCNAME, then krb5.conf default_ccache_name).
 *
 * @since 0.1.0
 */
export interface CcacheAuthData {
  readonly ccache?: string | undefined
}

/**
 * The authData accepted by AcquireCredentialsHandle. Without authData, an
 * outbound credential reads the default ccache (KRB5CCNAME), else the client
 * keytab (KRB5_CLIENT_KTNAME), and an inbound one the default keytab
 * (KRB5_KTNAME).
 *
 * @since 0.1.0
 */
export type KerberosAuthData = PasswordAuthData | KeytabAuthData | CcacheAuthData

/**
 * Credential state.
 *
 * @since 0.1.0
 */
export interface KerberosCredential {
  readonly use: Flags.CredentialUse
  readonly client: Principal | undefined
  readonly secret: ClientSecret | undefined
  /** TGTs and service tickets, newest last. */
  readonly tickets: Array<TicketGrant>
  readonly serviceKeys: ReadonlyArray<KeytabEntry>
  /** Inbound: accept tickets only for this principal. */
  readonly acceptAs: Principal | undefined
}

/** A file that cannot be read: SEC_E_NO_CREDENTIALS naming the path and the errno. */
const noFile = (problem: FileProblem) => new SecurityError.NoCredentials({ detail: `cannot read the ${problem.message}` })

interface LoadedKeytab {
  readonly entries: Array<KeytabEntry>
  /** The path, or "the keytab given in memory". */
  readonly label: string
}

const loadKeytab = (source: string | Uint8Array): Effect.Effect<LoadedKeytab, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const path = typeof source === "string" ? yield* Effect.mapError(keytabPath(source), noFile) : undefined
    const label = path === undefined ? "the keytab given in memory" : `keytab ${path}`
    const bytes = path === undefined ? source as Uint8Array : yield* Effect.mapError(readBytes(path, "keytab"), noFile)
    const decoded = decodeKeytab(bytes)
    if (Result.isFailure(decoded)) {
      return yield* new SecurityError.UnknownCredentials({ detail: `${label}: ${decoded.failure.reason}` })
    }
    const entries = decoded.success
    // RFC 3961 section 3: each key has its enctype's length (issue 9 G)
    if (entries.some((e) => badLength({ keytype: e.enctype, keyvalue: e.key }))) {
      for (const e of entries) wipeKey(e.key)
      return yield* new SecurityError.UnknownCredentials({ detail: `${label}: a key's length does not match its encryption type` })
    }
    return { entries, label }
  })

/** The distinct principals of a keytab, for messages. */
const held = (entries: ReadonlyArray<KeytabEntry>) =>
  entries.length === 0
    ? "it holds no key"
    : `it holds ${[...new Set(entries.map((e) => formatPrincipal(e.principal)))].join(", ")}`

/** No key for the principal: SEC_E_NO_CREDENTIALS naming the keytab and what it holds (keys zeroed). */
const noKey = (keytab: LoadedKeytab, wanted: string) => {
  const detail = `${keytab.label}: no key for ${wanted}; ${held(keytab.entries)}`
  for (const e of keytab.entries) wipeKey(e.key)
  return new SecurityError.NoCredentials({ detail })
}

/**
 * The keytab entries an inbound credential acquired without a principal
 * accepts (issue 9 H): `acceptorPrincipals` ("svc/host", realm optional), or
 * `"any"`, or by default the keytab's first principal, as Windows accepts
 * only its own service names.
 */
const acceptable = (settings: Settings, entries: Array<KeytabEntry>): Array<KeytabEntry> => {
  const names = settings.acceptorPrincipals
  if (names === "any" || entries.length === 0) return entries
  const wanted = names === undefined
    ? [entries[0]!.principal]
    : names.map((n) => parsePrincipal(n, ""))
  return entries.filter((e) =>
    wanted.some((w) => sameName(w.name, e.principal.name) && (w.realm === "" || w.realm === e.principal.realm))
  )
}

const isPassword = (a: unknown): a is PasswordAuthData =>
  typeof a === "object" && a !== null && "password" in a && Redacted.isRedacted((a as PasswordAuthData).password)
const isKeytab = (a: unknown): a is KeytabAuthData =>
  typeof a === "object" && a !== null && "keytab" in a
const isCcache = (a: unknown): a is CcacheAuthData => typeof a === "object" && a !== null && "ccache" in a

const realmOf = (settings: Settings) => settings.defaultRealm ?? ""

/** Decodes one cache file (keys of the wrong length refused). */
const decodeCacheFile = (path: string) =>
  Effect.flatMap(Effect.mapError(readBytes(path, "credential cache"), noFile), (bytes) =>
    Result.match(decodeCcache(bytes), {
      onFailure: (e) => Effect.fail(new SecurityError.UnknownCredentials({ detail: `credential cache ${path}: ${e.reason}` })),
      onSuccess: (cache) => {
        // RFC 3961 section 3: each session key has its enctype's length (issue 9 G)
        if (cache.credentials.some((c) => badLength(c.key))) {
          for (const c of cache.credentials) wipeKey(c.key.keyvalue)
          return Effect.fail(new SecurityError.UnknownCredentials({ detail: `credential cache ${path}: a key's length does not match its encryption type` }))
        }
        return Effect.succeed(cache)
      }
    }))

/**
 * The tickets of a ccache: a FILE cache, or a DIR: collection's primary
 * cache, or (asked for a principal) the collection's cache whose default
 * principal it is (krb5_cc_cache_match).
 */
const fromCcache = (name: string, wanted: Principal | undefined) =>
  Effect.gen(function*() {
    const files = yield* Effect.mapError(ccacheFiles(name), noFile)
    const candidates = wanted === undefined ? files.slice(0, 1) : files
    for (const path of candidates) {
      const cache = yield* decodeCacheFile(path).pipe(
        // searching a collection for a principal skips what cannot be read (krb5_cc_cache_match)
        Effect.catch((e) => candidates.length === 1 ? Effect.fail(e) : Effect.succeed(undefined))
      )
      if (cache === undefined) continue
      const mine = wanted === undefined ||
        (sameName(cache.defaultPrincipal.name, wanted.name) && cache.defaultPrincipal.realm === wanted.realm)
      if (!mine) {
        for (const c of cache.credentials) wipeKey(c.key.keyvalue)
        continue
      }
      const tickets = cache.credentials.flatMap((c) => {
        const g = grantFromCache(c)
        return g === undefined ? [] : [g]
      })
      return { client: cache.defaultPrincipal, tickets, secret: undefined as ClientSecret | undefined }
    }
    return yield* new SecurityError.NoCredentials({
      detail: `credential cache ${name}: no cache for ${wanted === undefined ? "a client" : formatPrincipal(wanted)} (read ${candidates.join(", ")})`
    })
  })

/** The keys of `wanted` (or the acceptable/first principal's); none is SEC_E_NO_CREDENTIALS naming the keytab. */
const keysFor = (settings: Settings, keytab: LoadedKeytab, wanted: Principal | undefined, inbound: boolean) =>
  Effect.suspend(() => {
    const entries = keytab.entries
    const mine = wanted !== undefined
      ? entries.filter((e) => sameName(e.principal.name, wanted.name) && e.principal.realm === wanted.realm)
      : inbound
      ? acceptable(settings, entries)
      : entries
    if (mine.length === 0) {
      const names = settings.acceptorPrincipals
      const asked = wanted !== undefined
        ? formatPrincipal(wanted)
        : Array.isArray(names) ? `the acceptor principals ${names.join(", ")}` : "any principal"
      return Effect.fail(noKey(keytab, asked))
    }
    for (const e of entries) if (!mine.includes(e)) wipeKey(e.key)
    return Effect.succeed({ mine, wanted })
  })

const outboundKeys = (client: Principal, mine: ReadonlyArray<KeytabEntry>): ClientSecret => ({
  _tag: "Keys",
  keys: mine.filter((e) => sameName(e.principal.name, client.name)).map((e) => ({ keytype: e.enctype, keyvalue: e.key }))
})

const fromClientKeytab = (settings: Settings, name: string, wanted: Principal | undefined) =>
  Effect.gen(function*() {
    const keytab = yield* loadKeytab(name)
    const keys = yield* keysFor(settings, keytab, wanted, false)
    const client = keys.wanted ?? keys.mine[0]!.principal
    return { client, tickets: [] as Array<TicketGrant>, secret: outboundKeys(client, keys.mine) as ClientSecret | undefined }
  })

/**
 * AcquireCredentialsHandle for Kerberos.
 *
 * @since 0.1.0
 */
export const acquire = (
  settings: Settings,
  request: SecurityPackage.AcquireCredentialsRequest
): Effect.Effect<SecurityPackage.CredentialGrant<KerberosCredential>, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const auth = request.authData
    const use = request.credentialUse
    const outbound = (use & Flags.CredentialUse.OUTBOUND) !== 0
    const inbound = (use & Flags.CredentialUse.INBOUND) !== 0
    let client: Principal | undefined
    let secret: ClientSecret | undefined
    let tickets: Array<TicketGrant> = []
    let serviceKeys: Array<KeytabEntry> = []
    let acceptAs: Principal | undefined
    const named = (text: string | undefined) => text === undefined ? undefined : parsePrincipal(text, realmOf(settings))
    if (isPassword(auth)) {
      client = parseClientPrincipal(auth.principal, realmOf(settings), auth.enterprise === true)
      // our own copy, wiped on free (the caller keeps theirs)
      secret = { _tag: "Password", password: Redacted.make(Redacted.value(auth.password)) }
    } else if (isKeytab(auth) || (inbound && (auth === undefined || auth === null))) {
      // Keys are checked here, when the credential is acquired: a missing,
      // unreadable or foreign keytab fails now, naming the path and what it holds
      const keytab = yield* loadKeytab(isKeytab(auth) ? auth.keytab : settings.keytabName)
      const keys = yield* keysFor(settings, keytab, named((isKeytab(auth) ? auth.principal : undefined) ?? request.principal), inbound)
      if (inbound) {
        serviceKeys = keys.mine
        acceptAs = keys.wanted
      }
      if (outbound) {
        client = keys.wanted ?? keys.mine[0]!.principal
        secret = outboundKeys(client, keys.mine)
      }
    } else if (outbound && isDelegatedAuthData(auth)) {
      // a client's delegated TGT (the DelegatedCredential attribute): our own copy of it
      const d = yield* fromDelegatedAuthData(auth)
      client = d.client
      tickets = d.tickets
    } else if (outbound && (auth === undefined || auth === null || isCcache(auth))) {
      const explicit = isCcache(auth) ? auth.ccache : undefined
      const wanted = named(request.principal)
      const loaded = yield* fromCcache(explicit ?? settings.ccacheName, wanted).pipe(
        // MIT gss_acquire_cred: with no usable ccache, the client keytab (when there is one)
        Effect.catch((e) =>
          explicit !== undefined || settings.clientKeytabName === undefined
            ? Effect.fail(e)
            : fromClientKeytab(settings, settings.clientKeytabName, wanted).pipe(
              Effect.mapError((k) => new SecurityError.NoCredentials({ detail: `${e.detail ?? e.message}; and ${k.detail ?? k.message}` }))
            )
        )
      )
      client = loaded.client
      tickets = loaded.tickets
      secret = loaded.secret
    } else {
      return yield* new SecurityError.UnknownCredentials({ detail: "unrecognised Kerberos authData" })
    }
    const tgtEnd = tickets.filter((t) => t.server.name.components[0] === "krbtgt").map((t) => t.endtime)
    const expiry = secret === undefined && tgtEnd.length > 0 ? Math.max(...tgtEnd) : Infinity
    return { credential: { use, client, secret, tickets, serviceKeys, acceptAs }, expiry }
  })

/**
 * Zeroes every key a credential holds.
 *
 * @since 0.1.0
 */
export const free = (c: KerberosCredential): Effect.Effect<void> =>
  Effect.sync(() => {
    for (const t of c.tickets) wipeKey(t.key.keyvalue)
    c.tickets.length = 0
    for (const e of c.serviceKeys) wipeKey(e.key)
    if (c.secret?._tag === "Keys") for (const k of c.secret.keys) wipeKey(k.keyvalue)
    if (c.secret?._tag === "Password") Redacted.wipeUnsafe(c.secret.password)
  })
