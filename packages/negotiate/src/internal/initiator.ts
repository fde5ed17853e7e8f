/**
 * The SPNEGO initiator (RFC 4178 section 5, MS-SPNG): NegTokenInit with an
 * optimistic token for the preferred mechanism that works (Kerberos falls
 * back to NTLM when it has no credential, no KDC or no such target), then
 * NegTokenResp legs, with the mechListMIC exchange.
 */
import { SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Exit, Result } from "effect"
import { decodeToken } from "./decode.ts"
import { encodeMechTypeList } from "./encode.ts"
import * as Fallback from "./fallback.ts"
import {
  advance,
  checkMic,
  innerAfter,
  negotiateStep,
  innerInput,
  makeMic,
  matches,
  micRequired,
  type NegotiateContext,
  type NegotiateCredential,
  output,
  tokenOf
} from "./mechanisms.ts"
import { NegState, type NegTokenResp } from "./tokens.ts"

type Step = SecurityPackage.HandshakeStep<NegotiateContext>
type Request = SecurityPackage.HandshakeRequest

/** Failures after which the next mechanism is tried, as Windows' Negotiate does. */
const fallsBack = (error: SecurityError.SspiError): boolean =>
  error._tag === "NoAuthenticatingAuthority" || error._tag === "NoCredentials" ||
  error._tag === "UnknownCredentials" || error._tag === "TargetUnknown" || error._tag === "KdcUnknownEtype"

/** The first leg: NegTokenInit. */
const first = (credential: NegotiateCredential, request: Request): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const innerRequest = { ...request, input: innerInput(undefined, request.input) }
    const fallback: Array<Fallback.Fallback> = []
    for (let i = 0; i < credential.mechs.length; i++) {
      const { mech, credential: innerCredential } = credential.mechs[i]!
      const exit = yield* Effect.exit(mech.pkg.initialize(innerCredential, undefined, innerRequest))
      if (Exit.isFailure(exit)) {
        const error = exit.cause.reasons.find((r) => r._tag === "Fail")
        if (error !== undefined && error._tag === "Fail" && fallsBack(error.error) && i + 1 < credential.mechs.length) {
          fallback.push(Fallback.fromError(mech.pkg.info.name, error.error))
          continue
        }
        return yield* Effect.failCause(exit.cause).pipe(Effect.mapError(Fallback.explain(mech.pkg.info.name, fallback)))
      }
      const innerStep = exit.value
      const mechTypes = credential.mechs.slice(i).map((m) => m.mech.oid)
      const context: NegotiateContext = {
        role: "initiator",
        mode: "spnego",
        mechTypes,
        mechListDer: encodeMechTypeList(mechTypes),
        inner: innerAfter(mech, innerCredential, innerStep),
        peerMicChecked: false,
        micSent: false,
        micRequired: micRequired(mech.oid, mechTypes),
        done: false,
        fallback
      }
      yield* Fallback.log("initiator", mech.pkg.info.name, fallback)
      const mechToken = tokenOf(innerStep.output)
      return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
        _tag: "NegTokenInit",
        mechTypes,
        ...(mechToken === undefined ? {} : { mechToken })
      }))
    }
    return yield* new SecurityError.NoCredentials({ detail: "no mechanism has a credential" })
  })

const decodeResp = (request: Request): Result.Result<NegTokenResp, SecurityError.SspiError> => {
  const input = tokenOf(request.input)
  if (input === undefined) return Result.fail(new SecurityError.InvalidToken({ detail: "no input token" }))
  return decodeToken(input).pipe(
    Result.mapError((e) => new SecurityError.InvalidToken({ detail: `SPNEGO: ${e.reason}` })),
    Result.flatMap((t) =>
      t._tag === "NegTokenResp" ? Result.succeed(t) : Result.fail(new SecurityError.InvalidToken({ detail: "expected a NegTokenResp" }))
    )
  )
}

/** Later legs: NegTokenResp from the acceptor. */
const next = (
  credential: NegotiateCredential,
  context: NegotiateContext,
  request: Request
): Effect.Effect<Step, SecurityError.SspiError> =>
  Effect.gen(function*() {
    const resp = yield* Effect.fromResult(decodeResp(request))
    if (resp.negState === NegState.Reject) return yield* new SecurityError.LogonDenied({ detail: "the acceptor rejected the negotiation" })
    if (context.inner === undefined) return yield* new SecurityError.OutOfSequence({ detail: "no mechanism" })
    let inner = context.inner
    if (resp.supportedMech !== undefined && !matches(inner.mech, resp.supportedMech)) {
      // the acceptor chose another of our mechanisms: restart with it
      const chosen = credential.mechs.find((m) => matches(m.mech, resp.supportedMech!) && context.mechTypes.some((o) => m.mech.oid.equals(o)))
      if (chosen === undefined) return yield* new SecurityError.InvalidToken({ detail: "the acceptor chose a mechanism we did not offer" })
      yield* inner.mech.pkg.deleteContext(inner.state)
      context.inner = undefined
      const innerStep = yield* chosen.mech.pkg.initialize(chosen.credential, undefined, { ...request, input: innerInput(undefined, request.input) })
      context.inner = inner = innerAfter(chosen.mech, chosen.credential, innerStep)
      context.micRequired = true
      const responseToken = tokenOf(innerStep.output)
      return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({ _tag: "NegTokenResp", ...(responseToken === undefined ? {} : { responseToken }) }))
    }
    let innerStep: SecurityPackage.HandshakeStep<unknown> | undefined
    if (resp.responseToken !== undefined) {
      if (inner.done) return yield* new SecurityError.InvalidToken({ detail: "a token after the mechanism finished" })
      innerStep = yield* inner.mech.pkg.initialize(inner.credential, inner.state, { ...request, input: innerInput(resp.responseToken, request.input) })
      advance(inner, innerStep)
    }
    const responseToken = innerStep === undefined ? undefined : tokenOf(innerStep.output)
    if (!inner.done) {
      if (responseToken === undefined) return yield* new SecurityError.InvalidToken({ detail: "the mechanism needs another token" })
      return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({ _tag: "NegTokenResp", responseToken }))
    }
    if (resp.mechListMIC !== undefined) yield* checkMic(context, resp.mechListMIC)
    if (resp.negState === NegState.AcceptCompleted) {
      if (context.micRequired && !context.peerMicChecked) {
        return yield* new SecurityError.DowngradeDetected({ detail: "the acceptor sent no mechListMIC" })
      }
      context.done = true
      const final = responseToken === undefined ? [] : output({ _tag: "NegTokenResp", responseToken })
      return negotiateStep(context, "SEC_E_OK", final)
    }
    // accept-incomplete or request-mic: send our mechListMIC (and the mechanism's last token)
    const mechListMIC = context.micSent ? undefined : yield* makeMic(context)
    context.micSent = true
    return negotiateStep(context, "SEC_I_CONTINUE_NEEDED", output({
      _tag: "NegTokenResp",
      ...(responseToken === undefined ? {} : { responseToken }),
      ...(mechListMIC === undefined ? {} : { mechListMIC })
    }))
  })

/** InitializeSecurityContext for Negotiate. */
export const initialize = (
  credential: NegotiateCredential,
  context: NegotiateContext | undefined,
  request: Request
): Effect.Effect<Step, SecurityError.SspiError> => {
  if (context === undefined) return first(credential, request)
  if (context.role !== "initiator" || context.done) return Effect.fail(new SecurityError.OutOfSequence({}))
  // a failure of the mechanism used instead says why it was used (issue 10)
  return next(credential, context, request).pipe(
    Effect.mapError((error) => Fallback.explain(context.inner?.mech.pkg.info.name ?? "the mechanism", context.fallback)(error))
  )
}
