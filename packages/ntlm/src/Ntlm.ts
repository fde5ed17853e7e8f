/**
 * The NTLM security package: NTLMv2 with extended session security, key
 * exchange, 128-bit keys, MIC and channel bindings; NTLMv1 only when a
 * credential turns it on.
 *
 * @since 0.1.0
 */
import { hostname } from "node:os"
import { Clock, Duration, Effect, Option, Redacted } from "effect"
import { type ChannelBindings, Flags, HandshakeStore, RandomBytes, SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { accept, acceptNested, type NestedStep } from "./internal/accept.ts"
import { namePairs, type ServerNames } from "./internal/acceptor.ts"
import { OutstandingChallenges } from "./internal/challenges.ts"
import { MAX_OUTER } from "./internal/handshakeState.ts"
import { initialize } from "./internal/initiator.ts"
import { type AcceptorPolicy, type MinimumSecurity, normaliseSpn, type TargetNameValidation } from "./internal/policy.ts"
import { lmowfv1, ntowfv1, ntowfv2 } from "./internal/owf.ts"
import { protection } from "./internal/protection.ts"
import { type NtlmContext, type NtlmCredential, sessionOf, wipeContext } from "./internal/state.ts"
import { DomainVerifier } from "./DomainVerifier.ts"
import { UserStore } from "./UserStore.ts"

/**
 * The authentication data of AcquireCredentialsHandle for NTLM: a user with
 * a password or an NT hash (outbound), and/or a user store (inbound; the
 * package's store when absent).
 *
 * @since 0.1.0
 */
export interface NtlmAuthData {
  readonly user?: string
  readonly domain?: string
  readonly workstation?: string
  readonly password?: Redacted.Redacted<string>
  /** NTOWFv1 (16 bytes), instead of a password. */
  readonly ntHash?: Redacted.Redacted<Uint8Array>
  /** Allows NTLMv1/LM: the initiator sends NTLMv1 responses; the acceptor accepts them. Off by default. */
  readonly allowNtlmV1?: boolean
  readonly userStore?: UserStore["Service"]
  /** Inbound: NTLMv2 verified by this domain instead of the user store (the package's verifier when absent). */
  readonly domainVerifier?: DomainVerifier["Service"]
}

/**
 * Windows' NtlmMinServerSec bits as booleans: `require128`
 * (NTLMSSP_NEGOTIATE_128) and `requireNtlmv2SessionSecurity`
 * (NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY).
 *
 * @since 0.2.0
 */
export type { MinimumSecurity } from "./internal/policy.ts"

/**
 * Windows' "Server SPN target name validation level" for MsvAvTargetName:
 * `"off"`, `"whenPresent"` (accept if provided by client), `"required"`.
 *
 * @since 0.2.0
 */
export type { TargetNameValidation } from "./internal/policy.ts"

/**
 * Package options.
 *
 * @since 0.1.0
 */
export interface NtlmOptions {
  /** The acceptor's users; needed to accept, not to initiate. */
  readonly userStore?: UserStore["Service"] | undefined
  /**
   * NTLM verified by the domain (see {@link DomainVerifier}): when set, an
   * inbound credential sends every NTLMv2 AUTHENTICATE, after the checks that
   * need no key, to the domain controller, instead of the user store; NTLMv1
   * is refused (SEC_E_LOGON_DENIED). The principal is `LOGONDOMAIN\user` and
   * QueryContextAttributes(LogonInfo) gives the user's SIDs. The DC checks the
   * NTLMv2 response's MsvAvNbComputerName and MsvAvNbDomainName against its
   * secure channel: `serverNames` must be the machine account's (`WEB1`, `CORP`).
   */
  readonly domainVerifier?: DomainVerifier["Service"] | undefined
  /**
   * Names announced in CHALLENGE; defaults from the host name and domain
   * "WORKGROUP". With a `domainVerifier`: the machine account's names.
   */
  readonly serverNames?: Partial<ServerNames> | undefined
  /** NTLMv2 timestamp window; default 30 minutes (MSV1_0_MAX_NTLM3_LIFE). */
  readonly maxClockSkewMs?: number | undefined
  /**
   * Windows' NtlmMinServerSec: what a client's NEGOTIATE (and AUTHENTICATE)
   * must offer, else SEC_E_UNSUPPORTED_FUNCTION. Default: nothing required
   * (so curl's 0x00088206 works); Windows 7 and later default to 128-bit.
   */
  readonly minimumSecurity?: Partial<MinimumSecurity> | undefined
  /**
   * Require a MIC from every client (SEC_E_UNSUPPORTED_FUNCTION without one).
   * Default false: a MIC is checked whenever the client's MsvAvFlags announce
   * one, and a client that sends none must still echo every AV pair of the
   * CHALLENGE (so a stripped MsvAvTimestamp is refused).
   */
  readonly requireMic?: boolean | undefined
  /**
   * Extended Protection for channel bindings given to the acceptor
   * (`ChannelBindings.ExtendedProtection`); default "whenSupported".
   */
  readonly extendedProtection?: ChannelBindings.ExtendedProtection | undefined
  /**
   * Windows' "Server SPN target name validation level" for the client's
   * MsvAvTargetName: "off" (default, as Windows), "whenPresent", "required";
   * a mismatch is SEC_E_WRONG_PRINCIPAL.
   */
  readonly targetNameValidation?: TargetNameValidation | undefined
  /**
   * The SPNs this acceptor answers to ("HTTP/web.example", "HTTP@web.example";
   * case and port ignored). Default: any service on this host's names (the
   * CHALLENGE's computer names, "localhost", "127.0.0.1").
   */
  readonly serviceNames?: ReadonlyArray<string> | undefined
  /**
   * How long an issued server challenge stays outstanding (the handshake
   * time-out; reflection of it is detected meanwhile). Default 5 minutes.
   */
  readonly challengeLifetimeMs?: number | undefined
  /** At most this many outstanding challenges are remembered (oldest forgotten first). Default 65,536. */
  readonly maxOutstandingChallenges?: number | undefined
  /**
   * A shared handshake store (core's `HandshakeStore`: memory, or Redis from
   * `@effect-sspi/redis`): the acceptor then puts each NTLM handshake's state
   * there, under the CHALLENGE's MsvAvTimestamp, and an AUTHENTICATE given to
   * a fresh acceptor context (no context handle) on any node that shares the
   * store finishes it, exactly once. NTLMv1 stays connection-bound.
   * `withUserStore` takes it from the context when present.
   */
  readonly handshakeStore?: HandshakeStore.HandshakeStoreService | undefined
  /** How long a stored handshake waits for its AUTHENTICATE; default `challengeLifetimeMs`. */
  readonly handshakeTimeoutMs?: number | undefined
  /**
   * What DeleteSecurityContext does to a pending handshake's stored entry:
   * `"remove"` (default: the handshake is abandoned everywhere) or `"keep"`
   * (it stays until its AUTHENTICATE or its time-out: for an HTTP server that
   * deletes a connection's pending context when the connection closes, while
   * the client goes on with its AUTHENTICATE on another connection or node).
   */
  readonly onDeletePending?: "remove" | "keep" | undefined
}

/**
 * The strict level: Windows' NtlmMinServerSec 0x20080000 (128-bit keys and
 * NTLMv2 session security) and a MIC from every client. curl's NEGOTIATE is
 * refused with SEC_E_UNSUPPORTED_FUNCTION. Spread it into the options:
 * `Ntlm.make({ ...Ntlm.strict, userStore })`.
 *
 * @since 0.2.0
 */
export const strict = {
  minimumSecurity: { require128: true, requireNtlmv2SessionSecurity: true },
  requireMic: true
} as const satisfies NtlmOptions

/**
 * SecPkgInfo of NTLM, as Windows reports it.
 *
 * @since 0.1.0
 */
export const info: SecurityPackage.PackageInfo = {
  name: "NTLM",
  comment: "NTLM Security Package",
  capabilities: 0x00082b37,
  version: 1,
  rpcId: 10,
  maxToken: 2888
}

const acquire = (store: UserStore["Service"] | undefined, verifier: DomainVerifier["Service"] | undefined) =>
(
  request: SecurityPackage.AcquireCredentialsRequest
): Effect.Effect<SecurityPackage.CredentialGrant<NtlmCredential>, SecurityError.SspiError> =>
  Effect.suspend((): Effect.Effect<SecurityPackage.CredentialGrant<NtlmCredential>, SecurityError.SspiError> => {
    const auth = (request.authData ?? {}) as NtlmAuthData
    const outbound = (request.credentialUse & Flags.CredentialUse.OUTBOUND) !== 0
    const inbound = (request.credentialUse & Flags.CredentialUse.INBOUND) !== 0
    const [principalDomain, principalUser] = splitPrincipal(request.principal)
    const user = auth.user ?? principalUser
    if (outbound && (user === undefined || (auth.password === undefined && auth.ntHash === undefined))) {
      return Effect.fail(new SecurityError.NoCredentials({ detail: "NTLM needs a user and a password or NT hash" }))
    }
    if (auth.ntHash !== undefined && Redacted.value(auth.ntHash).length !== 16) {
      return Effect.fail(new SecurityError.InvalidParameter({ detail: "an NT hash is 16 bytes" }))
    }
    const password = auth.password === undefined ? undefined : Redacted.value(auth.password)
    const domain = auth.domain ?? principalDomain ?? ""
    const ntHash = !outbound ? undefined : auth.ntHash !== undefined
      ? Uint8Array.from(Redacted.value(auth.ntHash))
      : ntowfv1(password!)
    const credential: NtlmCredential = {
      user: user ?? "",
      domain,
      workstation: auth.workstation ?? "",
      ntHash,
      responseKeyV2: ntHash === undefined ? undefined : ntowfv2(ntHash, user ?? "", domain),
      lmHash: outbound && auth.allowNtlmV1 === true && password !== undefined ? lmowfv1(password) : undefined,
      allowNtlmV1: auth.allowNtlmV1 === true,
      store: inbound ? auth.userStore ?? store : undefined,
      verifier: inbound ? auth.domainVerifier ?? verifier : undefined
    }
    return Effect.succeed({ credential, expiry: Infinity })
  })

/** `DOMAIN\user` or `user@domain` → [domain, user]. */
const splitPrincipal = (principal: string | undefined): [string | undefined, string | undefined] => {
  if (principal === undefined || principal === "") return [undefined, undefined]
  const slash = principal.indexOf("\\")
  if (slash >= 0) return [principal.slice(0, slash), principal.slice(slash + 1)]
  const at = principal.lastIndexOf("@")
  return at >= 0 ? [principal.slice(at + 1), principal.slice(0, at)] : [undefined, principal]
}

const queryAttribute = <K extends SecurityPackage.PackageAttribute>(
  state: NtlmContext,
  attribute: K
): Effect.Effect<SecurityPackage.ContextAttributes[K], SecurityError.SspiError> => {
  const answer = (value: SecurityPackage.ContextAttributes[SecurityPackage.PackageAttribute]) =>
    Effect.succeed(value as SecurityPackage.ContextAttributes[K])
  const complete = state.phase === "done" && state.exportedSessionKey !== undefined
  switch (attribute) {
    case "Sizes":
      return answer({ maxToken: info.maxToken, maxSignature: 16, blockSize: 0, securityTrailer: 16 })
    case "NegotiationInfo":
      return answer({ packageInfo: info, complete })
    case "PackageFlags":
      return answer({ flags: state.flags >>> 0 })
    case "Names":
      return complete ? answer({ userName: state.userName }) : Effect.fail(new SecurityError.NoContext({}))
    case "NativeNames":
      return complete
        ? answer({ clientName: state.userName, serverName: "" })
        : Effect.fail(new SecurityError.NoContext({}))
    case "LogonInfo":
      // the domain's validation info when the domain verified the client; none from a local user store
      return complete ? answer({ identity: state.identity }) : Effect.fail(new SecurityError.NoContext({}))
    case "SessionKey":
      return state.exportedSessionKey === undefined
        ? Effect.fail(new SecurityError.NoContext({}))
        : answer({ key: state.exportedSessionKey.slice() })
    default:
      return Effect.fail(new SecurityError.UnsupportedFunction({}))
  }
}

/**
 * Counters of one NTLM package instance's acceptor.
 *
 * @since 0.2.0
 */
export interface NtlmStats {
  /** CHALLENGEs issued and not yet answered, deleted or expired (this instance; bounded by `maxOutstandingChallenges`). */
  readonly outstandingChallenges: number
  /** CHALLENGEs whose state went to the shared handshake store. */
  readonly stored: number
  /** Handshakes this instance finished from the shared store for a CHALLENGE another context (or node) issued. */
  readonly finishedFromStore: number
  /** CHALLENGE ids this instance drew again because another pending handshake held them in the store (`putIfAbsent`). */
  readonly idCollisions: number
  /** The shared store's own counters (its `pending` entries where it knows them), when there is a store. */
  readonly handshakeStore: HandshakeStore.Stats | undefined
}

/**
 * One acceptor leg of NTLM inside an outer mechanism: the step and, when the
 * leg finished from the shared store a handshake another context began, the
 * outer state stored with it (which replaces the caller's own).
 *
 * @since 0.2.0
 */
export type NestedAcceptStep = NestedStep

/**
 * The acceptor of NTLM inside an outer mechanism (SPNEGO), for handshakes
 * that any node can finish: the outer mechanism's state (SPNEGO: the
 * client's mechTypes, for the mechListMIC) is stored with NTLM's own entry
 * and handed back to whichever context finishes the handshake. An entry
 * begun bare is never finished nested, nor the reverse (SEC_E_INVALID_TOKEN).
 *
 * @since 0.2.0
 */
export interface NestedAcceptor {
  /** Whether the package has a shared handshake store (else `accept` is the package's own, connection-bound). */
  readonly shared: boolean
  /** The largest outer state stored with an entry (bytes); a larger one is SEC_E_INVALID_TOKEN with a shared store. */
  readonly maxOuter: number
  /**
   * AcceptSecurityContext: `outer` goes into the store with the CHALLENGE
   * (ignored on other legs); an AUTHENTICATE finished from the store gives
   * back its entry's outer state in `stored`.
   */
  readonly accept: (
    credential: NtlmCredential,
    state: NtlmContext | undefined,
    request: SecurityPackage.HandshakeRequest,
    outer: Uint8Array | undefined
  ) => Effect.Effect<NestedAcceptStep, SecurityError.SspiError>
}

/**
 * The NTLM package, with its acceptor's {@link NtlmStats}.
 *
 * @since 0.2.0
 */
export interface NtlmPackage extends SecurityPackage.SecurityPackage<NtlmCredential, NtlmContext> {
  /** This instance's counters now (times from `Clock`). */
  readonly stats: Effect.Effect<NtlmStats>
  /** NTLM inside SPNEGO with the shared handshake store (see {@link NestedAcceptor}). */
  readonly nested: NestedAcceptor
}

/**
 * The {@link NestedAcceptor} of a package when it is this NTLM package (an
 * outer mechanism holds its inner packages as any security package).
 *
 * @since 0.2.0
 */
export const nestedOf = (pkg: SecurityPackage.AnySecurityPackage): NestedAcceptor | undefined => {
  const nested = (pkg as Partial<NtlmPackage>).nested
  return typeof nested === "object" && nested !== null && typeof nested.accept === "function" ? nested : undefined
}

/**
 * Builds the NTLM package.
 *
 * @since 0.1.0
 */
export const make = (options: NtlmOptions = {}): NtlmPackage => {
  const host = hostname().split(".")[0]!.toUpperCase()
  const names: ServerNames = {
    netbiosDomain: options.serverNames?.netbiosDomain ?? "WORKGROUP",
    netbiosComputer: options.serverNames?.netbiosComputer ?? host,
    dnsDomain: options.serverNames?.dnsDomain ?? "",
    dnsComputer: options.serverNames?.dnsComputer ?? hostname()
  }
  const hostNames = new Set(
    ["localhost", "127.0.0.1", "::1", names.dnsComputer, names.netbiosComputer].filter((n) => n !== "").map((n) => n.toLowerCase())
  )
  const policy: AcceptorPolicy = {
    minimumSecurity: {
      require128: options.minimumSecurity?.require128 ?? false,
      requireNtlmv2SessionSecurity: options.minimumSecurity?.requireNtlmv2SessionSecurity ?? false
    },
    requireMic: options.requireMic ?? false,
    extendedProtection: options.extendedProtection ?? "whenSupported",
    targetNameValidation: options.targetNameValidation ?? "off",
    serviceNames: options.serviceNames === undefined ? undefined : new Set(options.serviceNames.map(normaliseSpn)),
    hostNames
  }
  const lifetimeMs = options.challengeLifetimeMs ?? 5 * 60_000
  const challenges = new OutstandingChallenges(options.maxOutstandingChallenges ?? 65_536, lifetimeMs)
  const store = options.handshakeStore
  const counters = { stored: 0, finishedFromStore: 0, idCollisions: 0 }
  const acceptorOptions = {
    names,
    namePairs: namePairs(names),
    maxClockSkewMs: options.maxClockSkewMs ?? 30 * 60_000,
    policy,
    challenges,
    unknownUserHash: RandomBytes.randomBytes(16),
    store,
    handshakeTtl: Duration.millis(options.handshakeTimeoutMs ?? lifetimeMs),
    counters
  }
  return {
    info,
    acquireCredentials: acquire(options.userStore, options.domainVerifier),
    freeCredentials: (credential) =>
      Effect.sync(() => {
        credential.ntHash?.fill(0)
        credential.responseKeyV2?.fill(0)
        credential.lmHash?.fill(0)
      }),
    initialize: initialize({ challenges, hostNames }),
    accept: accept(acceptorOptions),
    nested: { shared: store !== undefined, maxOuter: MAX_OUTER, accept: acceptNested(acceptorOptions) },
    stats: Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(
        store === undefined ? Effect.succeed(undefined) : store.stats,
        (shared): NtlmStats => ({ outstandingChallenges: challenges.live(now), ...counters, handshakeStore: shared })
      )),
    deleteContext: (state) =>
      Effect.suspend(() => {
        const pending = state.role === "server" && state.phase === "authenticate"
        if (pending) challenges.remove(state.serverChallenge)
        const id = pending && options.onDeletePending !== "keep" ? state.handshakeId : undefined
        wipeContext(state)
        // a pending handshake's shared entry goes with its context (a store failure is only logged: deletion cannot fail)
        return store === undefined || id === undefined
          ? Effect.void
          : store.take(id).pipe(
            Effect.map(Option.map((bytes) => bytes.fill(0))),
            Effect.catchCause((cause) => Effect.logWarning("NTLM: could not remove a pending handshake from the store", cause))
          )
      }),
    queryAttribute,
    ...protection,
    afterMechListMic: (state, direction) => Effect.sync(() => sessionOf(state)?.resetRc4(direction))
  }
}

/**
 * The NTLM package with the {@link UserStore} from the context, for
 * `SecurityPackages.layer(Ntlm.withUserStore())`; also core's
 * `HandshakeStore` from the context when there is one (and
 * `options.handshakeStore` is not given): handshakes then finish on any node.
 *
 * @since 0.1.0
 */
export const withUserStore = (
  options: Omit<NtlmOptions, "userStore"> = {}
): Effect.Effect<NtlmPackage, never, UserStore> =>
  Effect.flatMap(Effect.serviceOption(HandshakeStore.HandshakeStore), (shared) =>
    UserStore.useSync((store) =>
      make({ ...options, userStore: store, handshakeStore: options.handshakeStore ?? Option.getOrUndefined(shared) })
    ))

/**
 * The NTLM package verified by the domain: the {@link DomainVerifier} from
 * the context (e.g. `NetlogonClient` glued as in `DomainVerifier.ts`), for
 * `SecurityPackages.layer(Ntlm.withDomainVerifier({ serverNames }))`; also
 * core's `HandshakeStore` from the context when there is one. Every inbound
 * credential is then verified by the domain (`withUserStore` keeps serving
 * local user stores).
 *
 * `serverNames` must be the machine account's NetBIOS computer and domain
 * names: the DC refuses a response whose MsvAvNbComputerName or
 * MsvAvNbDomainName is not its secure channel's (STATUS_LOGON_FAILURE).
 *
 * @since 0.2.0
 */
export const withDomainVerifier = (
  options: Omit<NtlmOptions, "domainVerifier" | "userStore"> = {}
): Effect.Effect<NtlmPackage, never, DomainVerifier> =>
  Effect.gen(function*() {
    const verifier = yield* Effect.service(DomainVerifier)
    const shared = yield* Effect.serviceOption(HandshakeStore.HandshakeStore)
    return make({
      ...options,
      domainVerifier: verifier,
      handshakeStore: options.handshakeStore ?? Option.getOrUndefined(shared)
    })
  })
