/**
 * `sspi serve --forward-to URL` (issue 13 item 4): `GET /forward` calls URL
 * as the authenticated user and answers the back-end's status and body.
 * The user's credential is, in this order: the TGT the client delegated
 * (`SspiServer.delegated`), else, with `--s4u`, a ticket from S4U2Self for
 * the user's name then S4U2Proxy to the back-end's SPN (`HTTP/<host of URL>`
 * unless `--forward-spn`) from the service's keytab (MS-SFU 3.1.5.1,
 * 3.1.5.2; `Delegation.asDelegatedCredential`). Either way one path calls
 * the back-end: `SspiClient.delegated` with Negotiate. With neither it
 * answers 403 with the reason and the back-end is never called, so never
 * with the server's own identity.
 */
import { Clock, type Context, Effect } from "effect"
import { HttpClient, HttpServerRequest, HttpServerResponse } from "effect/http"
import { Flags, type SecurityPackage, type SspiRuntime } from "@effect-sspi/core"
import { type Connector, Principal, type PrincipalInfo, SspiClient, SspiServer } from "@effect-sspi/http"
import { explain } from "../failure.ts"
import { loadKerberos } from "../kerberosModule.ts"

/** What `--forward-to` needs. */
export interface ForwardOptions {
  readonly url: string
  /** The back-end's SPN (`--forward-spn`, else {@link backendSpn} of the URL). */
  readonly spn: string
  /** The service's keytab for S4U (`--s4u`); undefined: delegated TGTs only. */
  readonly s4uKeytab: string | undefined
}

/** The services the back-end call runs with (captured where the server is built). */
export type ClientServices = HttpClient.HttpClient | Connector.Connector | SspiRuntime.SspiRuntime

/** The back-end's SPN: `HTTP/<host of URL>`. */
export const backendSpn = (url: string): string => `HTTP/${new URL(url).hostname}`

const answer = (response: { readonly status: number; readonly text: Effect.Effect<string, unknown> }) =>
  Effect.map(response.text, (body) => HttpServerResponse.text(body, { status: response.status }))

/**
 * The back-end call as the user with `credential` (`SspiServer.delegated`'s
 * kind of value): Negotiate through `SspiClient`, which checks the
 * back-end's AP-REP (mutual authentication).
 */
const callAs = (url: string, spn: string, credential: SecurityPackage.ContextAttributes["DelegatedCredential"]) =>
  Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(SspiClient.withAuthentication({
      schemes: ["Negotiate"],
      credentials: SspiClient.delegated(credential),
      targetName: () => spn
    }))
    return yield* answer(yield* client.get(url))
  })

/**
 * Who does S4U: the keytab's first one-component principal (the service
 * account, `svc` or `NAME$`, which AD trusts for delegation), else its first
 * principal (MIT: the service itself).
 */
const s4uClient = (keytab: string) =>
  Effect.gen(function*() {
    const { Keytab } = yield* loadKerberos
    const entries = yield* Keytab.read(keytab)
    const account = entries.find((e) => e.principal.name.components.length === 1) ?? entries[0]
    const name = account === undefined ? undefined : `${account.principal.name.components.join("/")}@${account.principal.realm}`
    Keytab.wipe(entries)
    return name
  })

/**
 * The user's credential for the back-end from the service's keytab:
 * S4U2Self for `user`, then S4U2Proxy to `spn`, as `SspiServer.delegated`'s
 * kind of value (`Delegation.asDelegatedCredential`). Scoped: the
 * credentials are freed when the call is over.
 */
const s4uCredential = (spn: string, keytab: string, user: string) =>
  Effect.gen(function*() {
    const { Delegation, Kerberos } = yield* loadKerberos
    const options = {}
    const pkg = yield* Kerberos.make(options)
    const now = yield* Clock.currentTimeMillis
    const held = <A extends Parameters<typeof pkg.freeCredentials>[0], E>(acquire: Effect.Effect<A, E>) =>
      Effect.acquireRelease(acquire, (c) => pkg.freeCredentials(c))
    const service = yield* held(Effect.map(
      pkg.acquireCredentials({ principal: yield* s4uClient(keytab), credentialUse: Flags.CredentialUse.OUTBOUND, authData: { keytab }, now }),
      (g) => g.credential
    ))
    const evidence = yield* held(Delegation.impersonate(options, service, user))
    const asUser = yield* held(Delegation.proxy(options, service, evidence, spn))
    return yield* Delegation.asDelegatedCredential(asUser)
  })

/**
 * The realm user S4U2Self asks for, for the authenticated `principal`, or
 * why there is none. A Kerberos name (`user@REALM`) is asked for as it is.
 * An NTLM logon (`DOMAIN\\user`, or a bare `user`) only when the domain
 * verified it (its logon info carries the user's SID: Netlogon, MS-NRPC
 * 3.5.4.5.1), as `user@<its DNS domain>` when known, else `user` in the
 * service's realm. An account of a local user store is refused: MS-SFU
 * 3.1.5.1.1 has the service name the user it authenticated, and a name from
 * another authority would let a local account act as the realm's namesake
 * (`EXAMPLE\\alice` of a users file is not `alice@REALM`).
 */
export const s4uUser = (
  principal: Pick<PrincipalInfo, "name" | "userSid" | "dnsDomain">
): { readonly user: string } | { readonly refused: string } => {
  const { name } = principal
  const slash = name.indexOf("\\")
  if (slash < 0 && name.includes("@")) return { user: name }
  if (principal.userSid === undefined) {
    return { refused: `${name} is an NTLM logon no domain verified (a local account), not a user of the realm` }
  }
  const user = name.slice(slash + 1)
  const domain = principal.dnsDomain
  return { user: domain === undefined || domain === "" ? user : `${user}@${domain.toUpperCase()}` }
}

/**
 * The `/forward` page; `services` are the back-end client's. Failures other
 * than "no way to act for the user" are a 502 naming the cause.
 */
export const page = (options: ForwardOptions, services: Context.Context<ClientServices>) =>
  Effect.gen(function*() {
    const principal = yield* Principal
    const delegated = yield* Effect.result(SspiServer.delegated)
    if (delegated._tag === "Success") return yield* callAs(options.url, options.spn, delegated.success)
    if (options.s4uKeytab === undefined) {
      return HttpServerResponse.text(
        `403 cannot act for ${principal.name}: ${delegated.failure.message}; the server has no --s4u, and never calls the back-end as itself\n`,
        { status: 403 }
      )
    }
    const user = s4uUser(principal)
    if ("refused" in user) {
      return HttpServerResponse.text(`403 cannot act for ${principal.name}: ${user.refused}; S4U refused\n`, { status: 403 })
    }
    return yield* callAs(options.url, options.spn, yield* s4uCredential(options.spn, options.s4uKeytab, user.user))
  }).pipe(
    Effect.scoped,
    Effect.provide(services),
    Effect.catch((e) => Effect.succeed(HttpServerResponse.text(`502 ${explain(e)}\n`, { status: 502 })))
  )

/** `/forward` → {@link page}, every other path → `fallback`. */
export const app = <E, R>(
  options: ForwardOptions,
  services: Context.Context<ClientServices>,
  fallback: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    return request.url.split("?")[0] === "/forward" ? yield* page(options, services) : yield* fallback
  })
