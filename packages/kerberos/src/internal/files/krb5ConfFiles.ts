/**
 * Reading krb5.conf as MIT's profile library does: a list of files
 * (KRB5_CONFIG is `:`-separated), every one that exists parsed into one
 * tree in order (the first file's value of a relation wins, multi-valued
 * relations such as `kdc` concatenate), with `include FILE` and
 * `includedir DIR` (files named only of letters, digits, `-` and `_`, or
 * ending in `.conf`, in name order) parsed into the same tree.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Effect } from "effect"
import { type IncludeDirective, type Krb5Config, krb5ConfOf, parseProfile, type ProfileRoot } from "./krb5Conf.ts"

/** Nesting bound for include chains (a file that includes itself). */
const MAX_DEPTH = 8

/**
 * A krb5.conf profile read from files.
 *
 * @since 0.1.0
 */
export interface LoadedKrb5Conf {
  readonly config: Krb5Config
  /** The files parsed, in order (includes after their includer's start). */
  readonly files: ReadonlyArray<string>
  /** Listed or included files that could not be read, with the errno code. */
  readonly unreadable: ReadonlyArray<{ readonly path: string; readonly code: string }>
}

/** MIT prof_parse.c: includedir takes names of [A-Za-z0-9_-] only, or ending in ".conf". */
const includable = (name: string) => /^[A-Za-z0-9_-]+$/.test(name) || (!name.startsWith(".") && name.endsWith(".conf"))

const errnoOf = (e: unknown) => typeof e === "object" && e !== null && "code" in e ? String(e.code) : "EIO"

/**
 * Parses the files of `paths` in order into one profile; missing files are
 * skipped (as MIT does for the KRB5_CONFIG list) and listed in `unreadable`.
 *
 * @since 0.1.0
 */
export const loadKrb5Conf = (paths: ReadonlyArray<string>): Effect.Effect<LoadedKrb5Conf> =>
  Effect.sync(() => {
    const root = Object.create(null) as ProfileRoot
    const files: Array<string> = []
    const unreadable: Array<{ path: string; code: string }> = []
    const parseFile = (path: string, depth: number): void => {
      let text: string
      try {
        text = Fs.readFileSync(path, "utf8")
      } catch (e) {
        unreadable.push({ path, code: errnoOf(e) })
        return
      }
      files.push(path)
      parseProfile(text, root, (d) => include(d, depth + 1))
    }
    const include = (d: IncludeDirective, depth: number): void => {
      // MIT requires absolute paths for both directives
      if (depth > MAX_DEPTH || !Path.isAbsolute(d.path)) return
      if (d.kind === "include") return parseFile(d.path, depth)
      let names: Array<string>
      try {
        names = Fs.readdirSync(d.path)
      } catch (e) {
        unreadable.push({ path: d.path, code: errnoOf(e) })
        return
      }
      for (const name of names.filter(includable).sort()) parseFile(Path.join(d.path, name), depth)
    }
    for (const path of paths) if (path !== "") parseFile(path, 0)
    return { config: krb5ConfOf(root), files, unreadable }
  })
