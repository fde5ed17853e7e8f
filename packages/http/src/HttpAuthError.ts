/**
 * The HTTP-level failures of an authenticated exchange (the SSPI failures
 * themselves are the typed errors of `@effect-sspi/core`'s SecurityError).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why an authenticated exchange failed outside the security package:
 *
 * - `ConnectionChanged`: the server closed the connection between legs (a
 *   connection-bound handshake such as NTLM cannot go on over a new one).
 * - `TooManyLegs`: the handshake did not finish within the leg limit.
 * - `BadChallenge`: the server's `WWW-Authenticate` token is not base64.
 * - `Timeout`: one leg took longer than the configured time-out.
 *
 * `detail` never holds a secret.
 *
 * @since 0.1.0
 */
export class HttpAuthError extends Schema.TaggedError<HttpAuthError>()("HttpAuthError", {
  reason: Schema.Literals(["ConnectionChanged", "TooManyLegs", "BadChallenge", "Timeout"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}
