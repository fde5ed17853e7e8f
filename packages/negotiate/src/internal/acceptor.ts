/**
 * The SPNEGO acceptor: takes NegTokenInit (choosing the first proposed
 * mechanism it supports, using the optimistic token when it is for that
 * mechanism), and, as Windows servers do, bare NTLM or Kerberos tokens.
 * A missing or wrong mechListMIC where one is required is
 * SEC_E_DOWNGRADE_DETECTED; no common mechanism is SEC_E_ALGORITHM_MISMATCH.
 * With the `"refuseWhenKerberosPossible"` NTLM policy, NTLM (bare, or chosen
 * through SPNEGO) is SEC_E_UNSUPPORTED_FUNCTION when this acceptor holds a
 * Kerberos credential.
 *
 * With a shared handshake store in the NTLM package (issue 12), a SPNEGO
 * handshake over NTLM can finish on any node: the SPNEGO state goes into
 * NTLM's stored entry (`sharedState.ts`), and a NegTokenResp carrying an NTLM
 * AUTHENTICATE on a fresh context (or on a context that holds another
 * client's handshake: a pooled connection) is finished from it, the
 * mechListMIC checked over the mechTypes that client sent.
 */
import type { Oid } from "@effect-sspi/asn1"
import { SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Ntlm } from "@effect-sspi/ntlm"
import { Effect, Result } from "effect"
import { decodeToken } from "./decode.ts"
import { detectToken } from "./detect.ts"
import { encodeMechTypeList } from "./encode.ts"
import * as Fallback from "./fallback.ts"
import {
  advance,
  checkMic,
  type Inner,
  innerAfter,
  innerInput,
  KRB5,
  makeMic,
  matches,
  micRequired,
  negotiateStep,
  type NegotiateContext,
  type NegotiateCredential,
  NTLMSSP,
  output,
  tokenOf
} from "./mechanisms.ts"
import { isKerberos } from "./oids.ts"
import { decodeSpnegoState, encodeSpnegoState } from "./sharedState.ts"
import { NegState, type NegotiationToken, type NegTokenResp } from "./tokens.ts"

type Step = SecurityPackage.HandshakeStep<NegotiateContext>
type Request = SecurityPackage.HandshakeRequest

const invalid = (detail: string) => new SecurityError.InvalidToken({ detail })

/**
 * What the acceptor does with NTLM: `"allow"` (Windows' default) or
 * `"refuseWhenKerberosPossible"` (see `NegotiateOptions.acceptorNtlm`).
 */
export type NtlmPolicy = "allow" | "refuseWhenKerberosPossible"

/** What every leg of an acceptor may need: its NTLM policy and the whole Negotiate credential. */
interface Acceptor {
  readonly policy: NtlmPolicy
  readonly credential: NegotiateCredential
}

/** Whether NTLM must be refused: the policy says so and this acceptor could have done Kerberos. */
const ntlmRefused = (policy: NtlmPolicy, credential: NegotiateCredential): boolean =>
  policy === "refuseWhenKerberosPossible" && credential.mechs.some((m) => matches(m.mech, KRB5))

/**
 * As MS-NLMP 3.2.5.1.1 has the NTLM server answer STATUS_NOT_SUPPORTED
 * (SSPI: SEC_E_UNSUPPORTED_FUNCTION) when incoming NTLM is blocked
 * (ServerBlock == TRUE, the "Restrict NTLM: Incoming NTLM traffic" policy); here
 * NTLM is blocked only where Kerberos was possible, so that a man in the
 * middle cannot move a Kerberos-capable client to NTLM (a bare NTLM token
 * carries no mechListMIC, RFC 4178 section 5 / MS-SPNG 3.2.5.1).
 */
const ntlmBlocked = () =>
  new SecurityError.UnsupportedFunction({ detail: "NTLM is refused: this acceptor can use Kerberos" })

const newContext = (mode: NegotiateContext["mode"]): NegotiateContext => ({
  role: "acceptor",
  mode,
  mechTypes: [],
  mechListDer: new Uint8Array(0),
  inner: undefined,
  peerMicChecked: false,
  micSent: false,
  micRequired: false,
  done: false,
  fallback: []
})

/** A bare NTLM or Kerberos exchange, passed through to the mechanism. */
const raw = (policy: NtlmPolicy, credential: NegotiateCredential, kind: "Ntlm" | "Kerberos", request: Request) =>
  Effect.gen(function*() {
    if (kind === "Ntlm" && ntlmRefused(policy, credential)) return yield* ntlmBlocked()
    const oid = kind === "Ntlm" ? NTLMSSP : KRB5
    const entry = credential.mechs.find((m) => matches(m.mech, oid))
    if (entry === undefined) return yield* new SecurityError.AlgorithmMismatch({ detail: `no ${kind} credential` })
    const innerStep = yield* entry.mech.pkg.accept(entry.credential, undefined, request)
    const context = newContext("raw")
    context.inner = innerAfter(entry.mech, entry.credential, innerStep)
    context.done = context.inner.done
    return { ...negotiateStep(context, innerStep.status, innerStep.output), status: innerStep.status }
  })

const decode = (bytes: Uint8Array): Result.Result<NegotiationToken, SecurityError.SspiError> =>
  Result.mapError(decodeToken(bytes), (e) => invalid(`SPNEGO: ${e.reason}`))

/** The last leg of the mechanism: check the initiator's MIC, answer accept-completed with ours. */
const complete = (context: NegotiateContext, mic: Uint8Array | undefined, responseToken: Uint8Array | undefined) =>
  Effect.gen(function*() {
    if (mic !== undefined) yield* checkMic(context, mic)
    if (context.micRequired && !context.peerMicChecked) {
      if (context.micSent) return yield* new SecurityError.DowngradeDetected({ detail: "the initiator sent no mechListMIC" })
      // the mechanism finished before the initiator could send its MIC: send ours and ask for it
      context.micSent = true
      const ours = yield* makeMic(context)
      return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
        _tag: "NegTokenResp",
        negState: NegState.RequestMic,
        ...(responseToken === undefined ? {} : { responseToken }),
        mechListMIC: ours
      }))
    }
    const mechListMIC = context.peerMicChecked && !context.micSent ? yield* makeMic(context) : undefined
    context.micSent ||= mechListMIC !== undefined
    context.done = true
    return negotiateStep(context, "SEC_E_OK", output({
      _tag: "NegTokenResp",
      negState: NegState.AcceptCompleted,
      ...(responseToken === undefined ? {} : { responseToken }),
      ...(mechListMIC === undefined ? {} : { mechListMIC })
    }))
  })

/** NTLM's nested acceptor, when the chosen mechanism is NTLM and its package has one. */
const nestedNtlm = (inner: Inner) => inner.mech.oid.equals(NTLMSSP) ? Ntlm.nestedOf(inner.mech.pkg) : undefined

/**
 * The inner mechanism's accept; NTLM through its nested acceptor, which puts
 * `outer` (our state) into the shared store with its CHALLENGE and gives back
 * the state stored with a handshake it finished from the store.
 */
const innerAccept = (inner: Inner, request: Request, first: boolean, outer: () => Uint8Array) => {
  const state = first ? undefined : inner.state
  const nested = nestedNtlm(inner)
  return nested === undefined
    ? Effect.map(inner.mech.pkg.accept(inner.credential, state, request), (step) => ({ step, stored: undefined }))
    : nested.accept(inner.credential as never, state as never, request, first && nested.shared ? outer() : undefined)
}

/**
 * The inner leg finished, from the shared store, an NTLM handshake that
 * another context began (on another node, or another client's on a pooled
 * connection): this context becomes that handshake's, with the mechTypes its
 * client sent, so that the client's mechListMIC is checked over them exactly
 * as the node that began it would (RFC 4178 section 5; MS-SPNG 3.3.5.1: NTLM
 * always exchanges it). An unreadable stored state is a missing entry
 * (SEC_E_INVALID_TOKEN).
 */
const resume = (acceptor: Acceptor, context: NegotiateContext, stored: Uint8Array) =>
  Effect.gen(function*() {
    const decoded = decodeSpnegoState(stored)
    if (Result.isFailure(decoded)) return yield* invalid(`no pending SPNEGO handshake for this message (stored state: ${decoded.failure})`)
    const { mechTypes, mechListDer } = decoded.success
    context.mode = "spnego"
    context.mechTypes = mechTypes
    context.mechListDer = mechListDer
    context.micRequired = micRequired(NTLMSSP, mechTypes)
    context.peerMicChecked = false
    context.micSent = false
    context.fallback = passedOver(mechTypes, NTLMSSP, false, acceptor.credential)
    yield* Fallback.log("acceptor", "NTLM", context.fallback)
  })

/** One inner leg on `token`; completes the negotiation when the mechanism is done. */
const innerLeg = (
  acceptor: Acceptor,
  context: NegotiateContext,
  token: Uint8Array | undefined,
  mic: Uint8Array | undefined,
  request: Request,
  first: boolean,
  optimistic: boolean
) =>
  Effect.gen(function*() {
    const inner = context.inner!
    if (token === undefined) return yield* invalid("no mechanism token")
    const { step: innerStep, stored } = yield* innerAccept(
      inner,
      { ...request, input: innerInput(token, request.input) },
      first,
      () => encodeSpnegoState({ mechListDer: context.mechListDer, optimistic })
    ).pipe(Effect.mapError(Fallback.explain(inner.mech.pkg.info.name, context.fallback)))
    advance(inner, innerStep)
    if (stored !== undefined) yield* resume(acceptor, context, stored)
    // a context that never saw a NegTokenInit has nothing to check a mechListMIC against
    if (context.mechTypes.length === 0) return yield* invalid("expected a NegTokenInit")
    const responseToken = tokenOf(innerStep.output)
    if (inner.done) return yield* complete(context, mic, responseToken)
    return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
      _tag: "NegTokenResp",
      negState: NegState.AcceptIncomplete,
      ...(first ? { supportedMech: inner.mech.oid } : {}),
      ...(responseToken === undefined ? {} : { responseToken })
    }))
  })

/** The inner state of a first leg that failed after the mechanism accepted: no context is left to release it. */
const releaseInner = (context: NegotiateContext) => () => {
  const state = context.inner?.state
  return state === undefined ? Effect.void : context.inner!.mech.pkg.deleteContext(state)
}

/** Whether `bytes` is an NTLM AUTHENTICATE_MESSAGE (signature and MessageType 3, MS-NLMP 2.2.1.3). */
const isNtlmAuthenticate = (bytes: Uint8Array): boolean =>
  detectToken(bytes) === "Ntlm" && bytes.length >= 12 && bytes[8] === 3 && bytes[9] === 0 && bytes[10] === 0 && bytes[11] === 0

/**
 * A NegTokenResp as the first token: the last leg of a handshake begun on
 * another node or connection. Only NTLM with a shared handshake store can
 * finish one (its AUTHENTICATE names its stored entry, which holds the
 * SPNEGO state too); anything else is SEC_E_INVALID_TOKEN, as without a store.
 */
const resumed = (acceptor: Acceptor, token: NegTokenResp, request: Request): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const entry = acceptor.credential.mechs.find((m) => matches(m.mech, NTLMSSP))
    const responseToken = token.responseToken
    if (
      entry === undefined || responseToken === undefined || !isNtlmAuthenticate(responseToken) ||
      Ntlm.nestedOf(entry.mech.pkg)?.shared !== true
    ) {
      return yield* invalid("expected a NegTokenInit")
    }
    // as on the first leg (MS-NLMP 3.2.5.1.1 ServerBlock, where Kerberos was possible): no NTLM where
    // the policy refuses it, whatever the node that began the handshake allowed (the store is not even read)
    if (ntlmRefused(acceptor.policy, acceptor.credential)) return yield* ntlmBlocked()
    const context = newContext("spnego")
    context.inner = { mech: entry.mech, credential: entry.credential, state: undefined, done: false, attributes: 0, expiry: Infinity }
    return yield* innerLeg(acceptor, context, responseToken, token.mechListMIC, request, true, false).pipe(Effect.onError(releaseInner(context)))
  })

/**
 * The client's proposals before the one chosen, and why each was passed over
 * (distinct names: Microsoft's and MIT's Kerberos OIDs are one "Kerberos").
 */
const passedOver = (
  mechTypes: ReadonlyArray<Oid>,
  chosen: Oid,
  refuseNtlm: boolean,
  credential: NegotiateCredential
): ReadonlyArray<Fallback.Fallback> => {
  const before = mechTypes.slice(0, mechTypes.findIndex((oid) => oid.equals(chosen)))
  const seen = new Set<string>()
  return before.flatMap((oid): ReadonlyArray<Fallback.Fallback> => {
    const packageName = Fallback.mechanismName(oid)
    if (seen.has(packageName)) return []
    seen.add(packageName)
    if (refuseNtlm && oid.equals(NTLMSSP)) return [Fallback.fromError(packageName, ntlmBlocked())]
    const known = isKerberos(oid) || oid.equals(NTLMSSP)
    return known && !credential.mechs.some((m) => matches(m.mech, oid))
      ? [{ packageName, status: "SEC_E_NO_CREDENTIALS", detail: `this acceptor holds no ${packageName} credential` }]
      : [{ packageName, status: "SEC_E_SECPKG_NOT_FOUND", detail: `mechanism ${oid.toString()} is not supported` }]
  })
}

const first = (acceptor: Acceptor, request: Request): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const { policy, credential } = acceptor
    const bytes = tokenOf(request.input)
    if (bytes === undefined) return yield* invalid("no input token")
    const kind = detectToken(bytes)
    if (kind === "Ntlm" || kind === "Kerberos") return yield* raw(policy, credential, kind, request)
    const token = yield* Effect.fromResult(decode(bytes))
    if (token._tag === "NegTokenResp") return yield* resumed(acceptor, token, request)
    if (token._tag !== "NegTokenInit") return yield* invalid("expected a NegTokenInit")
    // a mechList stripped down to NTLM (or NTLM preferred) is refused where Kerberos was possible
    const refuseNtlm = ntlmRefused(policy, credential)
    const chosen = token.mechTypes
      .filter((oid) => !(refuseNtlm && oid.equals(NTLMSSP)))
      .map((oid) => ({ oid, entry: credential.mechs.find((m) => matches(m.mech, oid)) }))
      .find((c) => c.entry !== undefined)
    if (chosen === undefined) {
      if (refuseNtlm && token.mechTypes.some((oid) => oid.equals(NTLMSSP))) return yield* ntlmBlocked()
      return yield* new SecurityError.AlgorithmMismatch({ detail: "no proposed mechanism is supported" })
    }
    const context = newContext("spnego")
    context.fallback = passedOver(token.mechTypes, chosen.oid, refuseNtlm, credential)
    yield* Fallback.log("acceptor", chosen.entry!.mech.pkg.info.name, context.fallback)
    context.mechTypes = token.mechTypes
    context.mechListDer = encodeMechTypeList(token.mechTypes)
    context.micRequired = micRequired(chosen.oid, token.mechTypes)
    context.inner = {
      mech: { oid: chosen.oid, pkg: chosen.entry!.mech.pkg },
      credential: chosen.entry!.credential,
      state: undefined,
      done: false,
      attributes: 0,
      expiry: Infinity
    }
    if (chosen.oid.equals(token.mechTypes[0]!) && token.mechToken !== undefined) {
      // a first leg that fails after the mechanism accepted leaves no context: release its state here
      return yield* innerLeg(acceptor, context, token.mechToken, token.mechListMIC, request, true, true).pipe(
        Effect.onError(releaseInner(context))
      )
    }
    // the optimistic token (if any) is for another mechanism: ask for one of ours
    return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
      _tag: "NegTokenResp",
      negState: NegState.AcceptIncomplete,
      supportedMech: chosen.oid
    }))
  })

/**
 * Whether `bytes` is another client's last NTLM leg in the other framing: a
 * context waiting for NTLM's AUTHENTICATE bare (raw) gets a SPNEGO
 * NegTokenResp, or one waiting inside SPNEGO gets a bare AUTHENTICATE. On a
 * connection that a proxy shares between clients it is the last leg of a
 * handshake another context began; with a shared store it is finished as on
 * a fresh context (`first`), where the entry's own framing is checked (a bare
 * entry is never finished inside SPNEGO, nor the reverse: SEC_E_INVALID_TOKEN,
 * taken) and the mechListMIC is required over its stored mechTypes. Without
 * this, NTLM would take the message for this context's own AUTHENTICATE:
 * refused, and this context's pending entry taken from its own client.
 */
const otherFraming = (context: NegotiateContext, bytes: Uint8Array): boolean => {
  const inner = context.inner
  if (inner === undefined || inner.done || nestedNtlm(inner)?.shared !== true) return false
  return context.mode === "raw" ? detectToken(bytes) === "Spnego" && bytes[0] === 0xa1 : isNtlmAuthenticate(bytes)
}

const next = (acceptor: Acceptor, context: NegotiateContext, request: Request): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const inner = context.inner!
    const input = tokenOf(request.input)
    // this context's pending NTLM state stays in the store for its own client (as NTLM does
    // for a same-framing leg of another handshake); it holds nothing secret
    if (input !== undefined && otherFraming(context, input)) return yield* first(acceptor, request)
    if (context.mode === "raw") {
      const innerStep = yield* inner.mech.pkg.accept(inner.credential, inner.state, request)
      advance(inner, innerStep)
      context.done = inner.done
      return negotiateStep(context, innerStep.status, innerStep.output)
    }
    const bytes = tokenOf(request.input)
    if (bytes === undefined) return yield* invalid("no input token")
    const token = yield* Effect.fromResult(decode(bytes))
    if (token._tag !== "NegTokenResp") return yield* invalid("expected a NegTokenResp")
    if (inner.done) {
      // this context's mechanism is done (it asked for the client's mechListMIC): an NTLM
      // AUTHENTICATE now is another client's last leg on a pooled connection, finished
      // from the shared store as on a fresh context; this context's keys are zeroed first
      const other = token.responseToken
      if (other !== undefined && isNtlmAuthenticate(other) && nestedNtlm(inner)?.shared === true) {
        yield* releaseInner(context)()
        context.done = true
        return yield* resumed(acceptor, token, request)
      }
      return yield* complete(context, token.mechListMIC, undefined)
    }
    return yield* innerLeg(acceptor, context, token.responseToken, token.mechListMIC, request, inner.state === undefined, false)
  })

/** AcceptSecurityContext for Negotiate. */
export const accept = (policy: NtlmPolicy) =>
(
  credential: NegotiateCredential,
  context: NegotiateContext | undefined,
  request: Request
): Effect.Effect<Step, SecurityError.SspiError> => {
  if (context === undefined) return first({ policy, credential }, request)
  if (context.role !== "acceptor" || context.done) return Effect.fail(new SecurityError.OutOfSequence({}))
  return next({ policy, credential }, context, request)
}
