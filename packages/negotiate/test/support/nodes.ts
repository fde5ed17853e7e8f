/**
 * Test "nodes" for SPNEGO handshakes split between processes: independent
 * Negotiate/NTLM package instances (each its own SSPI runtime, as separate
 * processes have) over one shared HandshakeStore, and a client runtime of
 * its own (a client on a node's runtime would trip NTLM's reflection check).
 */
import { Context, Effect, Exit, Layer, Redacted } from "effect"
import { Flags, HandshakeStore, SecurityContext, SecurityStatus, SspiRuntime } from "@effect-sspi/core"
import type { Negotiate } from "@effect-sspi/negotiate"
import type { Ntlm } from "@effect-sspi/ntlm"
import { kerberosStandIn } from "./kerberosStandIn.ts"
import { credentials, negotiateLayer } from "./runtime.ts"

/** One runtime: effects needing the SSPI runtime run on it. */
export interface Node {
  readonly run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, SspiRuntime.SspiRuntime>>
}

const nodeOf = (layer: Layer.Layer<SspiRuntime.SspiRuntime, unknown>) =>
  Effect.map(Layer.build(layer), (context): Node => ({
    run: (effect) => Effect.provideService(effect, SspiRuntime.SspiRuntime, Context.get(context, SspiRuntime.SspiRuntime))
  }))

/**
 * A server node: Negotiate over NTLM (and the Kerberos stand-in when
 * `kerberos`), NTLM over `store` (none: each node its own memory, as before issue 12).
 */
export const node = (
  store: HandshakeStore.HandshakeStoreService | undefined,
  ntlm: Omit<Ntlm.NtlmOptions, "userStore"> = {},
  negotiate: { readonly kerberos?: boolean; readonly acceptorNtlm?: Negotiate.NtlmPolicy } = {}
) =>
  nodeOf(negotiateLayer(negotiate.kerberos === true ? kerberosStandIn : undefined, negotiate.acceptorNtlm === undefined ? {} : { acceptorNtlm: negotiate.acceptorNtlm }, {
    serverNames: { dnsComputer: "server.example" },
    ...ntlm
  }).pipe(
    Layer.provide(store === undefined ? Layer.empty : Layer.succeed(HandshakeStore.HandshakeStore, store))
  ) as Layer.Layer<SspiRuntime.SspiRuntime, unknown>)

/** A client machine: Negotiate over NTLM, and over a one-leg Kerberos stand-in when `kerberos` (its mechTypes then start with Kerberos). */
export const clientMachine = (kerberos = false) =>
  nodeOf(negotiateLayer(kerberos ? kerberosStandIn : undefined) as Layer.Layer<SspiRuntime.SspiRuntime, unknown>)

/** The status name of an exit. */
export const statusOf = (exit: Exit.Exit<unknown, unknown>) =>
  SecurityStatus.nameOf(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>)) ?? "unknown status"

const alice = { user: "alice", domain: "EXAMPLE" }

/** A Negotiate initiator for HTTP/localhost as EXAMPLE\alice on `client` (NTLM only, or Kerberos then NTLM). */
export const initiator = (client: Node, password: string, kerberos = false) =>
  client.run(Effect.flatMap(
    credentials("Negotiate", Flags.CredentialUse.OUTBOUND, {
      ntlm: { ...alice, password: Redacted.make(password) },
      ...(kerberos ? { kerberos: {} } : {})
    }),
    (c) => SecurityContext.initiator(c, { targetName: "HTTP/localhost" })
  ))

/** A fresh Negotiate acceptor on `n` (in the caller's scope). */
export const acceptor = (n: Node) =>
  n.run(Effect.flatMap(credentials("Negotiate", Flags.CredentialUse.INBOUND), (c) => SecurityContext.acceptor(c)))

/** `token` to a context on `n`: the exit, its status name and, on SEC_E_OK, the user name. */
export const give = (n: Node, context: SecurityContext.SecurityContext, token: Uint8Array) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(n.run(context.step(token)))
    const user = Exit.isSuccess(exit) && exit.value.done ? (yield* n.run(context.query("Names"))).userName : undefined
    // the step's own status: a success may be SEC_I_CONTINUE_NEEDED, which statusOf(exit) reports as SEC_E_OK
    return { exit, status: Exit.isSuccess(exit) ? exit.value.status : statusOf(exit), user, token: Exit.isSuccess(exit) ? exit.value.token : undefined }
  })
