/**
 * Are the real peers installed? And the rule for tests when they are not:
 * skip loudly locally, fail when `CI=true`.
 *
 * @since 0.1.0
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import { Data, Effect } from "effect"
import { installScript, MechOid, opensslLegacyConf, python } from "./Paths.ts"

/** The peers a test can ask for. */
export type PeerKind =
  /** /usr/bin/python3 with python3-gssapi */
  | "gssapi"
  /** gss-ntlmssp registered as a GSSAPI mechanism (+ python3-gssapi) */
  | "ntlm"
  /** python3-ntlm-auth with MD4 through the legacy OpenSSL provider */
  | "ntlmAuth"
  /** MIT KDC tools (krb5kdc, kdb5_util, kadmin.local, kinit, klist) + python3-gssapi */
  | "krb5"
  /** SPNEGO through python3-gssapi (MIT's built-in SPNEGO) */
  | "spnego"
  /** curl with NTLM and GSS-Negotiate */
  | "curl"
  /** Apache 2.4 with mod_auth_gssapi */
  | "apache"

/** Which peers are usable, with a reason for each one that is not. */
export type PeerAvailability = { readonly [K in PeerKind]: boolean } & {
  readonly problems: ReadonlyArray<string>
}

/** Required peers are missing while `CI=true`. */
export class PeersMissing extends Data.TaggedError("PeersMissing")<{
  readonly missing: ReadonlyArray<PeerKind>
  readonly problems: ReadonlyArray<string>
  readonly message: string
}> {}

const exists = (path: string): boolean => {
  try {
    Fs.accessSync(path, Fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

const ntlmMechRegistered = (): boolean => {
  const files: Array<string> = []
  try {
    for (const f of Fs.readdirSync("/etc/gss/mech.d")) files.push(`/etc/gss/mech.d/${f}`)
  } catch {
    // no mech.d
  }
  files.push("/etc/gss/mech")
  return files.some((f) => {
    try {
      return Fs.readFileSync(f, "utf8").split("\n").some((l) => !l.startsWith("#") && l.includes(MechOid.ntlm))
    } catch {
      return false
    }
  })
}

const PY_CHECK = [
  "import json, hashlib",
  "r = {}",
  "try:\n import gssapi; r['gssapi'] = True\nexcept Exception as e:\n r['gssapi'] = str(e)",
  "try:\n import ntlm_auth.ntlm; hashlib.new('md4', b''); r['ntlmAuth'] = True\nexcept Exception as e:\n r['ntlmAuth'] = str(e)",
  "print(json.dumps(r))"
].join("\n")

let cached: PeerAvailability | undefined

/**
 * Probe the machine (files, binaries, one run of /usr/bin/python3); the
 * answer is cached for the process. Synchronous so that tests can decide at
 * collection time (`it.effect.skipIf(...)`).
 */
export const peersAvailableSync = (): PeerAvailability => {
  if (cached) return cached
  const problems: Array<string> = []
  let py: Record<string, unknown> = {}
  if (!exists(python)) problems.push(`${python} is missing`)
  else {
    try {
      const out = ChildProcess.execFileSync(python, ["-c", PY_CHECK], {
        env: { ...process.env, OPENSSL_CONF: opensslLegacyConf },
        timeout: 15_000,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"]
      })
      py = JSON.parse(out) as Record<string, unknown>
    } catch (e) {
      problems.push(`probing ${python} failed: ${String(e)}`)
    }
  }
  const gssapi = py["gssapi"] === true
  if (!gssapi && py["gssapi"] !== undefined) problems.push(`python3-gssapi: ${String(py["gssapi"])}`)
  const ntlmAuth = py["ntlmAuth"] === true
  if (!ntlmAuth && py["ntlmAuth"] !== undefined) problems.push(`python3-ntlm-auth / MD4: ${String(py["ntlmAuth"])}`)

  const mech = ntlmMechRegistered()
  if (!mech) problems.push("gss-ntlmssp is not registered in /etc/gss/mech.d")

  const krbBins = ["/usr/sbin/krb5kdc", "/usr/sbin/kdb5_util", "/usr/sbin/kadmin.local", "/usr/bin/kinit", "/usr/bin/klist"]
  const missingKrb = krbBins.filter((b) => !exists(b))
  if (missingKrb.length > 0) problems.push(`MIT Kerberos binaries missing: ${missingKrb.join(", ")}`)

  const curl = exists("/usr/bin/curl")
  if (!curl) problems.push("curl is missing")
  const apache = exists("/usr/sbin/apache2") && Fs.existsSync("/usr/lib/apache2/modules/mod_auth_gssapi.so")
  if (!apache) problems.push("apache2 / libapache2-mod-auth-gssapi is missing")

  const found: { [K in PeerKind]: boolean } = {
    gssapi,
    ntlm: gssapi && mech,
    ntlmAuth,
    krb5: gssapi && missingKrb.length === 0,
    spnego: gssapi,
    curl,
    apache
  }
  // INTEROP_PEERS_DISABLE=ntlm,krb5 pretends those are missing (to check the
  // skip / CI rule, or to run only some interop tests).
  for (const k of (process.env["INTEROP_PEERS_DISABLE"] ?? "").split(",").map((x) => x.trim())) {
    if (k in found) {
      found[k as PeerKind] = false
      problems.push(`${k} disabled by INTEROP_PEERS_DISABLE`)
    }
  }
  cached = { ...found, problems }
  return cached
}

/** {@link peersAvailableSync} as an Effect. */
export const peersAvailable = (): Effect.Effect<PeerAvailability> => Effect.sync(peersAvailableSync)

/** `process.env.CI === "true"`: missing peers fail instead of skipping. */
export const isCI = (): boolean => process.env["CI"] === "true"

const banner = (missing: ReadonlyArray<PeerKind>, problems: ReadonlyArray<string>): string =>
  [
    "",
    "!".repeat(78),
    `!!! INTEROP PEERS MISSING: ${missing.join(", ")}`,
    ...problems.map((p) => `!!!   - ${p}`),
    `!!! Tests that need them are SKIPPED. Install with: sudo ${installScript}`,
    "!!! (With CI=true these tests FAIL instead.)",
    "!".repeat(78),
    ""
  ].join("\n")

const warned = new Set<string>()

const decide = (kinds: ReadonlyArray<PeerKind>): { ok: boolean; error?: PeersMissing } => {
  const a = peersAvailableSync()
  const missing = kinds.filter((k) => !a[k])
  if (missing.length === 0) return { ok: true }
  if (isCI()) {
    return {
      ok: false,
      error: new PeersMissing({
        missing,
        problems: a.problems,
        message: `interop peers missing with CI=true: ${missing.join(", ")} (${a.problems.join("; ")})`
      })
    }
  }
  const key = missing.join(",")
  if (!warned.has(key)) {
    warned.add(key)
    process.stderr.write(banner(missing, a.problems) + "\n")
  }
  return { ok: false }
}

/**
 * Synchronous gate for test collection: `true` when all `kinds` are present.
 * When some are missing it prints a loud banner and returns `false` (skip),
 * except with `CI=true`, where it throws {@link PeersMissing} (the test file
 * fails).
 *
 * ```ts
 * const ok = requirePeersSync("ntlm")
 * it.live.skipIf(!ok)("talks to gss-ntlmssp", () => ...) // it.live: real clock
 * ```
 */
export const requirePeersSync = (...kinds: ReadonlyArray<PeerKind>): boolean => {
  const d = decide(kinds)
  if (d.error) throw d.error
  return d.ok
}

/**
 * Effect form of {@link requirePeersSync}: succeeds with `true` when all
 * `kinds` are present, with `false` (after the banner) when some are missing,
 * and fails with {@link PeersMissing} when they are missing and `CI=true`.
 */
export const requirePeers = (...kinds: ReadonlyArray<PeerKind>): Effect.Effect<boolean, PeersMissing> =>
  Effect.suspend(() => {
    const d = decide(kinds)
    return d.error ? Effect.fail(d.error) : Effect.succeed(d.ok)
  })
