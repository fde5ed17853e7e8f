/**
 * The AUTHENTICATE leg verified by the domain (MS-APDS 3.1.5.1: NTLM
 * pass-through network logon): the checks that need no key run here, the
 * raw NTLMv2 response goes to the {@link DomainVerifier}, whose user
 * session key becomes the key exchange key.
 */
import { SecurityError, type SecurityPackage } from "@effect-sspi/core"
import { Effect, Result } from "effect"
import type { DomainVerifier, VerifyResult } from "../DomainVerifier.ts"
import type { AcceptorOptions, Received, Step } from "./acceptor.ts"
import type { NtlmContext } from "./state.ts"
import { complete, micAnnounced, skewOf, v2Refusal } from "./verdict.ts"

/** The validation info as core's package-neutral identity. */
const identityOf = (v: VerifyResult["validation"]): SecurityPackage.LogonIdentity => ({
  userSid: v.userSid,
  primaryGroupSid: v.primaryGroupSid,
  groupSids: v.groupSids.map((g) => ({ sid: g.sid, attributes: g.attributes })),
  logonDomain: v.logonDomain,
  accountName: v.user,
  ...(v.upn !== undefined ? { upn: v.upn } : {}),
  ...(v.dnsDomain !== undefined ? { dnsDomain: v.dnsDomain } : {}),
  ...(v.fullName !== undefined && v.fullName !== "" ? { fullName: v.fullName } : {})
})

/**
 * NTLMv1 is refused with SEC_E_LOGON_DENIED before anything is sent: its
 * response binds neither the server's names nor a timestamp, channel
 * bindings or a MIC (so none of this acceptor's checks could run), and a
 * DC that verified it would give a relayable, crackable (DES) proof. This
 * is what a Windows DC at LmCompatibilityLevel 5 answers (an authentication
 * failure, not an unsupported function), and what this acceptor answers for
 * NTLMv1 without `allowNtlmV1`: a client cannot tell the cases apart.
 */
export const domainLogon = (
  verifier: DomainVerifier["Service"],
  state: NtlmContext,
  options: AcceptorOptions,
  request: SecurityPackage.HandshakeRequest,
  received: Received
): Effect.Effect<Step, SecurityError.SspiError> => {
  const { message, response } = received
  if (response === undefined) return Effect.fail(new SecurityError.LogonDenied({ detail: "NTLMv1 is not passed to the domain" }))
  const skewed = skewOf(response, request.now) > options.maxClockSkewMs
  const refusal = v2Refusal(state, response, options.policy, skewed, received.bindings)
  if (refusal !== undefined) return Effect.fail(refusal)
  return Effect.flatMap(
    verifier.verify({
      domain: message.domain,
      user: message.user,
      workstation: message.workstation,
      // a copy: the context zeroes its own when the handshake fails
      serverChallenge: state.serverChallenge.slice(),
      ntResponse: message.ntChallengeResponse,
      lmResponse: message.lmChallengeResponse
    }),
    ({ userSessionKey, validation }) => {
      if (userSessionKey.length !== 16) {
        userSessionKey.fill(0)
        return Effect.fail(new SecurityError.InternalError({ detail: "the domain's user session key is not 16 bytes" }))
      }
      // for NTLMv2 the key exchange key is the session base key ([MS-NLMP] 3.4.5.1), which the DC returns
      const name = validation.logonDomain === "" ? validation.user : `${validation.logonDomain}\\${validation.user}`
      const step = complete(state, request, received, userSessionKey, micAnnounced(response), name, identityOf(validation))
      return Result.isFailure(step) ? Effect.fail(step.failure) : Effect.succeed(step.success)
    }
  )
}
