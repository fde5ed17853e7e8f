/**
 * An in-process DomainVerifier for the acceptor's own tests (the real DC is
 * in domain.samba.test.ts): it checks an NTLMv2 response as a DC does
 * (NTProofStr against alice's password, MS-NLMP 3.3.2) and counts its calls.
 */
import { Effect, Result } from "effect"
import { SecurityError } from "@effect-sspi/core"
import type { DomainVerifier } from "@effect-sspi/ntlm"
import { ntowfv1, ntowfv2 } from "../../src/internal/owf.ts"
import { decodeNtlmv2Response, ntProofStr, sessionBaseKeyV2 } from "../../src/internal/responses.ts"

export const PASSWORD = "Passw0rd!"
export const SID = "S-1-5-21-1-2-3"

/** Checks NTLMv2 like a DC for alice / PASSWORD; `key` overrides the session key it answers. */
export const toyDc = (calls: { n: number }, key?: Uint8Array): DomainVerifier.DomainVerifier["Service"] => ({
  verify: (request) =>
    Effect.suspend((): Effect.Effect<DomainVerifier.VerifyResult, DomainVerifier.VerifyError> => {
      calls.n++
      const decoded = decodeNtlmv2Response(request.ntResponse)
      if (Result.isFailure(decoded)) return Effect.fail(new SecurityError.InvalidToken({ detail: "not an NTLMv2 response" }))
      const v2 = decoded.success
      const responseKey = ntowfv2(ntowfv1(PASSWORD), request.user, request.domain)
      const proof = ntProofStr(responseKey, request.serverChallenge, v2.temp)
      if (request.user !== "alice" || Buffer.compare(proof, v2.ntProofStr) !== 0) {
        return Effect.fail(new SecurityError.LogonDenied({ detail: "the DC said no" }))
      }
      return Effect.succeed({
        userSessionKey: key?.slice() ?? sessionBaseKeyV2(responseKey, proof),
        validation: {
          user: "alice",
          logonDomain: "CORP",
          upn: "alice@corp.test",
          userSid: `${SID}-1104`,
          primaryGroupSid: `${SID}-513`,
          groupSids: [{ sid: `${SID}-513`, attributes: 7 }, { sid: `${SID}-1105`, attributes: 7 }]
        }
      })
    })
})

