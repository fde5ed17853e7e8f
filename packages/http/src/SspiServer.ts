/**
 * Server middleware for effect's HTTP server: Negotiate / NTLM
 * authentication (RFC 4559 and NTLM over HTTP).
 *
 * Each connection holds at most one unfinished handshake (keyed by its
 * socket); it is deleted through deleteSecurityContextAsync when the
 * connection closes, so clients that vanish mid-handshake leak nothing.
 * Held handshakes are bounded per server, per client address and in time;
 * the oldest is shed first (see `ServerOptions.maxPendingHandshakes`). A
 * finished context is deleted when its request ends. Handlers read the
 * client from the {@link Principal} service. Bad or unexpected tokens are
 * answered with 401, never 500; a failure of the server's own back-end (a
 * shared replay cache or handshake store that cannot answer, an unreachable
 * domain controller: SEC_E_INTERNAL_ERROR, SEC_E_NO_AUTHENTICATING_AUTHORITY)
 * or a full one (SEC_E_INSUFFICIENT_MEMORY) with 503 and `Retry-After: 1`.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Exit, Layer, Schedule, Scope } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import {
  type ChannelBindings as CoreChannelBindings,
  type SecurityPackage,
  Credentials,
  Flags,
  SecurityContext,
  SecurityError,
  SecurityStatus,
  SspiRuntime
} from "@effect-sspi/core"
import {
  binding,
  format,
  parseAuthorization,
  sameScheme,
  type SchemeBinding,
  type SchemeInput
} from "./AuthHeader.ts"
import * as ChannelBindings from "./ChannelBindings.ts"
import { socketOf } from "./internal/nodeConnection.ts"
import * as SessionCookie from "./internal/sessionCookie.ts"
import type { SessionOptions } from "./Sessions.ts"
import { NoDelegatedCredential } from "./HttpAuthError.ts"
import { type Authenticated, type Connection, Connections, type Pending } from "./internal/serverConnections.ts"
import { identityFields, Principal, type PrincipalInfo } from "./Principal.ts"

type ChannelBindingsLevel = CoreChannelBindings.ExtendedProtection

/**
 * Server options.
 *
 * @since 0.1.0
 */
export interface ServerOptions {
  /**
   * The schemes offered in `WWW-Authenticate`, in order. Default:
   * `["Negotiate", "NTLM"]`, keeping those whose package is installed.
   */
  readonly schemes?: ReadonlyArray<SchemeInput> | undefined
  /** Inbound credential parameters per package (e.g. a keytab for Kerberos). */
  readonly credentials?: ((packageName: string) => { readonly principal?: string; readonly authData?: unknown }) | undefined
  /**
   * ASC_REQ_* bits; default CONNECTION. The protection attributes asked for
   * here (MUTUAL_AUTH, REPLAY_DETECT, SEQUENCE_DETECT, CONFIDENTIALITY,
   * INTEGRITY) are required: a handshake that does not grant them gets 401
   * (SEC_E_SECURITY_QOS_FAILED, see `SecurityContext.ContextOptions`).
   */
  readonly contextReq?: number | undefined
  /**
   * Extended Protection for Authentication on TLS connections
   * (tls-server-end-point bindings, RFC 5929), enforced by the packages
   * (NTLM's MsvAvChannelBindings, Kerberos' 0x8003 checksum) for every leg:
   * - `"off"`: no bindings are given to the packages, none are checked;
   * - `"whenSupported"` (default, as Windows Server 2025): a client that
   *   sends bindings must send the right ones; one that sends none is
   *   accepted;
   * - `"required"`: a client that sends none, or wrong ones, is refused
   *   (SEC_E_BAD_BINDINGS, 401).
   * Plain HTTP has no channel to bind to: nothing is checked there.
   */
  readonly extendedProtection?: ChannelBindingsLevel | undefined
  /** @deprecated use `extendedProtection`: `"none"` is `"off"`, `"auto"` the default. */
  readonly channelBindings?: "auto" | "none" | undefined
  /**
   * Bounds on unfinished handshakes held between legs (each costs a
   * security context): the oldest is shed (deleted, logged, counted in
   * `stats`) when a bound is reached. Defaults: 4,096 per server (about
   * 60 MiB of held contexts), 256 per client address (clients behind one
   * NAT or proxy share an address; an honest handshake is held for
   * milliseconds), 30 seconds since the last leg.
   */
  readonly maxPendingHandshakes?: number | undefined
  /** Held handshakes per client address (default 256); that address's oldest is shed first. */
  readonly maxPendingHandshakesPerClient?: number | undefined
  /** A held handshake is deleted this long after its last leg (default 30 s, `Clock` time). */
  readonly pendingHandshakeTimeout?: Duration.Input | undefined
  /**
   * The largest token accepted in an Authorization header, decoded
   * (default 65,536 bytes, above Windows' MaxTokenSize of 48,000 and
   * HTTP.sys' 64 KiB MaxFieldLength ceiling); larger ones get 401 without
   * reaching a package.
   */
  readonly maxTokenBytes?: number | undefined
  /**
   * Connection-bound authentication, as IIS: once a connection finished a
   * handshake, later requests on it without an Authorization header are the
   * same principal's (no new handshake), a request with one starts over, and
   * the context is deleted when the connection closes.
   * - `"ntlm"` (default): when the package that ran is NTLM (also inside
   *   Negotiate), as IIS (NTLM is connection-oriented by design);
   * - `"all"`: also Kerberos (as IIS' `authPersistNonNTLM`);
   * - `"none"`: every request needs its own handshake.
   *
   * Never behind a proxy that shares its upstream connections between
   * clients (nginx `keepalive`, HAProxy `http-reuse`): another client's
   * request on a pooled connection would be served as this principal (seen
   * with nginx in packages/cli/test/nginx.test.ts). Use `"none"` (with a
   * shared HandshakeStore, NTLM still works there) or session cookies.
   */
  readonly authenticatedConnections?: "ntlm" | "all" | "none" | undefined
  /**
   * Session cookies (as mod_auth_gssapi's `GssapiUseSessions`; see
   * `Sessions`): after a handshake the response sets an AES-256-GCM sealed
   * cookie (`HttpOnly`, `SameSite=Lax`; `Secure` and named `__Host-…` on
   * HTTPS, or always with `secure: true` behind a TLS-terminating proxy) that
   * authenticates later requests without Authorization, on any connection
   * and any node holding the key. A bad, expired or unknown-key cookie is
   * ignored (401 challenge). Requests authenticated by the cookie have no
   * delegated credential. Default: off.
   */
  readonly sessions?: SessionOptions | undefined
  /** Time-out of one acceptor leg; default 30 seconds. */
  readonly legTimeout?: Duration.Input | undefined
  /** Called after each acceptor leg (e.g. to print it). */
  readonly onLeg?: ((leg: ServerLeg) => Effect.Effect<void>) | undefined
}

/**
 * One acceptor leg, for display (never a secret).
 *
 * @since 0.1.0
 */
export interface ServerLeg {
  readonly scheme: string
  readonly packageName: string
  /** The status name, or the error's status name when the leg failed. */
  readonly status: string
  /** ASC_RET_* bits (0 when the leg failed). */
  readonly attributes: number
  readonly receivedTokenSize: number
  readonly sentTokenSize: number
}

/**
 * What the middleware reports about itself.
 *
 * @since 0.1.0
 */
export interface ServerStats {
  /** Connections holding an unfinished handshake. */
  readonly pendingHandshakes: number
  /** Connections kept authenticated by a finished handshake (`authenticatedConnections`). */
  readonly authenticatedConnections: number
  /** Client addresses holding one. */
  readonly pendingClients: number
  /** Pending handshakes shed since start, by reason (server bound, per-client bound, time-out). */
  readonly shed: { readonly capacity: number; readonly perClient: number; readonly timedOut: number }
}

/**
 * The authenticator behind the middleware.
 *
 * @since 0.1.0
 */
export interface AuthenticatorService {
  /** The schemes offered, in order. */
  readonly schemes: ReadonlyArray<SchemeBinding>
  /** Wraps an app: requests without a finished handshake get 401. */
  readonly authenticate: <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ) => Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    E,
    Exclude<R, Principal> | HttpServerRequest.HttpServerRequest
  >
  readonly stats: Effect.Effect<ServerStats>
}

/**
 * The authenticator service.
 *
 * @since 0.1.0
 */
export class Authenticator extends Context.Service<Authenticator, AuthenticatorService>()(
  "@effect-sspi/http/SspiServer/Authenticator"
) {}

type DelegatedCredential = SecurityPackage.ContextAttributes["DelegatedCredential"]

/**
 * The delegated credential of each principal the middleware authenticated
 * by a handshake (keyed by the Principal object it provides, so it lives as
 * long as the request or the authenticated connection that holds it).
 */
const delegations = new WeakMap<PrincipalInfo, Effect.Effect<DelegatedCredential, NoDelegatedCredential>>()

/**
 * The credential the current request's caller delegated (Kerberos: its
 * forwarded TGT), as `{ packageName, authData }` for an OUTBOUND credential:
 * give it to `SspiClient.delegated` to call a back-end as the user (double
 * hop). Fails with {@link NoDelegatedCredential} when there is none (map it
 * to 403): `NotDelegated` when the client delegated nothing, `Unavailable`
 * when the principal came from a session cookie or its context is gone. A
 * back-end must never be called with the server's own identity instead.
 *
 * @since 0.2.0
 */
export const delegated: Effect.Effect<DelegatedCredential, NoDelegatedCredential, Principal> = Principal.use((p) =>
  delegations.get(p) ??
    Effect.fail(new NoDelegatedCredential({ reason: "Unavailable", detail: "no handshake context behind this principal (e.g. a session cookie)" }))
)

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

type Outcome =
  | {
    readonly _tag: "Rejected"
    /** The server, not the client, failed (a back-end such as Redis or the DC did not answer): 503. */
    readonly unavailable?: boolean
  }
  | { readonly _tag: "Continue"; readonly binding: SchemeBinding; readonly token: Uint8Array | undefined }
  | {
    readonly _tag: "Done"
    readonly pending: Pending
    readonly principal: PrincipalInfo
    readonly token: Uint8Array | undefined
    /** The context's lifespan end (the final leg's expiry, ms since the epoch): a kept connection ends there. */
    readonly expiry: number
    /** The package that ran (inside Negotiate, the negotiated one). */
    readonly negotiated: string
  }

const rejected: Outcome = { _tag: "Rejected" }
const orRejected = (outcome: Outcome | undefined): Outcome => outcome ?? rejected
const unavailable: Outcome = { _tag: "Rejected", unavailable: true }

/**
 * Failures that are the server's, not the client's: a shared replay cache or
 * handshake store that cannot answer, a domain controller that is
 * unreachable, a leg that timed out. A 401 would make a browser ask its user
 * for a password again; 503 with Retry-After says to come back.
 */
const serverSide = (status: SecurityStatus.StatusName | undefined): boolean =>
  status === "SEC_E_INTERNAL_ERROR" || status === "SEC_E_NO_AUTHENTICATING_AUTHORITY" ||
  // a replay cache or handshake store that is full (the packages refuse oversized client input
  // before it reaches either, with SEC_E_INVALID_TOKEN)
  status === "SEC_E_INSUFFICIENT_MEMORY"

/** A count bound: at least 1 (Infinity allowed); anything else (NaN, undefined) is the default. */
const bound = (value: number | undefined, fallback: number): number =>
  value === undefined || Number.isNaN(value) ? fallback : Math.max(1, Math.floor(value))

/**
 * Whether a token starts a handshake: an NTLM NEGOTIATE_MESSAGE, or a GSS
 * InitialContextToken ([APPLICATION 0], SPNEGO NegTokenInit or Kerberos
 * AP-REQ). Continuation tokens (NTLM CHALLENGE/AUTHENTICATE, SPNEGO
 * NegTokenResp) are not.
 */
const isInitialToken = (token: Uint8Array): boolean =>
  token[0] === 0x60 ||
  (token.length >= 12 && Buffer.from(token.subarray(0, 8)).toString("latin1") === "NTLMSSP\0" && token[8] === 1)

interface Acquired {
  readonly binding: SchemeBinding
  readonly credentials: Credentials.Credentials
}

/**
 * Builds the authenticator: acquires one inbound credential per scheme for
 * the scope's lifetime.
 *
 * @since 0.1.0
 */
export const make = (
  options: ServerOptions = {}
): Effect.Effect<AuthenticatorService, SecurityError.SspiError, SspiRuntime.SspiRuntime | Scope.Scope> =>
  Effect.gen(function*() {
    const explicit = options.schemes !== undefined
    const acquired: Array<Acquired> = []
    for (const input of options.schemes ?? ["Negotiate", "NTLM"]) {
      const b = binding(input)
      const extra = options.credentials?.(b.packageName) ?? {}
      const credentials = yield* Credentials.acquire({
        packageName: b.packageName,
        credentialUse: Flags.CredentialUse.INBOUND,
        ...(extra.principal !== undefined ? { principal: extra.principal } : {}),
        ...(extra.authData !== undefined ? { authData: extra.authData } : {})
      }).pipe(
        Effect.map((c): Credentials.Credentials | undefined => c),
        // Default schemes: skip packages that are not installed.
        Effect.catchTag("SecpkgNotFound", (e) => explicit ? Effect.fail(e) : Effect.succeed(undefined))
      )
      if (credentials !== undefined) acquired.push({ binding: b, credentials })
    }
    if (acquired.length === 0) {
      return yield* new SecurityError.SecpkgNotFound({ detail: "none of the HTTP authentication packages is installed" })
    }
    const schemes = acquired.map((a) => a.binding)
    const offer = schemes.map((s) => s.scheme).join(", ")
    const legTimeout = options.legTimeout ?? Duration.seconds(30)
    const contextReq = options.contextReq ?? Flags.AscReq.CONNECTION
    const extendedProtection: ChannelBindingsLevel = options.extendedProtection ??
      (options.channelBindings === "none" ? "off" : "whenSupported")
    const maxTokenBytes = options.maxTokenBytes ?? 65_536
    const pendingTimeout = Duration.fromInputUnsafe(options.pendingHandshakeTimeout ?? Duration.seconds(30))
    const services = yield* Effect.context<SspiRuntime.SspiRuntime>()
    const connections = new Connections((effect) => {
      Effect.runForkWith(services)(effect)
    }, {
      max: bound(options.maxPendingHandshakes, 4_096),
      maxPerClient: bound(options.maxPendingHandshakesPerClient, 256),
      timeoutMs: Duration.toMillis(pendingTimeout)
    })
    yield* Effect.addFinalizer(() => connections.dropAll)
    // held handshakes past their time-out are deleted even when no new one arrives (Clock time)
    yield* Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => connections.sweep(now)),
      Effect.repeat(Schedule.spaced(Duration.max(Duration.millis(10), Duration.divideUnsafe(pendingTimeout, 2)))),
      Effect.forkScoped
    )

    const unauthorized = (challenge: string = offer) =>
      HttpServerResponse.text("Unauthorized", { status: 401, headers: { "www-authenticate": challenge } })

    /** The acceptor's options without channel bindings (plain HTTP, or `extendedProtection: "off"`): made once. */
    const plainOptions: SecurityContext.ContextOptions = { contextReq, extendedProtection }

    const begin = (connection: Connection, a: Acquired): Effect.Effect<Pending, never, SspiRuntime.SspiRuntime> =>
      Effect.flatMap(Scope.make(), (scope) => {
        const cert = extendedProtection === "off" ? undefined : connection.certificate
        const contextOptions = cert === undefined
          ? plainOptions
          : { ...plainOptions, extraInput: [ChannelBindings.fromCertificate(cert)] }
        return Effect.map(
          SecurityContext.acceptor(a.credentials, contextOptions).pipe(Scope.provide(scope)),
          (context): Pending => ({ binding: a.binding, context, scope })
        )
      })

    const legTimedOut = () => Effect.fail(new SecurityError.InternalError({ detail: "the acceptor leg timed out" }))
    const onLeg = options.onLeg
    /** Reports a leg to `onLeg` (only called when it is set). */
    const reportLeg = (onLeg: NonNullable<ServerOptions["onLeg"]>, pending: Pending, token: Uint8Array) =>
      (exit: Exit.Exit<SecurityContext.Step, SecurityError.SspiError>) => {
        const ok = Exit.isSuccess(exit)
        return onLeg({
          scheme: pending.binding.scheme,
          packageName: pending.binding.packageName,
          status: ok ? exit.value.status : SecurityStatus.nameOf(SecurityStatus.fromExit(exit)) ?? "SEC_E_INTERNAL_ERROR",
          attributes: ok ? exit.value.attributes : 0,
          receivedTokenSize: token.length,
          sentTokenSize: ok ? exit.value.token?.length ?? 0 : 0
        })
      }
    const noName = () => Effect.succeed({ userName: "" })
    const noLogon = () => Effect.succeed({ identity: undefined })

    /**
     * The principal of a finished handshake: its names, logon identity (once
     * per handshake: it rides on the Principal) and the negotiated package,
     * in one chain of queries (no `Effect.all`).
     */
    const finished = (pending: Pending, step: SecurityContext.Step): Effect.Effect<Outcome, never, SspiRuntime.SspiRuntime> => {
      const query = pending.context.query
      return Effect.flatMap(Effect.catch(query("Names"), noName), (names) =>
        Effect.flatMap(Effect.catch(query("LogonInfo"), noLogon), (logon) =>
          Effect.map(
            Effect.match(query("NegotiationInfo"), {
              onFailure: () => pending.binding.packageName,
              onSuccess: (n) => n.packageInfo.name
            }),
            (negotiated): Outcome => ({
              _tag: "Done",
              pending,
              token: step.token,
              expiry: step.expiry,
              negotiated,
              principal: {
                name: names.userName,
                scheme: pending.binding.scheme,
                packageName: pending.binding.packageName,
                attributes: step.attributes,
                ...identityFields(logon.identity)
              }
            })
          )))
    }

    /**
     * One leg on `pending`; it is released on failure. It runs
     * uninterruptibly but for the step itself (`restore`): an interrupted
     * step (the client went away) is a failure like any other, so the
     * context is always either held, handed on, or released.
     */
    const leg = (
      connection: Connection,
      pending: Pending,
      token: Uint8Array,
      restore: Restore
    ): Effect.Effect<Outcome | undefined, never, SspiRuntime.SspiRuntime> =>
      Effect.exit(Effect.timeoutOrElse(restore(pending.context.step(token)), { duration: legTimeout, orElse: legTimedOut })).pipe(
        (exit) => onLeg === undefined ? exit : Effect.tap(exit, reportLeg(onLeg, pending, token)),
        Effect.flatMap((exit): Effect.Effect<Outcome | undefined, never, SspiRuntime.SspiRuntime> => {
          if (Exit.isFailure(exit)) {
            const failed = serverSide(SecurityStatus.nameOf(SecurityStatus.fromExit(exit))) ? unavailable : undefined
            return Effect.as(Scope.close(pending.scope, Exit.void), failed)
          }
          const step = exit.value
          if (!step.done) {
            return Effect.as(Effect.flatMap(Clock.currentTimeMillis, (now) => connections.hold(connection, pending, now)), {
              _tag: "Continue",
              binding: pending.binding,
              token: step.token
            })
          }
          return finished(pending, step)
        })
      )

    /** Runs uninterruptibly (see `leg`); `restore` makes the step interruptible. */
    const handshake = (
      connection: Connection,
      a: Acquired,
      token: Uint8Array,
      restore: Restore
    ): Effect.Effect<Outcome, never, SspiRuntime.SspiRuntime> =>
      Effect.suspend(() => {
        const held = connections.take(connection)
        // A held handshake goes on, unless the client starts over (other scheme, or an initial token).
        if (held !== undefined && sameScheme(held.binding.scheme, a.binding.scheme) && !isInitialToken(token)) {
          return Effect.map(leg(connection, held, token, restore), orRejected)
        }
        const fresh = Effect.suspend(() =>
          connection.closed
            ? Effect.succeed(rejected)
            : Effect.map(Effect.flatMap(begin(connection, a), (pending) => leg(connection, pending, token, restore)), orRejected)
        )
        return held === undefined ? fresh : Effect.andThen(Scope.close(held.scope, Exit.void), fresh)
      })

    const persist = options.authenticatedConnections ?? "ntlm"
    const keeps = (negotiated: string) => persist === "all" || (persist === "ntlm" && negotiated === "NTLM")

    const cookieProblem = options.sessions === undefined ? undefined : SessionCookie.problem(SessionCookie.settings(options.sessions))
    if (cookieProblem !== undefined) {
      return yield* new SecurityError.InvalidParameter({ detail: `sessions: ${cookieProblem}` })
    }
    const sessions = options.sessions === undefined ? undefined : {
      keys: options.sessions.keys,
      cookie: SessionCookie.settings(options.sessions),
      maxAgeMs: Duration.toMillis(Duration.fromInputUnsafe(options.sessions.maxAge ?? Duration.hours(1)))
    }

    /** Sets the session cookie of a finished handshake on the response (`sessions` set). */
    const setSessionCookie = (connection: Connection, outcome: Extract<Outcome, { _tag: "Done" }>) =>
      Effect.gen(function*() {
        if (sessions === undefined) return
        const now = yield* Clock.currentTimeMillis
        // never past the context's own lifetime (a Kerberos ticket's end time: the final leg's
        // expiry, as a kept connection uses); an unknown end (NaN) sets no cookie
        const expiry = Math.min(now + sessions.maxAgeMs, outcome.expiry)
        if (!(expiry > now)) return
        const value = SessionCookie.seal(sessions.keys.current, { principal: outcome.principal, expiry })
        const cookie = SessionCookie.cookieFor(sessions.cookie, connection.certificate !== undefined)
        if (!SessionCookie.fits(cookie.name, value)) {
          // a user in very many groups: a browser would drop the cookie silently
          return yield* Effect.logWarning(
            `session cookie not set: ${cookie.name.length + 1 + value.length} bytes for ${outcome.principal.name} ` +
              `(${outcome.principal.groupSids?.length ?? 0} groups) is over the ${SessionCookie.MAX_COOKIE_BYTES} bytes browsers keep`
          )
        }
        yield* HttpEffect.appendPreResponseHandler((_, response) =>
          Effect.succeed(HttpServerResponse.setCookieUnsafe(response, cookie.name, value, {
            ...cookie.attributes,
            maxAge: Duration.millis(expiry - now)
          }))
        )
      })

    /** The delegated credential of `context`, whose handshake granted `attributes`. */
    const delegationOf = (context: SecurityContext.SecurityContext, attributes: number) =>
      (attributes & Flags.AscRet.DELEGATE) === 0
        // built when the app asks, not for every request (an error's stack trace and schema check cost ~3% of a Kerberos request)
        ? Effect.suspend(() => Effect.fail(new NoDelegatedCredential({ reason: "NotDelegated", detail: "the client delegated no credential" })))
        : context.query("DelegatedCredential").pipe(
          Effect.mapError((e) =>
            new NoDelegatedCredential({
              reason: e._tag === "NoCredentials" ? "NotDelegated" : "Unavailable",
              detail: `${e._tag}: ${e.message}`
            })
          ),
          Effect.provideContext(services)
        )

    /** Runs `app` as `principal`, whose context is `context` (none for a session cookie). */
    const runAs = <E, R>(
      app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
      principal: PrincipalInfo,
      context: SecurityContext.SecurityContext | undefined
    ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, Exclude<R, Principal>> => {
      if (context !== undefined && !delegations.has(principal)) delegations.set(principal, delegationOf(context, principal.attributes))
      return Effect.provideService(app, Principal, principal) as Effect.Effect<HttpServerResponse.HttpServerResponse, E, Exclude<R, Principal>>
    }

    /**
     * The app's response for a finished handshake: the session cookie (when
     * `sessions` is set), then the final token (mutual authentication),
     * both through pre-response handlers since the app sends its own
     * response (effect 4), then the app as the principal.
     */
    const respondAs = <E, R>(
      app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
      connection: Connection,
      outcome: Extract<Outcome, { _tag: "Done" }>
    ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, Exclude<R, Principal> | HttpServerRequest.HttpServerRequest> => {
      const final = outcome.token
      const run = runAs(app, outcome.principal, outcome.pending.context)
      const withToken = final === undefined ? run : Effect.andThen(
        HttpEffect.appendPreResponseHandler((_, response) =>
          Effect.succeed(HttpServerResponse.setHeader(response, "www-authenticate", format(outcome.principal.scheme, final)))
        ),
        run
      )
      return sessions === undefined ? withToken : Effect.andThen(setSessionCookie(connection, outcome), withToken)
    }

    const authenticate = <E, R>(
      app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
    ): Effect.Effect<
      HttpServerResponse.HttpServerResponse,
      E,
      Exclude<R, Principal> | HttpServerRequest.HttpServerRequest
    > =>
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const socket = socketOf(request)
        const connection = socket === undefined ? undefined : connections.of(socket)
        if (connection !== undefined) {
          if (request.headers["authorization"] === undefined) {
            // an authenticated connection: no handshake (IIS's connection-bound authentication)
            const kept = connection.authenticated as Authenticated<PrincipalInfo> | undefined
            if (kept !== undefined && !connection.closed) return yield* runAs(app, kept.principal, kept.context)
          } else {
            // A new Authorization header starts over (IIS re-authenticates the connection with
            // every Authorization header); a failed new handshake leaves nobody authenticated.
            yield* connections.forget(connection)
          }
        }
        if (sessions !== undefined && request.headers["authorization"] === undefined) {
          const cookie = request.cookies[SessionCookie.cookieFor(sessions.cookie, connection?.certificate !== undefined).name]
          const principal = cookie === undefined ? undefined : SessionCookie.open(sessions.keys, cookie, yield* Clock.currentTimeMillis)
          if (principal !== undefined) return yield* runAs(app, principal, undefined)
        }
        const credentials = parseAuthorization(request.headers["authorization"], maxTokenBytes)
        const a = credentials === undefined
          ? undefined
          : acquired.find((x) => sameScheme(x.binding.scheme, credentials.scheme))
        if (credentials === undefined || a === undefined || credentials.token === undefined || connection === undefined) {
          if (connection !== undefined && credentials !== undefined) yield* connections.drop(connection)
          return unauthorized()
        }
        const token = credentials.token
        // From the leg's end until a finished context's release is in place
        // nothing may be interrupted, or a client that disconnects at the
        // wrong moment would leave a context nobody deletes.
        return yield* Effect.uninterruptibleMask((restore) =>
          connection.lock.withPermits(1)(handshake(connection, a, token, restore)).pipe(
            Effect.provideContext(services),
            Effect.flatMap((outcome) => {
              switch (outcome._tag) {
                case "Rejected":
                  return Effect.succeed(
                    outcome.unavailable === true
                      ? HttpServerResponse.text("Service Unavailable: the authentication back-end did not answer", {
                        status: 503,
                        headers: { "retry-after": "1" }
                      })
                      : unauthorized()
                  )
                case "Continue":
                  return Effect.succeed(unauthorized(format(outcome.binding.scheme, outcome.token)))
                case "Done":
                  return restore(respondAs(app, connection, outcome)).pipe(Effect.ensuring(
                    keeps(outcome.negotiated)
                      ? connections.keep(connection, {
                        principal: outcome.principal,
                        context: outcome.pending.context,
                        scope: outcome.pending.scope,
                        expiry: outcome.expiry
                      })
                      : Scope.close(outcome.pending.scope, Exit.void)
                  ))
              }
            })
          )
        )
      })

    return {
      schemes,
      authenticate,
      stats: Effect.sync(() => ({
        pendingHandshakes: connections.pendingCount,
        pendingClients: connections.pendingClients,
        authenticatedConnections: connections.authenticatedCount,
        shed: { ...connections.shed }
      }))
    }
  })

/**
 * The {@link Authenticator} as a layer.
 *
 * @since 0.1.0
 */
export const layer = (
  options: ServerOptions = {}
): Layer.Layer<Authenticator, SecurityError.SspiError, SspiRuntime.SspiRuntime> =>
  Layer.effect(Authenticator, make(options))

/**
 * The middleware, for `HttpServer.serve(app, SspiServer.middleware)`:
 * handlers may require {@link Principal}.
 *
 * @since 0.1.0
 */
export const middleware = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  E,
  Exclude<R, Principal> | HttpServerRequest.HttpServerRequest | Authenticator
> => Authenticator.use((authenticator) => authenticator.authenticate(app))

/**
 * The middleware's stats.
 *
 * @since 0.1.0
 */
export const stats: Effect.Effect<ServerStats, never, Authenticator> = Authenticator.use((a) => a.stats)
