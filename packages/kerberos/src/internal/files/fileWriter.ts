/**
 * Reading and writing credential files (ccache, keytab) with typed errors
 * naming the file. Writes go to a temporary file in the same directory
 * (mode 0600) and are renamed over the target, so a reader never sees half
 * a file; the temporary bytes are the caller's to zero.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Data, Effect, Result } from "effect"

/**
 * A credential file that cannot be read, written or understood. `reason`
 * never holds key bytes.
 *
 * @since 0.1.0
 */
export class CredentialFileError extends Data.TaggedError("CredentialFileError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}

/** `FILE:/x` → `/x`; other cache types are refused. */
export const filePath = (name: string): Result.Result<string, CredentialFileError> => {
  const m = /^([A-Z]+):(.*)$/.exec(name)
  if (m === null) return Result.succeed(name)
  if (m[1] === "FILE" || m[1] === "WRFILE") return Result.succeed(m[2]!)
  return Result.fail(new CredentialFileError({ path: name, reason: `${m[1]} caches are not supported (only FILE:)` }))
}

const errnoReason = (e: unknown): string => {
  const code = (e as { code?: unknown }).code
  if (code === "ENOENT") return "no such file"
  if (code === "EACCES" || code === "EPERM") return "permission denied"
  return e instanceof Error ? e.message : String(e)
}

/** The bytes of a credential file. */
export const readBytes = (name: string): Effect.Effect<Uint8Array, CredentialFileError> =>
  Effect.flatMap(Effect.fromResult(filePath(name)), (path) =>
    Effect.try({
      try: () => new Uint8Array(Fs.readFileSync(path)),
      catch: (e) => new CredentialFileError({ path, reason: errnoReason(e) })
    }))

/** Replaces a credential file atomically (mode 0600). */
export const writeBytes = (name: string, bytes: Uint8Array): Effect.Effect<void, CredentialFileError> =>
  Effect.flatMap(Effect.fromResult(filePath(name)), (path) =>
    Effect.try({
      try: () => {
        const tmp = Path.join(Path.dirname(path), `.${Path.basename(path)}.${process.pid}.tmp`)
        try {
          Fs.writeFileSync(tmp, bytes, { mode: 0o600 })
          Fs.renameSync(tmp, path)
        } catch (e) {
          Fs.rmSync(tmp, { force: true })
          throw e
        }
      },
      catch: (e) => new CredentialFileError({ path, reason: errnoReason(e) })
    }))

/** Overwrites a file with zeros, then deletes it (as MIT's kdestroy does). */
export const destroyFile = (name: string): Effect.Effect<void, CredentialFileError> =>
  Effect.flatMap(Effect.fromResult(filePath(name)), (path) =>
    Effect.try({
      try: () => {
        const size = Fs.statSync(path).size
        const fd = Fs.openSync(path, "r+")
        try {
          Fs.writeSync(fd, new Uint8Array(size), 0, size, 0)
          Fs.fsyncSync(fd)
        } finally {
          Fs.closeSync(fd)
        }
        Fs.unlinkSync(path)
      },
      catch: (e) => new CredentialFileError({ path, reason: errnoReason(e) })
    }))
