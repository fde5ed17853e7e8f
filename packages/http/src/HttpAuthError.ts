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

/**
 * A handler asked for the caller's delegated credential
 * (`SspiServer.delegatedCredentials`) and there is none, so no back-end call
 * may be made as the user (map it to 403; never fall back to the server's own
 * identity):
 *
 * - `NotDelegated`: the client delegated nothing (no ASC_RET_DELEGATE: no
 *   forwardable TGT sent, or NTLM, which cannot delegate);
 * - `Unavailable`: the context that held it is gone (its connection closed)
 *   or the credential could not be acquired (`detail` says why).
 *
 * @since 0.2.0
 */
export class NoDelegatedCredential extends Schema.TaggedError<NoDelegatedCredential>()("NoDelegatedCredential", {
  reason: Schema.Literals(["NotDelegated", "Unavailable"]),
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}
