/**
 * The SPNEGO acceptor: takes NegTokenInit (choosing the first proposed
 * mechanism it supports, using the optimistic token when it is for that
 * mechanism), and, as Windows servers do, bare NTLM or Kerberos tokens.
 * A missing or wrong mechListMIC where one is required is
 * SEC_E_DOWNGRADE_DETECTED; no common mechanism is SEC_E_ALGORITHM_MISMATCH.
 * With the `"refuseWhenKerberosPossible"` NTLM policy, NTLM (bare, or chosen
 * through SPNEGO) is SEC_E_UNSUPPORTED_FUNCTION when this acceptor holds a
 * Kerberos credential.
 */
import type { Oid } from "@effect-sspi/asn1"
import { SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Result } from "effect"
import { decodeToken } from "./decode.ts"
import { detectToken } from "./detect.ts"
import { encodeMechTypeList } from "./encode.ts"
import * as Fallback from "./fallback.ts"
import {
  advance,
  checkMic,
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
import { NegState, type NegotiationToken } from "./tokens.ts"

type Step = SecurityPackage.HandshakeStep<NegotiateContext>
type Request = SecurityPackage.HandshakeRequest

const invalid = (detail: string) => new SecurityError.InvalidToken({ detail })

/**
 * What the acceptor does with NTLM: `"allow"` (Windows' default) or
 * `"refuseWhenKerberosPossible"` (see `NegotiateOptions.acceptorNtlm`).
 */
export type NtlmPolicy = "allow" | "refuseWhenKerberosPossible"

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

/** One inner leg on `token`; completes the negotiation when the mechanism is done. */
const innerLeg = (context: NegotiateContext, token: Uint8Array | undefined, mic: Uint8Array | undefined, request: Request, first: boolean) =>
  Effect.gen(function*() {
    const inner = context.inner!
    if (token === undefined) return yield* invalid("no mechanism token")
    const innerStep = yield* inner.mech.pkg.accept(inner.credential, first ? undefined : inner.state, { ...request, input: innerInput(token, request.input) })
      .pipe(Effect.mapError(Fallback.explain(inner.mech.pkg.info.name, context.fallback)))
    advance(inner, innerStep)
    const responseToken = tokenOf(innerStep.output)
    if (inner.done) return yield* complete(context, mic, responseToken)
    return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
      _tag: "NegTokenResp",
      negState: NegState.AcceptIncomplete,
      ...(first ? { supportedMech: inner.mech.oid } : {}),
      ...(responseToken === undefined ? {} : { responseToken })
    }))
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

const first = (policy: NtlmPolicy, credential: NegotiateCredential, request: Request): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const bytes = tokenOf(request.input)
    if (bytes === undefined) return yield* invalid("no input token")
    const kind = detectToken(bytes)
    if (kind === "Ntlm" || kind === "Kerberos") return yield* raw(policy, credential, kind, request)
    const token = yield* Effect.fromResult(decode(bytes))
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
      return yield* innerLeg(context, token.mechToken, token.mechListMIC, request, true).pipe(
        Effect.onError(() => {
          const state = context.inner?.state
          return state === undefined ? Effect.void : context.inner!.mech.pkg.deleteContext(state)
        })
      )
    }
    // the optimistic token (if any) is for another mechanism: ask for one of ours
    return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
      _tag: "NegTokenResp",
      negState: NegState.AcceptIncomplete,
      supportedMech: chosen.oid
    }))
  })

const next = (context: NegotiateContext, request: Request): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const inner = context.inner!
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
    if (inner.done) return yield* complete(context, token.mechListMIC, undefined)
    return yield* innerLeg(context, token.responseToken, token.mechListMIC, request, inner.state === undefined)
  })

/** AcceptSecurityContext for Negotiate. */
export const accept = (policy: NtlmPolicy) =>
(
  credential: NegotiateCredential,
  context: NegotiateContext | undefined,
  request: Request
): Effect.Effect<Step, SecurityError.SspiError> => {
  if (context === undefined) return first(policy, credential, request)
  if (context.role !== "acceptor" || context.done) return Effect.fail(new SecurityError.OutOfSequence({}))
  return next(context, request)
}
