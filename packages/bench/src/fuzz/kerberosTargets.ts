/**
 * Kerberos fuzz targets against a throwaway MIT realm (the interop
 * harness): real AP-REQs from our initiator (a service ticket from MIT's
 * KDC, cached by the credential) fed mutated to our acceptor (keytab), real
 * AP-REPs fed mutated to our initiator, and the realm's keytab fed mutated
 * to `Keytab.decode`, and the realm's TGT in a KRB-CRED fed mutated to the
 * acceptor's delegation check (credTargets.ts), and the PAC of MIT's
 * service ticket (ticketTargets.ts). Without the MIT tools the targets are
 * skipped, loudly.
 */
import { readFileSync } from "node:fs"
import { Effect, Result, type Scope } from "effect"
import { Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Kerberos, Keytab } from "@effect-sspi/kerberos"
import { peersAvailableSync, Realm } from "@effect-sspi/interop-harness"
import { execFileSync } from "node:child_process"
import { krbCredTargets } from "./credTargets.ts"
import { delegationTarget } from "./delegationTarget.ts"
import { outcomeOf, type Outcome, type Target } from "./runner.ts"
import { mitPacTarget } from "./ticketTargets.ts"

const contextReq = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT |
  Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY
const request = (input: ReadonlyArray<SecBuffer.SecBuffer>): SecurityPackage.HandshakeRequest =>
  ({ targetName: "HTTP/localhost", contextReq, dataRep: 0x10, input, now: Date.now() })
const tokenOf = (step: { readonly output: ReadonlyArray<SecBuffer.SecBuffer> }) =>
  SecBuffer.find(step.output, SecBuffer.BufferType.TOKEN)!.data

/** The Kerberos targets and their seeds (AP-REQ, AP-REP), or why there are none. */
export const kerberosTargets: Effect.Effect<
  { readonly targets: Array<Target>; readonly seeds: Array<Uint8Array> } | string,
  never,
  Scope.Scope
> = Effect.gen(function*(): Effect.fn.Return<{ readonly targets: Array<Target>; readonly seeds: Array<Uint8Array> } | string, unknown, Scope.Scope> {
  if (!peersAvailableSync().krb5) return "MIT Kerberos tools not installed (npm run peers): Kerberos targets skipped"
  const realm = yield* Realm.start()
  yield* Realm.kinit(realm)
  const pkg = yield* Kerberos.make({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env, replayCacheSize: 4_000_000 })
  const now = Date.now()
  const client = (yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ccache: realm.env["KRB5CCNAME"] }, now })).credential
  const server = (yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: realm.keytab }, now })).credential
  // the first leg asks MIT's KDC for the service ticket; later legs use the cached one (no I/O)
  const c1 = yield* pkg.initialize(client, undefined, request([]))
  const s1 = yield* pkg.accept(server, undefined, request(c1.output))
  const apReq = tokenOf(c1)
  const apRep = tokenOf(s1)
  yield* pkg.deleteContext(s1.state)
  yield* pkg.deleteContext(c1.state)
  const keytab = new Uint8Array(readFileSync(realm.keytab))
  // MIT's kvno puts the service ticket and its session key into the ccache (delegationTarget.ts)
  execFileSync("/usr/bin/kvno", ["HTTP/localhost"], { env: { ...process.env, ...realm.env }, stdio: "ignore" })
  const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)
  const step = (effect: Effect.Effect<SecurityPackage.HandshakeStep<Parameters<typeof pkg.deleteContext>[0]>, unknown>): Outcome => {
    let state: Parameters<typeof pkg.deleteContext>[0] | undefined
    const outcome = outcomeOf(Effect.tap(effect, (s) => Effect.sync(() => (state = s.state))))
    if (state !== undefined) run(pkg.deleteContext(state))
    return outcome
  }
  const targets: Array<Target> = [
    {
      name: "Kerberos acceptor (AP-REQ, keytab)",
      seeds: [apReq],
      run: (b) => step(pkg.accept(server, undefined, request([SecBuffer.token(b)]))),
      live: () => {
        const first = run(pkg.initialize(client, undefined, request([])))
        run(pkg.deleteContext(first.state))
        return { token: tokenOf(first), feed: (b) => step(pkg.accept(server, undefined, request([SecBuffer.token(b)]))) }
      }
    },
    {
      name: "Kerberos initiator, leg 2 (AP-REP)",
      seeds: [apRep],
      run: (b) => {
        const first = run(pkg.initialize(client, undefined, request([])))
        return step(pkg.initialize(client, first.state, request([SecBuffer.token(b)])))
      },
      live: () => {
        const first = run(pkg.initialize(client, undefined, request([])))
        const answer = run(pkg.accept(server, undefined, request(first.output)))
        run(pkg.deleteContext(answer.state))
        return { token: tokenOf(answer), feed: (b) => step(pkg.initialize(client, first.state, request([SecBuffer.token(b)]))) }
      }
    },
    { name: "Kerberos keytab decoder (Keytab.decode)", seeds: [keytab], run: (b) => Result.isSuccess(Keytab.decode(b)) ? "ok" : "typed" },
    ...krbCredTargets(realm.env["KRB5CCNAME"]!),
    mitPacTarget(apReq, keytab),
    delegationTarget(realm.env["KRB5CCNAME"]!, "HTTP/localhost", (b) => step(pkg.accept(server, undefined, request([SecBuffer.token(b)]))))
  ]
  return { targets, seeds: [apReq, apRep] }
}).pipe(Effect.catch((e) => Effect.succeed(`Kerberos targets skipped: ${String(e)}`)))
