/**
 * Client middleware for effect's HttpClient: answers `401` challenges
 * `WWW-Authenticate: Negotiate` / `NTLM` (RFC 4559, NTLM over HTTP).
 *
 * A request goes out through the wrapped client as is. When the answer is a
 * 401 offering a scheme the client speaks, the middleware opens a pinned
 * connection ({@link Connector}), acquires the credential, creates the
 * security context (with tls-server-end-point channel bindings on HTTPS)
 * and runs every leg over that one connection. Credential, context and
 * connection are scoped to the request: nothing is cached. The final
 * response is read into memory before the connection closes, so the
 * request body must be replayable (not a one-shot stream).
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Redacted } from "effect"
import { HttpClient, type HttpClientError, HttpClientRequest, HttpClientResponse } from "effect/http"
import {
  Credentials,
  Flags,
  SecurityContext,
  SecurityError,
  type SecurityPackage,
  type SspiRuntime
} from "@effect-sspi/core"
import {
  binding,
  type Challenge,
  format,
  parseChallenges,
  sameScheme,
  type SchemeBinding,
  type SchemeInput
} from "./AuthHeader.ts"
import * as ChannelBindings from "./ChannelBindings.ts"
import { type Connection, Connector } from "./Connector.ts"
import { HttpAuthError } from "./HttpAuthError.ts"

/**
 * Outbound credential parameters for a package.
 *
 * @since 0.1.0
 */
export interface ClientCredentials {
  readonly principal?: string
  /** Package-specific authentication data (e.g. NtlmAuthData). */
  readonly authData?: unknown
}

/**
 * Credentials from a caller's delegated credential (`SspiServer.delegated`),
 * to call a back-end as that user (double hop): Kerberos gets it as is,
 * Negotiate as its Kerberos mechanism's (and nothing for NTLM, which cannot
 * be delegated); any other package gets none, so its acquisition fails
 * (never the server's own identity).
 *
 * @since 0.2.0
 */
export const delegated = (
  credential: SecurityPackage.ContextAttributes["DelegatedCredential"]
) =>
(packageName: string): ClientCredentials =>
  packageName === credential.packageName
    ? { authData: credential.authData }
    : packageName === "Negotiate" && credential.packageName === "Kerberos"
    ? { authData: { kerberos: credential.authData, ntlm: noCredential } }
    : { authData: noCredential }

/** Authentication data no package accepts. */
const noCredential = Object.freeze({ delegatedCredentialUnavailable: true })

/**
 * One handshake leg as the client saw it, for display (never a secret).
 *
 * @since 0.1.0
 */
export interface ClientLeg {
  readonly scheme: string
  readonly packageName: string
  readonly status: SecurityPackage.HandshakeStatus
  /** ISC_RET_* bits. */
  readonly attributes: number
  /** Size of the token received from the server (0 on the first leg). */
  readonly receivedTokenSize: number
  /** Size of the token sent (0 for none). */
  readonly sentTokenSize: number
  /** HTTP status of the response to this leg (undefined when nothing was sent). */
  readonly httpStatus: number | undefined
}

/**
 * Client options.
 *
 * @since 0.1.0
 */
export interface ClientOptions {
  /** The schemes the client answers, in preference order; default `["Negotiate", "NTLM"]`. */
  readonly schemes?: ReadonlyArray<SchemeInput> | undefined
  /** Who the client is, per package. */
  readonly credentials: ClientCredentials | ((packageName: string) => ClientCredentials)
  /** The service principal; default `HTTP/<host name>`. */
  readonly targetName?: ((url: URL) => string) | undefined
  /** ISC_REQ_* bits; default CONNECTION. */
  readonly contextReq?: number | undefined
  /**
   * Delegation policy of the context (core's `ContextOptions.delegation`):
   * `"always"` forwards the user's TGT (as curl's `--delegation always`),
   * `"policy"` when the realm marks the service OK-AS-DELEGATE, `"none"`
   * never. Unset: ISC_REQ_DELEGATE in `contextReq` means `"policy"`.
   */
  readonly delegation?: SecurityPackage.DelegationPolicy | undefined
  /** Send tls-server-end-point channel bindings on HTTPS; default `true`. */
  readonly channelBindings?: boolean | undefined
  /** Time-out of one leg (the package step and the HTTP exchange); default 30 seconds. */
  readonly legTimeout?: Duration.Input | undefined
  /** Maximum number of legs; default 8. */
  readonly maxLegs?: number | undefined
  /** Called after each leg (e.g. to print it). */
  readonly onLeg?: ((leg: ClientLeg) => Effect.Effect<void>) | undefined
}

/**
 * Credentials from a user name and a password for packages that take
 * SEC_WINNT_AUTH_IDENTITY-style data (NTLM, Negotiate): `DOMAIN\user`,
 * `user@domain` or `user`.
 *
 * @since 0.1.0
 */
export const password = (user: string, secret: Redacted.Redacted<string>): ClientCredentials => {
  const slash = user.indexOf("\\")
  const at = user.lastIndexOf("@")
  const [domain, name] = slash >= 0
    ? [user.slice(0, slash), user.slice(slash + 1)]
    : at >= 0
    ? [user.slice(at + 1), user.slice(0, at)]
    : ["", user]
  return { authData: { user: name, domain, password: secret } }
}

/**
 * The errors the middleware adds.
 *
 * @since 0.1.0
 */
export type ClientError = SecurityError.SspiError | HttpAuthError | HttpClientError.HttpClientError

const drain = (response: HttpClientResponse.HttpClientResponse) => Effect.ignore(response.arrayBuffer)

const challengeFor = (response: HttpClientResponse.HttpClientResponse, scheme: string): Challenge | undefined =>
  parseChallenges(response.headers["www-authenticate"]).find((c) => sameScheme(c.scheme, scheme))

const nullBody = new Set([101, 204, 205, 304])

/** Reads the response fully, so that it outlives its connection. */
const buffered = (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.arrayBuffer, (body) => {
    const headers = new globalThis.Headers()
    for (const [key, value] of Object.entries(response.headers)) headers.append(key, value)
    return HttpClientResponse.fromWeb(
      request,
      new globalThis.Response(nullBody.has(response.status) ? null : body, { status: response.status, headers })
    )
  })

const urlOf = (request: HttpClientRequest.HttpClientRequest): URL | undefined => {
  try {
    return new URL(request.url)
  } catch {
    return undefined
  }
}

/**
 * Runs the handshake for `request` over a pinned connection.
 *
 * @since 0.1.0
 */
export const authenticateRequest = (
  request: HttpClientRequest.HttpClientRequest,
  scheme: SchemeBinding,
  options: ClientOptions
): Effect.Effect<HttpClientResponse.HttpClientResponse, ClientError, SspiRuntime.SspiRuntime | Connector> =>
  Effect.scoped(Effect.gen(function*() {
    const legTimeout = options.legTimeout ?? Duration.seconds(30)
    const maxLegs = options.maxLegs ?? 8
    const timed = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string) =>
      Effect.timeoutOrElse(effect, {
        duration: legTimeout,
        orElse: () => Effect.fail(new HttpAuthError({ reason: "Timeout", detail: `${what} timed out` }))
      })
    const connection: Connection = yield* Connector.use((c) => c.open)
    const send = (r: HttpClientRequest.HttpClientRequest) =>
      timed(connection.client.execute(r), "the HTTP exchange").pipe(
        Effect.tap(() =>
          connection.connectionsOpened() > 1
            ? Effect.fail(
              new HttpAuthError({ reason: "ConnectionChanged", detail: "the server closed the connection mid-handshake" })
            )
            : Effect.void
        )
      )
    const url = urlOf(request)
    const given = typeof options.credentials === "function"
      ? options.credentials(scheme.packageName)
      : options.credentials
    const credentials = yield* Credentials.acquire({
      packageName: scheme.packageName,
      credentialUse: Flags.CredentialUse.OUTBOUND,
      ...(given.principal !== undefined ? { principal: given.principal } : {}),
      ...(given.authData !== undefined ? { authData: given.authData } : {})
    })
    // On HTTPS the bindings need the server certificate: connect first.
    const wantBindings = options.channelBindings !== false && url?.protocol === "https:"
    if (wantBindings && connection.peerCertificate() === undefined) {
      const probe = yield* send(request)
      if (probe.status !== 401) return yield* buffered(request, probe)
      yield* drain(probe)
    }
    const certificate = wantBindings ? connection.peerCertificate() : undefined
    const context = yield* SecurityContext.initiator(credentials, {
      targetName: options.targetName?.(url ?? new URL("http://localhost")) ?? `HTTP/${url?.hostname ?? "localhost"}`,
      contextReq: options.contextReq ?? Flags.IscReq.CONNECTION,
      ...(options.delegation !== undefined ? { delegation: options.delegation } : {}),
      ...(certificate !== undefined ? { extraInput: [ChannelBindings.fromCertificate(certificate)] } : {})
    })
    let input: Uint8Array | undefined
    for (let legs = 0; legs < maxLegs; legs++) {
      const step = yield* timed(context.step(input), "the security package")
      const leg = {
        scheme: scheme.scheme,
        packageName: scheme.packageName,
        status: step.status,
        attributes: step.attributes,
        receivedTokenSize: input?.length ?? 0,
        sentTokenSize: step.token?.length ?? 0
      }
      if (step.token === undefined) {
        yield* options.onLeg?.({ ...leg, httpStatus: undefined }) ?? Effect.void
        return yield* new SecurityError.InvalidToken({ detail: "the package produced no token to send" })
      }
      const response = yield* send(HttpClientRequest.setHeader(request, "authorization", format(scheme.scheme, step.token)))
      yield* options.onLeg?.({ ...leg, httpStatus: response.status }) ?? Effect.void
      const challenge = challengeFor(response, scheme.scheme)
      if (challenge !== undefined && challenge.rest !== "" && challenge.token === undefined) {
        yield* drain(response)
        return yield* new HttpAuthError({ reason: "BadChallenge", detail: "the server's token is not base64" })
      }
      if (response.status === 401) {
        yield* drain(response)
        if (challenge?.token === undefined || step.done) {
          // Negotiate's fall-back stays visible: why the mechanism that failed was used at all
          const info = yield* Effect.option(context.query("NegotiationInfo"))
          const fallback = Option.isSome(info) ? info.value.fallback ?? [] : []
          const why = fallback.length === 0 || Option.isNone(info)
            ? ""
            : `; ${info.value.packageInfo.name} was used because ${
              fallback.map((f) => `${f.packageName} failed: ${f.status}${f.detail === undefined ? "" : `: ${f.detail}`}`).join("; ")
            }`
          return yield* new SecurityError.LogonDenied({ detail: `the server answered 401 to the final token${why}` })
        }
        input = challenge.token
        continue
      }
      // A final token (mutual authentication) completes the client side.
      if (challenge?.token !== undefined && !context.established()) {
        const last = yield* timed(context.step(challenge.token), "the security package")
        yield* options.onLeg?.({
          ...leg,
          status: last.status,
          attributes: last.attributes,
          receivedTokenSize: challenge.token.length,
          sentTokenSize: 0,
          httpStatus: undefined
        }) ?? Effect.void
      }
      // mutual authentication asked for and not completed: the server has not proven itself
      if (((options.contextReq ?? 0) & Flags.IscReq.MUTUAL_AUTH) !== 0 && !context.established()) {
        return yield* new SecurityError.MutualAuthFailed({ detail: "the server did not complete mutual authentication" })
      }
      return yield* buffered(request, response)
    }
    return yield* new HttpAuthError({ reason: "TooManyLegs", detail: `no answer after ${maxLegs} legs` })
  }))

/**
 * The middleware: wraps a client so that it answers authentication
 * challenges.
 *
 * @since 0.1.0
 */
export const withAuthentication = (options: ClientOptions) =>
<E, R>(
  self: HttpClient.HttpClient.With<E, R>
): HttpClient.HttpClient.With<E | ClientError, R | SspiRuntime.SspiRuntime | Connector> => {
  const schemes = (options.schemes ?? ["Negotiate", "NTLM"]).map(binding)
  return HttpClient.transform(self, (effect, request) =>
    Effect.flatMap(effect, (response) => {
      if (response.status !== 401) return Effect.succeed(response)
      const offered = parseChallenges(response.headers["www-authenticate"])
      const scheme = schemes.find((s) => offered.some((c) => sameScheme(c.scheme, s.scheme)))
      if (scheme === undefined) return Effect.succeed(response)
      return Effect.andThen(drain(response), authenticateRequest(request, scheme, options))
    }))
}
