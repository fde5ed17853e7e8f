/**
 * Tokens for the multi-process tests: a fresh SPNEGO(Kerberos) AP-REQ from
 * our Negotiate initiator, our NTLM initiator's NEGOTIATE, and one request
 * presenting a token to a server on a fresh connection (so that it can be
 * replayed elsewhere).
 */
import { Agent } from "node:http"
import { Context, Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Drivers, type Realm } from "@effect-sspi/interop-harness"
import { runtimeLayer } from "../src/internal/packages.ts"
import * as Clients from "./proxyClients.ts"

/** A fresh SPNEGO(Kerberos) AP-REQ for HTTP/localhost from our Negotiate initiator (alice's tickets in the realm's ccache). */
export const apReq = (realm: Realm.Realm) =>
  Effect.scoped(Effect.gen(function*() {
    const runtime = Context.get(
      yield* Layer.build(runtimeLayer({ negotiate: true, kerberos: { env: realm.env }, negotiateWithoutNtlm: true })),
      SspiRuntime.SspiRuntime
    )
    return yield* Effect.gen(function*() {
      const credentials = yield* Credentials.acquire({ packageName: "Negotiate", credentialUse: Flags.CredentialUse.OUTBOUND })
      const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/localhost" })
      const first = yield* context.step(undefined)
      return Drivers.toBase64(first.token!)
    }).pipe(Effect.provideService(SspiRuntime.SspiRuntime, runtime))
  }))

/** One Negotiate request with `token` to `url` (a server's origin), on a fresh connection: the status. */
export const present = (url: string, token: string) =>
  Effect.map(Clients.get(`${url}/`, new Agent({ keepAlive: false }), { authorization: `Negotiate ${token}` }), (r) => r.status)

/** Our NTLM initiator's NEGOTIATE message (the first leg of a handshake). */
export const ntlmNegotiate = (runtime: SspiRuntime.SspiRuntime["Service"]) =>
  Effect.scoped(Effect.gen(function*() {
    const credentials = yield* Credentials.acquire({
      packageName: "NTLM",
      credentialUse: Flags.CredentialUse.OUTBOUND,
      authData: { domain: Clients.user.domain, user: Clients.user.user, password: Redacted.make(Clients.user.password) }
    })
    const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/localhost" })
    return (yield* context.step(undefined)).token!
  })).pipe(Effect.provideService(SspiRuntime.SspiRuntime, runtime))
