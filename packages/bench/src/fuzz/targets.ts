/**
 * Fuzz targets without a KDC: the DER codec, NTLM (decoder, acceptor legs 1
 * and 2, initiator given a CHALLENGE), SPNEGO (decoder, Negotiate acceptor
 * and initiator) and the HTTP Authorization / WWW-Authenticate parsers, all
 * through the public APIs, seeded with real tokens: the project's own
 * initiators and acceptors, and the captured MIT/gss-ntlmssp handshakes in
 * packages/negotiate/test/fixtures.
 */
import { readFileSync } from "node:fs"
import { Effect, Layer, Redacted, Result, Scope } from "effect"
import { decode as derDecode, type Reader } from "@effect-sspi/asn1"
import { Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { AuthHeader } from "@effect-sspi/http"
import { Negotiate, SpnegoToken } from "@effect-sspi/negotiate"
import { Ntlm, NtlmMessage, UserStore } from "@effect-sspi/ntlm"
import { type Outcome, outcomeOf, type Target } from "./runner.ts"

const fixtures = new URL("../../../negotiate/test/fixtures/", import.meta.url)

/** The tokens of a captured handshake (fixtures/capture.sh). */
export const fixtureTokens = (name: string): Array<Uint8Array> =>
  (JSON.parse(readFileSync(new URL(`${name}.json`, fixtures), "utf8")) as { tokens: Array<{ hex: string }> }).tokens
    .map((t) => new Uint8Array(Buffer.from(t.hex, "hex")))

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)
const result = (r: Result.Result<unknown, unknown>): Outcome => Result.isSuccess(r) ? "ok" : "typed"

export const request = (input: ReadonlyArray<SecBuffer.SecBuffer>): SecurityPackage.HandshakeRequest => ({
  targetName: "HTTP/localhost",
  contextReq: Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY,
  dataRep: 0x10,
  input,
  now: Date.now()
})
const tok = (b: Uint8Array) => [SecBuffer.token(b)]
export const tokenOf = (step: { readonly output: ReadonlyArray<SecBuffer.SecBuffer> }) =>
  SecBuffer.find(step.output, SecBuffer.BufferType.TOKEN)!.data

/** A fresh identity each time: the user store may wipe the Redacted password it was given. */
const alice = () => ({ user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") })

/** A package's step, its state deleted after (nothing leaks across inputs). */
export const stepOutcome = <C, S>(pkg: SecurityPackage.SecurityPackage<C, S>, effect: Effect.Effect<SecurityPackage.HandshakeStep<S>, unknown>): Outcome => {
  const exit = outcomeOfStep(effect)
  if (exit.state !== undefined) run(pkg.deleteContext(exit.state))
  return exit.outcome
}
const outcomeOfStep = <S>(effect: Effect.Effect<SecurityPackage.HandshakeStep<S>, unknown>) => {
  let state: S | undefined
  const outcome = outcomeOf(Effect.tap(effect, (step) => Effect.sync(() => (state = step.state))))
  return { outcome, state }
}

/** NTLM and Negotiate packages (acceptor over a memory user store, with `options`) and their credentials. */
export const ntlmWorld = (options: Omit<Ntlm.NtlmOptions, "userStore"> = {}) => {
  // client and server are separate package instances, as on two machines (NTLM detects reflection
  // of its own outstanding challenges within one instance)
  // the store zeroes its hashes when its layer's scope closes: this scope stays open for the run
  const storeScope = run(Scope.make())
  const store = run(Layer.buildWithScope(UserStore.layerMemory([alice()]), storeScope))
  const ntlm = run(Ntlm.withUserStore(options).pipe(Effect.provideContext(store)))
  const clientNtlm = Ntlm.make()
  const negotiate = Negotiate.make({ ntlm })
  const clientNegotiate = Negotiate.make({ ntlm: clientNtlm })
  const acquire = <C, S>(pkg: SecurityPackage.SecurityPackage<C, S>, use: number, authData: unknown) =>
    run(pkg.acquireCredentials({ principal: undefined, credentialUse: use as never, authData, now: Date.now() })).credential
  return {
    ntlm,
    negotiate,
    ntlmClient: acquire(clientNtlm, Flags.CredentialUse.OUTBOUND, alice()),
    ntlmServer: acquire(ntlm, Flags.CredentialUse.INBOUND, {}),
    negClient: acquire(clientNegotiate, Flags.CredentialUse.OUTBOUND, { ntlm: alice() }),
    negServer: acquire(negotiate, Flags.CredentialUse.INBOUND, {}),
    clientNtlm,
    clientNegotiate
  }
}

/** Real NTLM tokens: ours (NEGOTIATE, CHALLENGE, AUTHENTICATE) and gss-ntlmssp's (the fixture). */
const ntlmTokens = (w: ReturnType<typeof ntlmWorld>) => {
  const c1 = run(w.clientNtlm.initialize(w.ntlmClient, undefined, request([])))
  const s1 = run(w.ntlm.accept(w.ntlmServer, undefined, request(c1.output)))
  const c2 = run(w.clientNtlm.initialize(w.ntlmClient, c1.state, request(s1.output)))
  const spnego = fixtureTokens("spnego-ntlm").map((t) => SpnegoToken.decode(t))
  const inner = spnego.flatMap((r) =>
    Result.isSuccess(r) ? [("mechToken" in r.success ? r.success.mechToken : undefined) ?? ("responseToken" in r.success ? r.success.responseToken : undefined)] : []
  ).filter((t): t is Uint8Array => t !== undefined)
  run(w.clientNtlm.deleteContext(c2.state))
  run(w.ntlm.deleteContext(s1.state))
  return { negotiate: tokenOf(c1), challenge: tokenOf(s1), authenticate: tokenOf(c2), peer: inner }
}

/** Every typed reader of the DER codec on one input. */
const walk = (r: Reader): Result.Result<number, unknown> =>
  Result.gen(function*() {
    let n = 0
    while (!r.done) {
      const tlv = yield* r.next()
      n++
      if (tlv.constructed) n += yield* walk(yield* r.enter(tlv))
    }
    return n
  })
const readers: ReadonlyArray<(r: Reader) => Result.Result<unknown, unknown>> = [
  walk,
  (r) => r.gssInitialContextToken().pipe(Result.flatMap((g) => walk(g.inner))),
  (r) => r.oid().pipe(Result.map(String)),
  (r) => r.application(14).pipe(Result.flatMap(walk)),
  (r) => r.integer(),
  (r) => r.generalizedTime(),
  (r) => r.kerberosString(),
  (r) => r.bitString()
]

export const makeTargets = (kerberosSeeds: ReadonlyArray<Uint8Array>): Array<Target> => {
  const w = ntlmWorld()
  const t = ntlmTokens(w)
  const spnegoFixtures = [...fixtureTokens("spnego-ntlm"), ...fixtureTokens("spnego-krb5"), ...fixtureTokens("spnego-init2")]
  const negInit = tokenOf(run(w.clientNegotiate.initialize(w.negClient, undefined, request([]))))
  const negFirst = run(w.negotiate.accept(w.negServer, undefined, request(tok(negInit))))
  const negResp = tokenOf(negFirst)
  run(w.negotiate.deleteContext(negFirst.state))
  const ntlmSeeds = [t.negotiate, t.challenge, t.authenticate, ...t.peer]
  const derSeeds = [...kerberosSeeds, ...spnegoFixtures, negInit, negResp]

  return [
    {
      name: "asn1 (DER reader)",
      seeds: derSeeds,
      run: (b) => {
        let ok = false
        for (const f of readers) ok = Result.isSuccess(derDecode(b, f)) || ok
        return ok ? "ok" : "typed"
      }
    },
    { name: "NTLM decoder (NtlmMessage.decode)", seeds: ntlmSeeds, run: (b) => result(NtlmMessage.decode(b)) },
    {
      name: "NTLM acceptor, leg 1 (NEGOTIATE)",
      seeds: [t.negotiate, ...t.peer.slice(0, 1)],
      run: (b) => stepOutcome(w.ntlm, w.ntlm.accept(w.ntlmServer, undefined, request(tok(b))))
    },
    {
      name: "NTLM acceptor, leg 2 (AUTHENTICATE for a live CHALLENGE)",
      seeds: [t.authenticate, ...t.peer.slice(1)],
      run: (b) => {
        const s1 = run(w.ntlm.accept(w.ntlmServer, undefined, request(tok(t.negotiate))))
        return stepOutcome(w.ntlm, w.ntlm.accept(w.ntlmServer, s1.state, request(tok(b))))
      },
      live: () => {
        const c1 = run(w.clientNtlm.initialize(w.ntlmClient, undefined, request([])))
        const s1 = run(w.ntlm.accept(w.ntlmServer, undefined, request(c1.output)))
        const c2 = run(w.clientNtlm.initialize(w.ntlmClient, c1.state, request(s1.output)))
        run(w.clientNtlm.deleteContext(c2.state))
        return { token: tokenOf(c2), feed: (b) => stepOutcome(w.ntlm, w.ntlm.accept(w.ntlmServer, s1.state, request(tok(b)))) }
      }
    },
    {
      name: "NTLM initiator, leg 2 (CHALLENGE)",
      seeds: [t.challenge, ...t.peer.slice(0, 2)],
      run: (b) => {
        const c1 = run(w.clientNtlm.initialize(w.ntlmClient, undefined, request([])))
        return stepOutcome(w.clientNtlm, w.clientNtlm.initialize(w.ntlmClient, c1.state, request(tok(b))))
      }
    },
    {
      name: "SPNEGO decoder (SpnegoToken.decode/detect)",
      seeds: [...spnegoFixtures, negInit, negResp],
      run: (b) => {
        SpnegoToken.detect(b)
        return result(SpnegoToken.decode(b))
      }
    },
    {
      name: "Negotiate acceptor, leg 1 (NegTokenInit, bare NTLM/Kerberos)",
      seeds: [negInit, t.negotiate, ...spnegoFixtures, ...kerberosSeeds],
      run: (b) => stepOutcome(w.negotiate, w.negotiate.accept(w.negServer, undefined, request(tok(b))))
    },
    {
      name: "Negotiate initiator, leg 2 (NegTokenResp)",
      seeds: [negResp, ...spnegoFixtures.slice(1, 2)],
      run: (b) => {
        const c1 = run(w.clientNegotiate.initialize(w.negClient, undefined, request([])))
        return stepOutcome(w.clientNegotiate, w.clientNegotiate.initialize(w.negClient, c1.state, request(tok(b))))
      },
      live: () => {
        const c1 = run(w.clientNegotiate.initialize(w.negClient, undefined, request([])))
        const s1 = run(w.negotiate.accept(w.negServer, undefined, request(c1.output)))
        run(w.negotiate.deleteContext(s1.state))
        return { token: tokenOf(s1), feed: (b) => stepOutcome(w.clientNegotiate, w.clientNegotiate.initialize(w.negClient, c1.state, request(tok(b)))) }
      }
    },
    {
      name: "Negotiate acceptor, leg 2 (NegTokenResp with the NTLM AUTHENTICATE and mechListMIC)",
      seeds: [negResp],
      run: () => "typed",
      live: () => {
        const c1 = run(w.clientNegotiate.initialize(w.negClient, undefined, request([])))
        const s1 = run(w.negotiate.accept(w.negServer, undefined, request(c1.output)))
        const c2 = run(w.clientNegotiate.initialize(w.negClient, c1.state, request(s1.output)))
        run(w.clientNegotiate.deleteContext(c2.state))
        return { token: tokenOf(c2), feed: (b) => stepOutcome(w.negotiate, w.negotiate.accept(w.negServer, s1.state, request(tok(b)))) }
      }
    },
    {
      name: "HTTP Authorization / WWW-Authenticate parsing",
      seeds: [t.negotiate, negInit, negResp].map((b) => new Uint8Array(Buffer.from(
        `${AuthHeader.format("Negotiate", b)}, NTLM, Basic realm="x, y", Kerberos ${Buffer.from(b).toString("base64")}`,
        "latin1"
      ))),
      run: (b) => {
        const text = Buffer.from(b).toString("latin1")
        const credentials = AuthHeader.parseAuthorization(text, 65_536)
        AuthHeader.parseChallenges(text)
        return credentials?.token === undefined ? "typed" : "ok"
      }
    }
  ]
}
