/**
 * A throwaway MIT Kerberos realm (krb5kdc on 127.0.0.1) as a scoped resource,
 * wrapping `scripts/peers/krb5-realm.sh`.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Data, Duration, Effect } from "effect"
import type { Scope } from "effect"
import { run } from "./Command.ts"
import { realmScript } from "./Paths.ts"

/** A running realm. `env` holds every variable of `DIR/env.sh`. */
export interface Realm {
  readonly dir: string
  readonly realm: string
  readonly kdcPort: number
  /** Short user name (`alice`) and full principal (`alice@EFFECT.TEST`). */
  readonly user: string
  readonly principal: string
  readonly password: string
  /** Same password; tickets live at most 1 minute. */
  readonly shortPrincipal: string
  /** Same password; requires pre-authentication (KDC_ERR_PREAUTH_REQUIRED, then PA-ENC-TIMESTAMP). */
  readonly preauthPrincipal: string
  /** `HTTP@localhost` (GSS host-based name) and `HTTP/localhost@REALM`. */
  readonly service: string
  readonly servicePrincipal: string
  /** `DIR/http.keytab` (HTTP/localhost and host/localhost keys). */
  readonly keytab: string
  /**
   * KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5_KTNAME, KRB5CCNAME (DIR/ccache, empty
   * until a kinit), KRB5RCACHEDIR and the KRB5_TEST_* values: give these to
   * every peer and tool that must use the realm.
   */
  readonly env: Readonly<Record<string, string>>
}

/** krb5-realm.sh failed or did not answer in time. */
export class RealmError extends Data.TaggedError("RealmError")<{
  readonly message: string
  readonly output: string
}> {}

/** Options of {@link start}. */
export interface RealmOptions {
  /** Realm name (default EFFECT.TEST). */
  readonly realm?: string | undefined
  /** Fixed KDC port (TCP and UDP on 127.0.0.1); default: a free one. */
  readonly port?: number | undefined
  readonly user?: string | undefined
  readonly password?: string | undefined
  /** The KDC exits by itself after this many seconds (default 900). */
  readonly maxSeconds?: number | undefined
  /**
   * kdc.conf `[kdcdefaults] kdc_max_dgram_reply_size`: the KDC answers a UDP
   * request whose reply is longer with KRB_ERR_RESPONSE_TOO_BIG (default:
   * MIT's 4096).
   */
  readonly maxDgramReplySize?: number | undefined
  /** Keep the directory after release (also: INTEROP_KEEP_REALM=1). */
  readonly keep?: boolean | undefined
}

/** Parse `export NAME='value'` lines. */
export const parseEnvSh = (text: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const line of text.split("\n")) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$/.exec(line.trim())
    if (m) env[m[1]!] = m[2]!
  }
  return env
}

/**
 * Create a realm in a fresh temporary directory, start its KDC and wait until
 * a kinit works (time-out 30 s); on release stop the KDC and delete the
 * directory.
 */
export const start = (options: RealmOptions = {}): Effect.Effect<Realm, RealmError, Scope.Scope> => {
  const scriptEnv: Record<string, string | undefined> = {
    REALM: options.realm,
    KRB5_TEST_USER: options.user,
    KRB5_TEST_PASSWORD: options.password,
    KDC_MAX_SECONDS: String(options.maxSeconds ?? 900),
    KDC_MAX_DGRAM_REPLY_SIZE: options.maxDgramReplySize === undefined ? undefined : String(options.maxDgramReplySize),
    // never inherit another realm's settings
    KRB5_CONFIG: undefined,
    KRB5_KDC_PROFILE: undefined,
    KRB5CCNAME: undefined,
    KRB5_KTNAME: undefined
  }
  const keep = options.keep === true || process.env["INTEROP_KEEP_REALM"] === "1"

  const acquire = Effect.gen(function*() {
    const dir = yield* Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-sspi-realm-")))
    const result = yield* run(
      "/bin/bash",
      [realmScript, "start", dir, ...(options.port !== undefined ? [String(options.port)] : [])],
      { env: scriptEnv, timeout: Duration.seconds(30) }
    ).pipe(
      Effect.mapError((e) => new RealmError({ message: `krb5-realm.sh start: ${e.message}`, output: e.stderr })),
      Effect.tapError(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
    )
    if (result.code !== 0) {
      yield* run("/bin/bash", [realmScript, "stop", dir], { timeout: Duration.seconds(10) }).pipe(Effect.ignore)
      if (!keep) Fs.rmSync(dir, { recursive: true, force: true })
      return yield* new RealmError({
        message: `krb5-realm.sh start exited with ${result.code}`,
        output: result.stdout + result.stderr
      })
    }
    const env = parseEnvSh(result.stdout)
    const get = (k: string) => env[k] ?? ""
    const realm: Realm = {
      dir,
      realm: get("KRB5_TEST_REALM"),
      kdcPort: Number(get("KRB5_TEST_KDC_PORT")),
      user: get("KRB5_TEST_USER"),
      principal: get("KRB5_TEST_PRINCIPAL"),
      password: get("KRB5_TEST_PASSWORD"),
      shortPrincipal: get("KRB5_TEST_SHORT_PRINCIPAL"),
      preauthPrincipal: get("KRB5_TEST_PREAUTH_PRINCIPAL"),
      service: get("KRB5_TEST_SERVICE"),
      servicePrincipal: get("KRB5_TEST_SERVICE_PRINCIPAL"),
      keytab: Path.join(dir, "http.keytab"),
      env
    }
    return realm
  })

  const release = (realm: Realm) =>
    run("/bin/bash", [realmScript, "stop", realm.dir], { timeout: Duration.seconds(10) }).pipe(
      Effect.ignore,
      Effect.andThen(Effect.sync(() => {
        if (!keep) Fs.rmSync(realm.dir, { recursive: true, force: true })
      }))
    )

  return Effect.acquireRelease(acquire, release)
}

/**
 * `kinit` the realm's user (or `principal`) with the password on stdin into
 * `realm.env.KRB5CCNAME` (or `ccache`), with a 15 s time-out.
 */
export const kinit = (
  realm: Realm,
  options: { readonly principal?: string; readonly password?: string; readonly ccache?: string; readonly lifetime?: string } = {}
): Effect.Effect<void, RealmError> =>
  run(
    "/usr/bin/kinit",
    [...(options.lifetime ? ["-l", options.lifetime] : []), options.principal ?? realm.principal],
    {
      env: { ...realm.env, ...(options.ccache ? { KRB5CCNAME: options.ccache } : {}) },
      input: `${options.password ?? realm.password}\n`,
      timeout: Duration.seconds(15)
    }
  ).pipe(
    Effect.mapError((e) => new RealmError({ message: `kinit: ${e.message}`, output: e.stderr })),
    Effect.flatMap((r) =>
      r.code === 0
        ? Effect.void
        : Effect.fail(new RealmError({ message: `kinit exited with ${r.code}`, output: r.stdout + r.stderr }))
    )
  )
