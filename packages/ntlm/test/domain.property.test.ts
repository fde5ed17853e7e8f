/**
 * fast-check of the domain-verified acceptor: mutated real AUTHENTICATEs
 * (bit flips, field descriptors, truncation, random bytes) end in a typed
 * failure or a success, never a defect; the verifier is only ever asked
 * about an NTLMv2 response against the challenge the acceptor issued.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Cause, Effect, Exit, Redacted } from "effect"
import { Flags } from "@effect-sspi/core"
import { type DomainVerifier, Ntlm } from "@effect-sspi/ntlm"
import { PASSWORD, toyDc } from "./support/toyDc.ts"
import { syncPackage } from "./support/syncPackage.ts"

const calls = { n: 0 }
const asked: Array<DomainVerifier.VerifyRequest> = []
const dc = toyDc(calls)
const pkg = Ntlm.make({
  serverNames: { dnsComputer: "server.example", netbiosComputer: "WEB1", netbiosDomain: "CORP" },
  domainVerifier: { verify: (request) => Effect.suspend(() => (asked.push(request), dc.verify(request))) }
})
const NOW = Date.UTC(2026, 10, 30)
const { request, credential } = syncPackage(pkg, NOW)
const client = credential(Flags.CredentialUse.OUTBOUND, { user: "alice", domain: "CORP", password: Redacted.make(PASSWORD) })
const server = credential(Flags.CredentialUse.INBOUND, {})

const c1 = Effect.runSync(pkg.initialize(client, undefined, request(undefined)))
const negotiate = c1.output[0]!.data
const challengeOf = () => Effect.runSync(pkg.accept(server, undefined, request(negotiate)))
const s1 = challengeOf()
const authenticate = Effect.runSync(pkg.initialize(client, c1.state, request(s1.output[0]!.data))).output[0]!.data

const mutated = fc.oneof(
  fc.array(fc.nat({ max: authenticate.length * 8 - 1 }), { minLength: 1, maxLength: 6 }).map((bits) => {
    const c = authenticate.slice()
    for (const bit of bits) c[bit >> 3]! ^= 1 << (bit & 7)
    return c
  }),
  fc.tuple(fc.nat({ max: authenticate.length - 1 }), fc.integer({ min: 0, max: 0xffff })).map(([at, v]) => {
    const c = authenticate.slice()
    c[at] = v & 0xff
    if (at + 1 < c.length) c[at + 1] = v >> 8
    return c
  }),
  fc.nat({ max: authenticate.length }).map((n) => authenticate.subarray(0, n)),
  fc.uint8Array({ minLength: 0, maxLength: 400 })
)

describe("domain-verified accept never dies", () => {
  it("the real AUTHENTICATE is SEC_E_OK; mutated ones a typed failure or OK; only NTLMv2 against the issued challenge reaches the verifier", () => {
    expect(Exit.isSuccess(Effect.runSyncExit(pkg.accept(server, s1.state, request(authenticate))))).toBe(true)
    fc.assert(fc.property(mutated, (t) => {
      const step = challengeOf()
      const issued = step.state.serverChallenge.slice()
      asked.length = 0
      const exit = Effect.runSyncExit(pkg.accept(server, step.state, request(t)))
      if (Exit.isFailure(exit)) expect(Cause.hasDies(exit.cause)).toBe(false)
      for (const r of asked) {
        expect(r.ntResponse.length).toBeGreaterThan(24)
        expect(Buffer.compare(r.serverChallenge, issued)).toBe(0)
      }
      Effect.runSync(pkg.deleteContext(step.state))
    }), { numRuns: 300 })
  })
})
