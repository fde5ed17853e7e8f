/**
 * Where an NTLM acceptor finds the users it authenticates: a service with an
 * in-memory implementation and a file implementation in gss-ntlmssp's
 * NTLM_USER_FILE format (`DOMAIN:USER:PASSWORD` per line).
 *
 * Only NT hashes are kept; they are zeroed when the store's scope closes.
 *
 * @since 0.1.0
 */
import { readFile } from "node:fs/promises"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { SecurityError } from "@effect-sspi/core"
import { ntowfv1 } from "./internal/owf.ts"

/**
 * One user as the store gives it: the names as stored and a copy of the NT
 * hash (the caller zeroes it after use).
 *
 * @since 0.1.0
 */
export interface StoredUser {
  readonly domain: string
  readonly user: string
  readonly ntHash: Uint8Array
}

/**
 * A user entry to build a store from.
 *
 * @since 0.1.0
 */
export interface UserEntry {
  readonly domain: string
  readonly user: string
  readonly password: Redacted.Redacted<string>
}

/**
 * The user store service. Lookups are case-insensitive; an entry with an
 * empty domain matches any domain.
 *
 * @since 0.1.0
 */
export class UserStore extends Context.Service<UserStore, {
  readonly lookup: (domain: string, user: string) => Effect.Effect<Option.Option<StoredUser>>
}>()("@effect-sspi/ntlm/UserStore") {}

const key = (domain: string, user: string) => `${domain.toUpperCase()}\\${user.toUpperCase()}`

const fromEntries = (entries: ReadonlyArray<UserEntry>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const users = new Map<string, StoredUser>()
      for (const entry of entries) {
        users.set(key(entry.domain, entry.user), {
          domain: entry.domain,
          user: entry.user,
          ntHash: ntowfv1(Redacted.value(entry.password))
        })
      }
      return users
    }),
    (users) => Effect.sync(() => users.forEach((stored) => stored.ntHash.fill(0)))
  ).pipe(Effect.map((users) =>
    UserStore.of({
      lookup: (domain, user) =>
        Effect.sync(() => {
          const found = users.get(key(domain, user)) ?? users.get(key("", user))
          return found === undefined ? Option.none() : Option.some({ ...found, ntHash: found.ntHash.slice() })
        })
    })
  ))

/**
 * An in-memory store.
 *
 * @since 0.1.0
 */
export const layerMemory = (entries: ReadonlyArray<UserEntry>): Layer.Layer<UserStore> =>
  Layer.effect(UserStore, fromEntries(entries))

/**
 * Parses NTLM_USER_FILE text: `DOMAIN:USER:PASSWORD` per line (the password
 * may contain `:`); blank lines and lines starting with `#` are skipped.
 * A line without two colons is SEC_E_INVALID_PARAMETER (its number is
 * reported, never its content).
 *
 * @since 0.1.0
 */
export const parseUserFile = (text: string): Effect.Effect<ReadonlyArray<UserEntry>, SecurityError.InvalidParameter> =>
  Effect.suspend(() => {
    const entries: Array<UserEntry> = []
    const lines = text.split(/\r?\n/)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      if (line.trim() === "" || line.startsWith("#")) continue
      const first = line.indexOf(":")
      const second = first < 0 ? -1 : line.indexOf(":", first + 1)
      if (second < 0) {
        return Effect.fail(new SecurityError.InvalidParameter({ detail: `user file line ${i + 1} is not DOMAIN:USER:PASSWORD` }))
      }
      entries.push({
        domain: line.slice(0, first),
        user: line.slice(first + 1, second),
        password: Redacted.make(line.slice(second + 1))
      })
    }
    return Effect.succeed(entries)
  })

/**
 * Where {@link layerFile} finds the file when given no path: the config key
 * `NTLM_USER_FILE` (gss-ntlmssp's environment variable), read through the
 * app's `ConfigProvider` (the environment by default).
 *
 * @since 0.2.0
 */
export const userFileConfig: Config.Config<string> = Config.NonEmptyString("NTLM_USER_FILE")

/** The errno code and number of a Node file-system error, when it has them. */
const errnoOf = (e: unknown): string => {
  const { code, errno } = (typeof e === "object" && e !== null ? e : {}) as { code?: unknown; errno?: unknown }
  return typeof code === "string" ? `${code}${typeof errno === "number" ? ` (errno ${errno})` : ""}` : "unreadable"
}

const readUserFile = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (e) => new SecurityError.NoCredentials({ detail: `cannot read the NTLM user file ${JSON.stringify(path)}: ${errnoOf(e)}` })
  })

/**
 * A store read from a file in NTLM_USER_FILE format: `path`, or a `Config`
 * of it; by default {@link userFileConfig} (`NTLM_USER_FILE` from the app's
 * ConfigProvider). A file that cannot be read is SEC_E_NO_CREDENTIALS naming
 * the path and the errno (e.g. `ENOENT (errno -2)`); an unset or empty
 * config key is SEC_E_NO_CREDENTIALS naming the key; a malformed line is
 * SEC_E_INVALID_PARAMETER naming its number.
 *
 * @since 0.1.0
 */
export const layerFile = (
  path: string | Config.Config<string> = userFileConfig
): Layer.Layer<UserStore, SecurityError.NoCredentials | SecurityError.InvalidParameter> =>
  Layer.effect(
    UserStore,
    (typeof path === "string" ? Effect.succeed(path) : Effect.mapError(path, noConfig)).pipe(
      Effect.flatMap(readUserFile),
      Effect.flatMap(parseUserFile),
      Effect.flatMap(fromEntries)
    )
  )

const noConfig = (e: Config.ConfigError) =>
  new SecurityError.NoCredentials({ detail: `no NTLM user file configured: ${e.message.replace(/\s+/g, " ")}` })
