/**
 * Credential cache and keytab names as MIT writes them (KRB5CCNAME,
 * KRB5_KTNAME, default_ccache_name, …): `TYPE:residual`, a bare path being
 * `FILE:`. Supported: `FILE:` ccaches and `DIR:` collections (MIT
 * cc_dir.c), `FILE:`/`WRFILE:` keytabs; MIT's `%{…}` path tokens are
 * expanded. File reads fail with the path and the errno code.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Data, Effect } from "effect"

/**
 * A file that could not be read, or a cache/keytab type this package does
 * not read: the path (or name) and the errno code ("ENOENT", …).
 *
 * @since 0.1.0
 */
export class FileProblem extends Data.TaggedError("FileProblem")<{
  readonly what: string
  readonly path: string
  readonly code: string
}> {
  override get message(): string {
    return `${this.what} ${this.path}: ${describe(this.code)}`
  }
}

const meanings: Record<string, string> = {
  ENOENT: "ENOENT (no such file or directory)",
  EACCES: "EACCES (permission denied)",
  EISDIR: "EISDIR (is a directory)",
  ENOTDIR: "ENOTDIR (a path component is not a directory)",
  ELOOP: "ELOOP (too many symbolic links)"
}
const describe = (code: string) => meanings[code] ?? code

const errnoOf = (e: unknown) => typeof e === "object" && e !== null && "code" in e ? String(e.code) : "EIO"

const uid = () => typeof process.getuid === "function" ? process.getuid() : 0
const euid = () => typeof process.geteuid === "function" ? process.geteuid() : uid()
const userName = () => {
  try {
    return Os.userInfo().username
  } catch {
    return String(uid())
  }
}

/**
 * MIT's path tokens (lib/krb5/os/expand_path.c): %{uid}, %{euid},
 * %{USERID}, %{username}, %{TEMP}, %{null}; others are left as written.
 *
 * @since 0.1.0
 */
export const expandPath = (text: string): string =>
  text.replace(/%\{(\w+)\}/g, (all, token: string) => {
    switch (token) {
      case "uid":
      case "USERID":
        return String(uid())
      case "euid":
        return String(euid())
      case "username":
        return userName()
      case "TEMP":
        return process.env["TMPDIR"] ?? "/tmp"
      case "null":
        return ""
      default:
        return all
    }
  })

/**
 * A parsed credential cache name.
 *
 * @since 0.1.0
 */
export type CcacheName =
  | { readonly _tag: "File"; readonly path: string }
  | { readonly _tag: "Dir"; readonly dir: string; readonly subsidiary: string | undefined }
  | { readonly _tag: "Unsupported"; readonly type: string; readonly name: string }

const split = (name: string): [string, string] => {
  const m = /^([A-Za-z0-9]{2,}):(.*)$/.exec(name)
  return m === null ? ["FILE", name] : [m[1]!.toUpperCase(), m[2]!]
}

/**
 * Parses a ccache name: `FILE:path` or a bare path; `DIR:dir` (the
 * collection's primary cache) or `DIR::dir/tktNAME` (one cache of it).
 *
 * @since 0.1.0
 */
export const parseCcacheName = (name: string): CcacheName => {
  const [type, rest] = split(expandPath(name))
  if (type === "FILE") return { _tag: "File", path: rest }
  if (type === "DIR") {
    return rest.startsWith(":")
      ? { _tag: "Dir", dir: Path.dirname(rest.slice(1)), subsidiary: rest.slice(1) }
      : { _tag: "Dir", dir: rest, subsidiary: undefined }
  }
  return { _tag: "Unsupported", type, name }
}

/**
 * A keytab name as a file path: `FILE:`/`WRFILE:` or a bare path.
 *
 * @since 0.1.0
 */
export const keytabPath = (name: string): Effect.Effect<string, FileProblem> => {
  const [type, rest] = split(expandPath(name))
  return type === "FILE" || type === "WRFILE"
    ? Effect.succeed(rest)
    : Effect.fail(new FileProblem({ what: "keytab", path: name, code: `type ${type}: is not read by this package (FILE: only)` }))
}

/**
 * Reads a whole file.
 *
 * @since 0.1.0
 */
export const readBytes = (path: string, what: string): Effect.Effect<Uint8Array, FileProblem> =>
  Effect.try({
    try: () => new Uint8Array(Fs.readFileSync(path)),
    catch: (e) => new FileProblem({ what, path, code: errnoOf(e) })
  })

/** MIT cc_dir.c filename_is_cache: "tkt…" with no slash. */
const isCacheFile = (name: string) => name.startsWith("tkt") && !name.includes("/")

/**
 * The cache files a ccache name stands for, the one to use first at the
 * head: a FILE cache is itself; a `DIR:` collection is its primary cache
 * (named by the `primary` file, "tkt" when that file is absent, as MIT
 * cc_dir.c), then its other `tkt*` files in name order (searched for a
 * client principal, as krb5_cc_cache_match does).
 *
 * @since 0.1.0
 */
export const ccacheFiles = (name: string): Effect.Effect<ReadonlyArray<string>, FileProblem> =>
  Effect.suspend(() => {
    const parsed = parseCcacheName(name)
    switch (parsed._tag) {
      case "File":
        return Effect.succeed([parsed.path])
      case "Unsupported":
        return Effect.fail(
          new FileProblem({ what: "credential cache", path: name, code: `type ${parsed.type}: is not read by this package (FILE: and DIR: only)` })
        )
      case "Dir": {
        if (parsed.subsidiary !== undefined) return Effect.succeed([parsed.subsidiary])
        const dir = parsed.dir
        return Effect.try({
          try: () => {
            let primary = "tkt"
            try {
              const named = Fs.readFileSync(Path.join(dir, "primary"), "utf8").split("\n")[0]!.trim()
              if (isCacheFile(named)) primary = named
            } catch (e) {
              if (errnoOf(e) !== "ENOENT") throw e
            }
            const others = Fs.readdirSync(dir).filter((n) => isCacheFile(n) && n !== primary).sort()
            return [primary, ...others].map((n) => Path.join(dir, n))
          },
          catch: (e) => new FileProblem({ what: "credential cache collection", path: dir, code: errnoOf(e) })
        })
      }
    }
  })
