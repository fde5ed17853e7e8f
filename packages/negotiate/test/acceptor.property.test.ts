/**
 * fast-check: the Negotiate entry points (acceptor first leg, acceptor's
 * second leg after a real first one, initiator's second leg) answer every
 * input, arbitrary or a mutation of a real token, with a step or a typed
 * SECURITY_STATUS failure: never a throw, never a defect.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted, Scope, Layer } from "effect"
import fc from "fast-check"
import { Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Negotiate } from "@effect-sspi/negotiate"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { fixture, hex } from "./support.ts"

const alice = () => ({ user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") })
const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)
const request = (input: ReadonlyArray<SecBuffer.SecBuffer>): SecurityPackage.HandshakeRequest =>
  ({ targetName: "HTTP/localhost", contextReq: 0, dataRep: 0x10, input, now: Date.now() })
const tok = (b: Uint8Array) => [SecBuffer.token(b)]
const tokenOf = (step: { readonly output: ReadonlyArray<SecBuffer.SecBuffer> }) => SecBuffer.find(step.output, SecBuffer.BufferType.TOKEN)!.data

// the store zeroes its hashes when its scope closes: kept open for the file
const store = run(Layer.buildWithScope(UserStore.layerMemory([alice()]), run(Scope.make())))
const server = Negotiate.make({ ntlm: run(Ntlm.withUserStore().pipe(Effect.provideContext(store))) })
const client = Negotiate.make({ ntlm: Ntlm.make() })
const serverCred = run(server.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.INBOUND, authData: {}, now: 0 })).credential
const clientCred = run(client.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ntlm: alice() }, now: 0 })).credential

/** Success or a typed failure; a defect fails the property. */
const typedOnly = <A, E>(effect: Effect.Effect<A, E>) => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isFailure(exit)) assert.isTrue(exit.cause.reasons.every(Cause.isFailReason), Cause.pretty(exit.cause))
}

const mutant = (seeds: ReadonlyArray<Uint8Array>) =>
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat())
    .map(([seed, edits, cut]) => {
      const b = Uint8Array.from(seed)
      for (const [at, v] of edits) b[at % b.length] = v
      return cut % 4 === 0 ? b.subarray(0, cut % (b.length + 1)) : b
    })

describe("Negotiate entry points never defect", () => {
  const init = tokenOf(run(client.initialize(clientCred, undefined, request([]))))
  const seeds = [init, ...fixture("spnego-ntlm").tokens.map((t) => hex(t.hex)), ...fixture("spnego-krb5").tokens.map((t) => hex(t.hex))]

  it("acceptor, first leg: arbitrary bytes and mutated real tokens", () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutant(seeds)), (b) => {
      typedOnly(server.accept(serverCred, undefined, request(tok(b))))
    }), { numRuns: 1500 })
  })

  it("acceptor, second leg and initiator, second leg: mutations of the live tokens", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.boolean(), (edits, acceptorSide) => {
      const c1 = run(client.initialize(clientCred, undefined, request([])))
      const s1 = run(server.accept(serverCred, undefined, request(c1.output)))
      const token = acceptorSide ? tokenOf(run(client.initialize(clientCred, c1.state, request(s1.output)))) : tokenOf(s1)
      const b = Uint8Array.from(token)
      for (const [at, v] of edits) b[at % b.length] = v
      typedOnly(acceptorSide ? server.accept(serverCred, s1.state, request(tok(b))) : client.initialize(clientCred, c1.state, request(tok(b))))
    }), { numRuns: 300 })
  })
})
