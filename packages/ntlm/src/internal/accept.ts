/**
 * AcceptSecurityContext for NTLM: the dispatch between the legs, and the
 * shared handshake store's part (issue 12): the CHALLENGE's state put under
 * its id, an AUTHENTICATE on a fresh context finished from the store, the
 * entry taken exactly once whichever context finishes the handshake; and the
 * same for NTLM inside another mechanism (SPNEGO, {@link acceptNested}),
 * whose own state goes into the entry with NTLM's.
 */
import type { HandshakeStore } from "@effect-sspi/core"
import { SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Option, Result } from "effect"
import { type AcceptorOptions, challengeLeg, checkUser, type Received, receive, type Step } from "./acceptor.ts"
import { MessageType } from "./constants.ts"
import { decodeServerState, encodeServerState, idOfPairs, MAX_OUTER } from "./handshakeState.ts"
import { peekMessageType } from "./messages.ts"
import { bindingsHash, inputToken, invalidToken, type NtlmContext, type NtlmCredential, wipeContext } from "./state.ts"

/**
 * A leg's step and, when the leg finished a handshake from the shared store
 * that another context began inside an outer mechanism, the outer state
 * stored with it.
 */
export interface NestedStep {
  readonly step: Step
  /** The outer mechanism's state stored with the entry this leg finished (a handshake this context did not begin); else undefined. */
  readonly stored: Uint8Array | undefined
}

/** Whether the caller is an outer mechanism (SPNEGO): stored entries must then carry its state, else they must not. */
type Nesting = "bare" | "nested"

const own = (step: Step): NestedStep => ({ step, stored: undefined })

const authenticateLeg = (
  credential: NtlmCredential,
  state: NtlmContext,
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest,
  nesting: Nesting
): Effect.Effect<NestedStep, SecurityError.SspiError> => {
  const received = receive(request)
  const message = Result.isSuccess(received) ? received.success : undefined
  const echoed = options.store === undefined || message === undefined ? undefined : echoedId(message)
  if (message !== undefined && echoed !== undefined && state.handshakeId !== undefined && echoed !== state.handshakeId) {
    // Another handshake's AUTHENTICATE on this context: a proxy that shares its upstream
    // connections between clients. It is finished from the store; this context's own
    // handshake stays there for its client to finish on any connection.
    wipeContext(state)
    return storedLeg(credential, options, options.store!, request, message, nesting)
  }
  // the challenge is answered (or about to fail): no longer outstanding
  options.challenges.remove(state.serverChallenge)
  // shared store: the entry is taken here too (even for a malformed message), so that no other node can finish this handshake
  const checked = Effect.andThen(
    claim(options.store, state.handshakeId),
    Result.isFailure(received)
      ? Effect.fail(received.failure)
      : checkUser(credential, state, options, request, received.success)
  )
  // a failed AUTHENTICATE ends the context: no second guess against the same challenge
  return Effect.map(Effect.tapError(checked, () => Effect.sync(() => wipeContext(state))), own)
}

const noPending = () =>
  new SecurityError.InvalidToken({ detail: "no pending NTLM handshake for this message (unknown, expired or already used)" })

/** Takes the store entry of `id` (exactly once), or SEC_E_INVALID_TOKEN; its bytes are wiped after `use`. */
const takeEntry = <A>(
  store: HandshakeStore.HandshakeStoreService,
  id: string,
  use: (bytes: Uint8Array) => Result.Result<A, SecurityError.SspiError>
): Effect.Effect<A, SecurityError.SspiError> =>
  Effect.flatMap(store.take(id), (entry) => {
    if (Option.isNone(entry)) return Effect.fail(noPending())
    const result = use(entry.value)
    entry.value.fill(0)
    return Effect.fromResult(result)
  })

const claim = (store: HandshakeStore.HandshakeStoreService | undefined, id: string | undefined) =>
  store === undefined || id === undefined ? Effect.void : takeEntry(store, id, () => Result.succeed(undefined))

/**
 * An AUTHENTICATE on a fresh context, with a shared store: the handshake was
 * started by another node (or connection). Its state is found by the
 * MsvAvTimestamp the client echoed under NTProofStr ([MS-NLMP] 3.1.5.2.1),
 * taken once, then checked as on the node that issued the CHALLENGE (the
 * full echo of its TargetInfo included). NTLMv1 carries no AV pairs: it
 * stays connection-bound (SEC_E_INVALID_TOKEN here).
 *
 * A handshake begun inside SPNEGO is finished only inside SPNEGO, and a bare
 * one only bare: an entry whose outer state is there when the caller is bare
 * (or missing when it is nested) is SEC_E_INVALID_TOKEN, and taken. Else a man
 * in the middle could unwrap a SPNEGO client's AUTHENTICATE and finish it as
 * bare NTLM on another node, skipping the mechListMIC that RFC 4178 section 5
 * requires for the mechanism list the client sent (MS-SPNG 3.3.5.1: NTLM
 * always exchanges it).
 */
const storedLeg = (
  credential: NtlmCredential,
  options: AcceptorOptions,
  store: HandshakeStore.HandshakeStoreService,
  request: SecurityPackage.HandshakeRequest,
  received: Received,
  nesting: Nesting
): Effect.Effect<NestedStep, SecurityError.SspiError> => {
  const id = echoedId(received)
  if (id === undefined) {
    return Effect.fail(new SecurityError.InvalidToken({ detail: "no MsvAvTimestamp echoed: the handshake is bound to its connection" }))
  }
  return Effect.flatMap(
    takeEntry(store, id, (bytes) =>
      Result.flatMap(Result.mapError(decodeServerState(bytes, id), invalidToken), (stored) =>
        (stored.outer !== undefined) === (nesting === "nested")
          ? Result.succeed(stored)
          : Result.fail(new SecurityError.InvalidToken({
            detail: nesting === "nested"
              ? "this NTLM handshake was begun outside SPNEGO: it cannot be finished inside it"
              : "this NTLM handshake was begun inside SPNEGO: it is finished only there (its mechListMIC)"
          })))),
    (stored) => {
      const state: NtlmContext = {
        role: "server",
        phase: "authenticate",
        flags: stored.flags,
        negotiate: stored.negotiate,
        challenge: stored.challenge,
        sentTargetInfo: stored.targetInfo,
        serverChallenge: stored.serverChallenge,
        userName: "",
        exportedSessionKey: undefined,
        session: undefined,
        storedBindings: stored.bindings
      }
      // this leg's bindings when given, else those the CHALLENGE leg was given
      const bindings = received.bindings ?? stored.bindings
      return checkUser(credential, state, options, request, { ...received, bindings }).pipe(
        Effect.tap(() => Effect.sync(() => options.counters.finishedFromStore++)),
        Effect.tapError(() => Effect.sync(() => wipeContext(state))),
        Effect.map((step): NestedStep => ({ step, stored: stored.outer }))
      )
    }
  )
}

/** The handshake id an NTLMv2 AUTHENTICATE names (its echoed MsvAvTimestamp); undefined for NTLMv1 or none echoed. */
const echoedId = (received: Received): string | undefined =>
  received.response === undefined ? undefined : idOfPairs(received.response.avPairs)

/** Whether the input token is an AUTHENTICATE message. */
const isAuthenticate = (request: SecurityPackage.HandshakeRequest): boolean => {
  const token = inputToken(request.input)
  if (Result.isFailure(token)) return false
  const type = peekMessageType(token.success)
  return Result.isSuccess(type) && type.success === MessageType.AUTHENTICATE
}

/** How many ids a CHALLENGE leg draws before it gives up (a collision is a 2^-24 event per concurrent pair). */
export const MAX_ID_DRAWS = 4

/**
 * The CHALLENGE leg; with a store, its state is put there under its id before
 * the CHALLENGE goes out, only if no other pending handshake holds that id
 * (`putIfAbsent`): on a collision a new server challenge and id are drawn, so
 * that two CHALLENGEs never share one stored entry (which would fail both).
 * After {@link MAX_ID_DRAWS} collisions (a store that answers nonsense):
 * SEC_E_INTERNAL_ERROR.
 */
/** The largest NEGOTIATE_MESSAGE kept in a shared handshake store (real ones are under 100 bytes). */
export const MAX_SHARED_NEGOTIATE = 1024

const challengeAndPut = (
  options: AcceptorOptions,
  store: HandshakeStore.HandshakeStoreService,
  request: SecurityPackage.HandshakeRequest,
  outer: Uint8Array | undefined
): Effect.Effect<Step, SecurityError.SspiError> => {
  const bindings = bindingsHash(request.input)
  if (Result.isFailure(bindings)) return Effect.fail(bindings.failure)
  // bounded as the NEGOTIATE is: whatever an unauthenticated client sends stays bounded in the store
  if (outer !== undefined && outer.length > MAX_OUTER) {
    return Effect.fail(new SecurityError.InvalidToken({ detail: `outer mechanism state of ${outer.length} bytes (at most ${MAX_OUTER} with a shared handshake store)` }))
  }
  const draw = (attempt: number): Effect.Effect<Step, SecurityError.SspiError> => {
    const step = challengeLeg(options, request)
    if (Result.isFailure(step)) return Effect.fail(step.failure)
    const state = step.success.state
    // a NEGOTIATE_MESSAGE is a fixed header, VERSION and two short names (MS-NLMP 2.2.1.1):
    // a padded one would pin its bytes in the shared store for the handshake's TTL
    // for anyone who can send a header (unauthenticated memory exhaustion)
    if (state.negotiate.length > MAX_SHARED_NEGOTIATE) {
      return Effect.fail(new SecurityError.InvalidToken({
        detail: `NEGOTIATE_MESSAGE of ${state.negotiate.length} bytes (at most ${MAX_SHARED_NEGOTIATE} with a shared handshake store)`
      }))
    }
    const bytes = encodeServerState({ negotiate: state.negotiate, challenge: state.challenge, bindings: bindings.success, outer })
    const put = store.putIfAbsent(state.handshakeId!, bytes, options.handshakeTtl).pipe(
      // a store that fails (unreachable: SEC_E_INTERNAL_ERROR; full: SEC_E_INSUFFICIENT_MEMORY):
      // this CHALLENGE is never sent, so it is not outstanding either
      Effect.tapError(() =>
        Effect.sync(() => {
          bytes.fill(0)
          options.challenges.remove(state.serverChallenge)
          wipeContext(state)
        })
      )
    )
    return Effect.flatMap(put, (stored) => {
      bytes.fill(0)
      if (stored) {
        options.counters.stored++
        return Effect.succeed(step.success)
      }
      // the id is another pending handshake's: this CHALLENGE is never sent
      options.challenges.remove(state.serverChallenge)
      wipeContext(state)
      options.counters.idCollisions++
      return attempt + 1 < MAX_ID_DRAWS
        ? draw(attempt + 1)
        : Effect.fail(new SecurityError.InternalError({ detail: `no free handshake id after ${MAX_ID_DRAWS} draws` }))
    })
  }
  return draw(0)
}

const acceptAny = (
  options: AcceptorOptions,
  credential: NtlmCredential,
  state: NtlmContext | undefined,
  request: SecurityPackage.HandshakeRequest,
  nesting: Nesting,
  outer: Uint8Array | undefined
): Effect.Effect<NestedStep, SecurityError.SspiError> => {
  const store = options.store
  if (state === undefined) {
    if (store === undefined) return Effect.map(Effect.fromResult(challengeLeg(options, request)), own)
    if (!isAuthenticate(request)) return Effect.map(challengeAndPut(options, store, request, outer), own)
    const received = receive(request)
    return Result.isFailure(received) ? Effect.fail(received.failure) : storedLeg(credential, options, store, request, received.success, nesting)
  }
  if (state.role !== "server" || state.phase !== "authenticate") return Effect.fail(new SecurityError.OutOfSequence({}))
  return authenticateLeg(credential, state, options, request, nesting)
}

/** AcceptSecurityContext for NTLM. */
export const accept = (options: AcceptorOptions) =>
(
  credential: NtlmCredential,
  state: NtlmContext | undefined,
  request: SecurityPackage.HandshakeRequest
): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.map(acceptAny(options, credential, state, request, "bare", undefined), (r) => r.step)

/**
 * AcceptSecurityContext for NTLM inside an outer mechanism (SPNEGO): as
 * {@link accept}, but a CHALLENGE put into the shared store carries `outer`
 * (the outer mechanism's state, at most `MAX_OUTER` bytes; ignored on other
 * legs), and an AUTHENTICATE finished from the store (a handshake another
 * context began, here or on another node) gives back the outer state stored
 * with it, which the outer mechanism must then use instead of its own.
 */
export const acceptNested = (options: AcceptorOptions) =>
(
  credential: NtlmCredential,
  state: NtlmContext | undefined,
  request: SecurityPackage.HandshakeRequest,
  outer: Uint8Array | undefined
): Effect.Effect<NestedStep, SecurityError.SspiError> => acceptAny(options, credential, state, request, "nested", outer)
