/**
 * Kerberos credentials: what AcquireCredentialsHandle gives a context. An
 * outbound credential holds a client principal and a secret (password or
 * keytab keys) and/or cached tickets (ccache); an inbound one holds keytab
 * keys. Freeing zeroes every key.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import { Effect, Redacted, Result } from "effect"
import { Flags, SecurityError } from "@effect-sspi/core"
import type { SecurityPackage } from "@effect-sspi/core"
import { badLength } from "../crypto/keys.ts"
import { decodeCcache } from "../files/ccache.ts"
import { decodeKeytab, type KeytabEntry } from "../files/keytab.ts"
import { type ClientSecret, grantFromCache, type TicketGrant } from "../kdc/client.ts"
import { parsePrincipal, type Principal, sameName } from "../messages/common.ts"
import type { Settings } from "../settings.ts"

/**
 * authData for a password logon.
 *
 * @since 0.1.0
 */
export interface PasswordAuthData {
  /** "alice" or "alice@REALM". */
  readonly principal: string
  readonly password: Redacted.Redacted<string>
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
 * authData for an MIT credential cache (default: KRB5CCNAME).
 *
 * @since 0.1.0
 */
export interface CcacheAuthData {
  readonly ccache?: string | undefined
}

/**
 * The authData accepted by AcquireCredentialsHandle. Without authData, an
 * outbound credential reads KRB5CCNAME and an inbound one KRB5_KTNAME.
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

const fileName = (name: string) => name.replace(/^FILE:/, "")

const readFile = (path: string, what: string): Effect.Effect<Uint8Array, SecurityError.SspiError> =>
  Effect.try({
    try: () => new Uint8Array(Fs.readFileSync(path)),
    catch: () => new SecurityError.NoCredentials({ detail: `cannot read the ${what}` })
  })

const loadKeytab = (source: string | Uint8Array): Effect.Effect<Array<KeytabEntry>, SecurityError.SspiError> =>
  Effect.flatMap(typeof source === "string" ? readFile(fileName(source), "keytab") : Effect.succeed(source), (bytes) =>
    Result.match(decodeKeytab(bytes), {
      onFailure: (e) => Effect.fail(new SecurityError.UnknownCredentials({ detail: `keytab: ${e.reason}` })),
      onSuccess: (entries) => {
        // RFC 3961 section 3: each key has its enctype's length (issue 9 G)
        if (!entries.some((e) => badLength({ keytype: e.enctype, keyvalue: e.key }))) return Effect.succeed(entries)
        for (const e of entries) e.key.fill(0)
        return Effect.fail(new SecurityError.UnknownCredentials({ detail: "keytab: a key's length does not match its encryption type" }))
      }
    }))

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

const defaultCcache = (settings: Settings) =>
  settings.env["KRB5CCNAME"] ?? `FILE:/tmp/krb5cc_${typeof Os.userInfo === "function" ? Os.userInfo().uid : 0}`

const isPassword = (a: unknown): a is PasswordAuthData =>
  typeof a === "object" && a !== null && "password" in a && Redacted.isRedacted((a as PasswordAuthData).password)
const isKeytab = (a: unknown): a is KeytabAuthData =>
  typeof a === "object" && a !== null && "keytab" in a
const isCcache = (a: unknown): a is CcacheAuthData => typeof a === "object" && a !== null && "ccache" in a

const realmOf = (settings: Settings) => settings.defaultRealm ?? ""

const fromCcache = (settings: Settings, name: string | undefined) =>
  Effect.flatMap(readFile(fileName(name ?? defaultCcache(settings)), "credential cache"), (bytes) =>
    Result.match(decodeCcache(bytes), {
      onFailure: (e) => Effect.fail(new SecurityError.UnknownCredentials({ detail: `ccache: ${e.reason}` })),
      onSuccess: (cache) => {
        // RFC 3961 section 3: each session key has its enctype's length (issue 9 G)
        if (cache.credentials.some((c) => badLength(c.key))) {
          for (const c of cache.credentials) c.key.keyvalue.fill(0)
          return Effect.fail(new SecurityError.UnknownCredentials({ detail: "ccache: a key's length does not match its encryption type" }))
        }
        const tickets = cache.credentials.flatMap((c) => {
          const g = grantFromCache(c)
          return g === undefined ? [] : [g]
        })
        return Effect.succeed({ client: cache.defaultPrincipal, tickets })
      }
    }))

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
      client = named(auth.principal)
      // our own copy, wiped on free (the caller keeps theirs)
      secret = { _tag: "Password", password: Redacted.make(Redacted.value(auth.password)) }
    } else if (isKeytab(auth)) {
      const entries = yield* loadKeytab(auth.keytab)
      const wanted = named(auth.principal ?? request.principal)
      const mine = wanted !== undefined
        ? entries.filter((e) => sameName(e.principal.name, wanted.name) && e.principal.realm === wanted.realm)
        : inbound
        ? acceptable(settings, entries)
        : entries
      for (const e of entries) if (!mine.includes(e)) e.key.fill(0)
      if (mine.length === 0) return yield* new SecurityError.NoCredentials({ detail: "no keytab entry for the principal" })
      if (inbound) {
        serviceKeys = mine
        acceptAs = wanted
      }
      if (outbound) {
        client = wanted ?? mine[0]!.principal
        const c = client
        secret = {
          _tag: "Keys",
          keys: mine.filter((e) => sameName(e.principal.name, c.name)).map((e) => ({ keytype: e.enctype, keyvalue: e.key }))
        }
      }
    } else if (outbound && (auth === undefined || auth === null || isCcache(auth))) {
      const loaded = yield* fromCcache(settings, isCcache(auth) ? auth.ccache : undefined)
      client = loaded.client
      tickets = loaded.tickets
    } else if (inbound && (auth === undefined || auth === null)) {
      const entries = yield* loadKeytab(settings.env["KRB5_KTNAME"] ?? "/etc/krb5.keytab")
      acceptAs = named(request.principal)
      const a = acceptAs
      serviceKeys = a === undefined
        ? acceptable(settings, entries)
        : entries.filter((e) => sameName(e.principal.name, a.name) && e.principal.realm === a.realm)
      for (const e of entries) if (!serviceKeys.includes(e)) e.key.fill(0)
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
    for (const t of c.tickets) t.key.keyvalue.fill(0)
    c.tickets.length = 0
    for (const e of c.serviceKeys) e.key.fill(0)
    if (c.secret?._tag === "Keys") for (const k of c.secret.keys) k.keyvalue.fill(0)
    if (c.secret?._tag === "Password") Redacted.wipeUnsafe(c.secret.password)
  })
