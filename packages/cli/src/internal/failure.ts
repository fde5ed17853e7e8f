/**
 * User-facing failures: one clear line on stderr (rendered by effect/cli
 * through `CliError.userMessage`), exit code 1, no stack trace, no secret.
 */
import { Data, Effect, Predicate, Runtime } from "effect"
import { CliError } from "effect/cli"
import { SecurityStatus } from "@effect-sspi/core"

/**
 * A failure explained for people; `exitCode` as curl's where one applies
 * (default 1; 2 = usage).
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string; readonly exitCode?: number | undefined }> {
  override readonly [Runtime.errorReported] = false
  override get [Runtime.errorExitCode](): number {
    return this.exitCode ?? 1
  }
  override get [CliError.userMessage](): string {
    return this.message
  }
}

const hints: Readonly<Record<string, string>> = {
  SEC_E_LOGON_DENIED: "wrong user name or password",
  SEC_E_NO_CREDENTIALS: "no usable credentials",
  SEC_E_SECPKG_NOT_FOUND: "the security package is not installed",
  SEC_E_BAD_BINDINGS: "the channel bindings do not match (TLS interception?)",
  SEC_E_INVALID_TOKEN: "the peer sent an invalid token",
  SEC_E_TIME_SKEW: "the clocks of client and server differ too much"
}

/** Explains any failure: SSPI statuses by name (SecurityStatus.format), others by message. */
export const explain = (error: unknown): string => {
  if (Predicate.hasProperty(error, "code") && Predicate.isNumber(error.code) && SecurityStatus.nameOf(error.code) !== undefined) {
    const name = SecurityStatus.nameOf(error.code)!
    const detail = Predicate.hasProperty(error, "detail") && Predicate.isString(error.detail) ? ` — ${error.detail}` : ""
    const hint = hints[name]
    return `${hint !== undefined ? `${hint}: ` : ""}${SecurityStatus.format(error.code)}${detail}`
  }
  if (Predicate.hasProperty(error, "_tag") && error._tag === "HttpClientError" && Predicate.hasProperty(error, "reason")) {
    const reason = error.reason
    const cause = Predicate.hasProperty(reason, "cause") && Predicate.hasProperty(reason.cause, "message") ? `: ${String(reason.cause.message)}` : ""
    return `HTTP request failed (${Predicate.hasProperty(reason, "_tag") ? String(reason._tag) : "error"})${cause}`
  }
  if (Predicate.hasProperty(error, "message") && Predicate.isString(error.message) && error.message !== "") return error.message
  return String(error)
}

/** Turns every failure of `effect` into a {@link CliFailure}. */
export const explained = <A, E, R>(effect: Effect.Effect<A, E, R>, prefix?: string): Effect.Effect<A, CliFailure, R> =>
  Effect.mapError(effect, (error) =>
    error instanceof CliFailure ? error : new CliFailure({ message: `${prefix !== undefined ? `${prefix}: ` : ""}${explain(error)}` }))

/** A flag combination or value that cannot work: one line, exit 2 (as curl's usage errors). */
export const usage = (message: string): CliFailure => new CliFailure({ message, exitCode: 2 })
