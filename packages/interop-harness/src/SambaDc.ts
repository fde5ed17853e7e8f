/**
 * The Samba AD domain controller of the test run (realm CORP.TEST, domain
 * CORP, on 127.0.0.1), wrapping `scripts/peers/samba-dc.sh`.
 *
 * Its ports are fixed (88, 135, 389, 445, 53 …), so there is one DC per
 * machine, shared by every test project and worker of a run: {@link start}
 * provisions it once (about 10 s on an idle machine; the provisioned
 * directory is kept, so later runs only start samba: 2-3 s), starts it under
 * a lock, and reuses a running one (0.1 s). Each process that uses it leaves
 * a lease (its pid, or its run's: {@link LEASE_OWNER_VARIABLE}); {@link stopUnlessLeased} (the run's global teardown)
 * stops it when no other live process holds a lease. Without a teardown the
 * DC ends itself after `SAMBA_DC_MAX_SECONDS` (4 hours).
 *
 * The directory is keyed by a hash of samba-dc.sh, so changed fixtures get a
 * fresh domain; `SAMBA_DC_DIR` overrides it.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Data, Duration, Effect } from "effect"
import { isCI } from "./Availability.ts"
import { run } from "./Command.ts"
import { peersDir } from "./Paths.ts"
import { parseEnvSh } from "./Realm.ts"

/** `scripts/peers/samba-dc.sh`. */
export const script: string = `${peersDir}samba-dc.sh`

const DIR_PREFIX = "effect-sspi-samba-dc-"

/**
 * The DC's state directory: `SAMBA_DC_DIR`, else
 * `/tmp/effect-sspi-samba-dc-v<FIXTURES_VERSION of samba-dc.sh>`.
 */
export const defaultDir = (): string => {
  const configured = process.env["SAMBA_DC_DIR"]
  if (configured !== undefined && configured !== "") return configured
  let version = "unknown"
  try {
    version = /^FIXTURES_VERSION=(\w+)/m.exec(Fs.readFileSync(script, "utf8"))?.[1] ?? version
  } catch {
    // the script is missing: start fails with its own message
  }
  return Path.join("/tmp", `${DIR_PREFIX}v${version}`)
}

/** A running DC and its fixtures, as samba-dc.sh prints them (DIR/env.sh). */
export interface SambaDc {
  readonly dir: string
  /** `CORP.TEST` and `CORP`. */
  readonly realm: string
  readonly domain: string
  /** `DIR/etc/smb.conf`: give it to every samba-tool call as `-s`. */
  readonly smbConf: string
  readonly adminPassword: string
  /** alice (member of WebUsers and Engineers) and her password. */
  readonly alice: { readonly user: string; readonly principal: string; readonly password: string; readonly sid: string }
  /** carol: a disabled account. */
  readonly carol: { readonly user: string; readonly password: string; readonly sid: string }
  /** The domain SID and the SIDs `samba-tool group show` reports. */
  readonly domainSid: string
  readonly groups: {
    readonly webUsers: string
    readonly engineers: string
    readonly domainUsers: string
  }
  /** `samba-tool group listmembers` of WebUsers and Engineers. */
  readonly members: { readonly webUsers: ReadonlyArray<string>; readonly engineers: ReadonlyArray<string> }
  /** HTTP/localhost, held by the user account websvc: RC4 key only (`DIR/http.keytab`). */
  readonly httpService: { readonly principal: string; readonly keytab: string }
  /** The computer WEB1$ with SPN HTTP/web1.corp.test: AES256, AES128 and RC4 keys (`DIR/web1.keytab`). */
  readonly web1: { readonly account: string; readonly service: string; readonly keytab: string; readonly password: string }
  /** krbtgt's AES256 key (`DIR/krbtgt.keytab`), to check KDC checksums in tests. */
  readonly krbtgtKeytab: string
  /** KRB5_CONFIG (a krb5.conf naming the DC), KRB5CCNAME, KRB5_KTNAME and every SAMBA_DC_* value. */
  readonly env: Readonly<Record<string, string>>
}

/** samba-dc.sh failed or did not answer in time. */
export class SambaDcError extends Data.TaggedError("SambaDcError")<{
  readonly message: string
  readonly output: string
}> {}

const exists = (path: string): boolean => {
  try {
    Fs.accessSync(path, Fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Whether the DC can run here: samba and samba-tool installed, running as
 * root (its ports are below 1024). Under `CI=true` always `true`, so a
 * missing peer fails the run instead of skipping.
 */
export const availableSync = (): boolean =>
  isCI() || (exists("/usr/sbin/samba") && exists("/usr/bin/samba-tool") && process.getuid?.() === 0)

const words = (s: string | undefined): ReadonlyArray<string> => (s ?? "").split(" ").filter((w) => w !== "")

/** The {@link SambaDc} described by the `export` lines of DIR/env.sh. */
export const fromEnv = (env: Readonly<Record<string, string>>): SambaDc => {
  const get = (k: string) => env[k] ?? ""
  const dir = get("SAMBA_DC_DIR")
  const realm = get("SAMBA_DC_REALM")
  return {
    dir,
    realm,
    domain: get("SAMBA_DC_DOMAIN"),
    smbConf: get("SAMBA_DC_SMB_CONF"),
    adminPassword: get("SAMBA_DC_ADMIN_PASSWORD"),
    alice: { user: "alice", principal: `alice@${realm}`, password: get("SAMBA_DC_ALICE_PASSWORD"), sid: get("SAMBA_DC_ALICE_SID") },
    carol: { user: "carol", password: get("SAMBA_DC_CAROL_PASSWORD"), sid: get("SAMBA_DC_CAROL_SID") },
    domainSid: get("SAMBA_DC_DOMAIN_SID"),
    groups: {
      webUsers: get("SAMBA_DC_WEBUSERS_SID"),
      engineers: get("SAMBA_DC_ENGINEERS_SID"),
      domainUsers: get("SAMBA_DC_DOMAIN_USERS_SID")
    },
    members: { webUsers: words(env["SAMBA_DC_WEBUSERS_MEMBERS"]), engineers: words(env["SAMBA_DC_ENGINEERS_MEMBERS"]) },
    httpService: { principal: `HTTP/localhost@${realm}`, keytab: get("SAMBA_DC_HTTP_KEYTAB") },
    web1: {
      account: "WEB1$",
      service: `HTTP/web1.corp.test@${realm}`,
      keytab: get("SAMBA_DC_WEB1_KEYTAB"),
      password: get("SAMBA_DC_WEB1_PASSWORD")
    },
    krbtgtKeytab: get("SAMBA_DC_KRBTGT_KEYTAB"),
    env
  }
}

/**
 * The variable the run's global setup sets to its own pid: the workers of a
 * run lease the DC under that pid, so the run's teardown (in the same main
 * process) knows them for its own, even while the worker processes live on.
 */
export const LEASE_OWNER_VARIABLE = "SAMBA_DC_LEASE_OWNER"

const leaseOwner = (): number => {
  const owner = Number(process.env[LEASE_OWNER_VARIABLE])
  return Number.isInteger(owner) && owner > 0 ? owner : process.pid
}

const lease = (dir: string): void => {
  Fs.mkdirSync(Path.join(dir, "leases"), { recursive: true })
  Fs.writeFileSync(Path.join(dir, "leases", String(leaseOwner())), "")
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const script_ = (command: string, dir: string, timeout: Duration.Input) =>
  run("/bin/bash", [script, command, dir], {
    env: { KRB5_CONFIG: undefined, KRB5CCNAME: undefined, KRB5_KTNAME: undefined, SAMBA_DC_MAX_SECONDS: "14400" },
    timeout
  }).pipe(Effect.mapError((e) => new SambaDcError({ message: `samba-dc.sh ${command}: ${e.message}`, output: e.stderr })))

/** The live processes (other than this run) holding a lease on the DC of `dir`. */
const liveLeases = (dir: string): Array<number> => {
  const mine = leaseOwner()
  try {
    return Fs.readdirSync(Path.join(dir, "leases")).map(Number)
      .filter((pid) => Number.isInteger(pid) && pid !== mine && pidAlive(pid))
  } catch {
    return []
  }
}

/**
 * A DC of another fixtures version holds the fixed ports: stop it first,
 * unless a live process still uses it (then fail: two runs with different
 * fixtures cannot share the machine).
 */
const stopOthers = (dir: string) =>
  Effect.gen(function*() {
    const others = yield* Effect.sync(() => {
      try {
        return Fs.readdirSync("/tmp").filter((d) => d.startsWith(DIR_PREFIX) && !d.endsWith(".lock"))
          .map((d) => Path.join("/tmp", d))
          .filter((d) => d !== dir && Fs.existsSync(Path.join(d, "pid", "samba.pid")))
      } catch {
        return []
      }
    })
    for (const other of others) {
      const users = liveLeases(other)
      if (users.length > 0 && (yield* isRunning(other))) {
        return yield* new SambaDcError({
          message: `the Samba DC of ${other} (other fixtures) is in use by pids ${users.join(", ")}; it holds the DC ports`,
          output: ""
        })
      }
      yield* script_("stop", other, Duration.seconds(30)).pipe(Effect.ignore)
    }
  })

/**
 * Start the DC (provisioning it the first time) or reuse the running one,
 * and take a lease on it for this process. Time-out 5 minutes (provisioning
 * on a loaded two-core machine has taken 36 s).
 */
export const start = (dir: string = defaultDir()): Effect.Effect<SambaDc, SambaDcError> =>
  Effect.gen(function*() {
    yield* stopOthers(dir)
    const result = yield* script_("start", dir, Duration.minutes(5))
    if (result.code !== 0) {
      return yield* new SambaDcError({ message: `samba-dc.sh start exited with ${result.code}`, output: result.stdout + result.stderr })
    }
    yield* Effect.sync(() => lease(dir))
    return fromEnv(parseEnvSh(result.stdout))
  })

/** Whether the DC of `dir` is running. */
export const isRunning = (dir: string = defaultDir()): Effect.Effect<boolean> =>
  script_("status", dir, Duration.seconds(10)).pipe(
    Effect.map((r) => r.code === 0),
    Effect.orElseSucceed(() => false)
  )

/**
 * Drop this process's lease; stop the DC when no other live process holds
 * one. The run's global teardown calls it.
 */
export const stopUnlessLeased = (dir: string = defaultDir()): Effect.Effect<void> =>
  Effect.gen(function*() {
    const others = yield* Effect.sync(() => {
      Fs.rmSync(Path.join(dir, "leases", String(leaseOwner())), { force: true })
      return liveLeases(dir)
    })
    if (others.length === 0) yield* script_("stop", dir, Duration.seconds(30)).pipe(Effect.ignore)
  })

/**
 * Run `samba-tool ARGS -s smb.conf` against the DC (time-out 60 s); its
 * standard output, or a {@link SambaDcError} on a non-zero exit.
 */
export const sambaTool = (dc: SambaDc, args: ReadonlyArray<string>): Effect.Effect<string, SambaDcError> =>
  run("/usr/bin/samba-tool", [...args, "-s", dc.smbConf], { timeout: Duration.seconds(60) }).pipe(
    Effect.mapError((e) => new SambaDcError({ message: `samba-tool ${args.join(" ")}: ${e.message}`, output: e.stderr })),
    Effect.flatMap((r) =>
      r.code === 0
        ? Effect.succeed(r.stdout)
        : Effect.fail(new SambaDcError({ message: `samba-tool ${args.join(" ")} exited with ${r.code}`, output: r.stdout + r.stderr }))
    )
  )

/** samba-tool, where "already exists" (a fixture from an earlier run) is fine. */
export const sambaToolIdempotent = (dc: SambaDc, args: ReadonlyArray<string>): Effect.Effect<string, SambaDcError> =>
  sambaTool(dc, args).pipe(
    Effect.catchTag("SambaDcError", (e) =>
      /already|exists|ERR_ATTRIBUTE_OR_VALUE_EXISTS/i.test(e.output + e.message) ? Effect.succeed("") : Effect.fail(e))
  )

/**
 * The S4U service account (MS-SFU): `s4usvc` holding HTTP/s4u.corp.test,
 * trusted for protocol transition (`for-any-protocol`) and constrained
 * delegation to HTTP/web1.corp.test (`add-service`); set idempotently, so
 * every test that needs it may call {@link ensureS4uService}.
 */
export const s4uService = { name: "s4usvc", password: "S4u-Svc-Passw0rd!", spn: "HTTP/s4u.corp.test", backend: "HTTP/web1.corp.test" } as const

/** Creates (or finds) {@link s4uService} on the DC. */
export const ensureS4uService = (dc: SambaDc): Effect.Effect<void, SambaDcError> =>
  Effect.forEach([
    ["user", "create", s4uService.name, s4uService.password],
    ["user", "setexpiry", s4uService.name, "--noexpiry"],
    ["spn", "add", s4uService.spn, s4uService.name],
    ["delegation", "for-any-protocol", s4uService.name, "on"],
    ["delegation", "add-service", s4uService.name, s4uService.backend]
  ], (args) => sambaToolIdempotent(dc, args), { discard: true })

/**
 * `kinit` a principal of the domain (alice by default) with its password on
 * stdin into `ccache` (15 s time-out).
 */
export const kinit = (
  dc: SambaDc,
  ccache: string,
  options: {
    readonly principal?: string
    readonly password?: string
    /** kinit flags, e.g. `["-E"]` (an enterprise name) or `["-C"]` (canonicalize). */
    readonly flags?: ReadonlyArray<string>
  } = {}
): Effect.Effect<void, SambaDcError> =>
  run("/usr/bin/kinit", [...(options.flags ?? []), options.principal ?? dc.alice.principal], {
    env: { ...dc.env, KRB5CCNAME: `FILE:${ccache}` },
    input: `${options.password ?? dc.alice.password}\n`,
    timeout: Duration.seconds(15)
  }).pipe(
    Effect.mapError((e) => new SambaDcError({ message: `kinit: ${e.message}`, output: e.stderr })),
    Effect.flatMap((r) =>
      r.code === 0 ? Effect.void : Effect.fail(new SambaDcError({ message: `kinit exited with ${r.code}`, output: r.stdout + r.stderr }))
    )
  )
