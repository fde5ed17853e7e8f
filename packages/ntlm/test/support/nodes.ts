/**
 * Test "nodes": independent NTLM package instances (each its own SSPI
 * runtime, as separate processes have) that share one HandshakeStore, and a
 * handshake split between two of them: node A answers the NEGOTIATE, node B
 * gets the AUTHENTICATE on a fresh acceptor context.
 */
import { Context, Effect, Exit, Layer, Result } from "effect"
import { HandshakeStore, SecurityContext, SecurityPackage, SecurityStatus, SspiRuntime } from "@effect-sspi/core"
import type { Drivers } from "@effect-sspi/interop-harness"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { findAvPair } from "../../src/internal/avpairs.ts"
import { AvId } from "../../src/internal/constants.ts"
import { decodeAuthenticate, decodeChallenge } from "../../src/internal/messages.ts"
import { decodeNtlmv2Response } from "../../src/internal/responses.ts"
import { serverCredentials, users } from "./runtime.ts"

/** One node: effects needing the SSPI runtime run on its own. */
export interface Node {
  readonly run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, SspiRuntime.SspiRuntime>>
  /** Its NTLM package's counters. */
  readonly stats: Effect.Effect<Ntlm.NtlmStats>
}

/** A node whose NTLM package takes `store` from its context (as `withUserStore` does in an app). */
export const node = (store: HandshakeStore.HandshakeStoreService, options: Omit<Ntlm.NtlmOptions, "userStore"> = {}) => {
  let pkg: Ntlm.NtlmPackage | undefined
  const made = Ntlm.withUserStore({ ...options, serverNames: { dnsComputer: "server.example", ...options.serverNames } }).pipe(
    Effect.tap((p) => Effect.sync(() => (pkg = p)))
  )
  return Effect.map(
    Layer.build(
      SspiRuntime.SspiRuntime.layer.pipe(
        Layer.provide(SecurityPackage.SecurityPackages.layer(made)),
        Layer.provide(UserStore.layerMemory(users)),
        Layer.provide(Layer.succeed(HandshakeStore.HandshakeStore, store))
      )
    ),
    (context): Node => ({
      run: (effect) => Effect.provideService(effect, SspiRuntime.SspiRuntime, Context.get(context, SspiRuntime.SspiRuntime)),
      stats: Effect.suspend(() => pkg!.stats)
    })
  )
}

/** The status name of an exit. */
export const statusOf = (exit: Exit.Exit<unknown, unknown>) =>
  SecurityStatus.nameOf(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>)) ?? "unknown status"

/** A fresh acceptor context on `n` (its own scope: the caller's). */
export const freshAcceptor = (n: Node) => n.run(Effect.flatMap(serverCredentials(), (c) => SecurityContext.acceptor(c)))

/** A fresh acceptor on `n` given `token` as its first input; the step's exit and, on success, the user name. */
export const acceptFresh = (n: Node, token: Uint8Array) =>
  Effect.gen(function*() {
    const context = yield* freshAcceptor(n)
    const exit = yield* Effect.exit(n.run(context.step(token)))
    const user = Exit.isSuccess(exit) ? (yield* n.run(context.query("Names"))).userName : undefined
    // the step's own status: a success may be SEC_I_CONTINUE_NEEDED, which statusOf(exit) reports as SEC_E_OK
    return { exit, status: Exit.isSuccess(exit) ? exit.value.status : statusOf(exit), user, context }
  })

/** The messages of a handshake split between node `a` (NEGOTIATE → CHALLENGE) and `b` (a fresh context gets the AUTHENTICATE). */
export interface Split {
  readonly negotiate: Uint8Array
  readonly challenge: Uint8Array
  readonly authenticate: Uint8Array
  /** Node A's context, still waiting for an AUTHENTICATE. */
  readonly onA: SecurityContext.SecurityContext
  readonly status: string
  readonly user: string | undefined
}

/** Runs `client` against node A for the first leg and node B for the last; `tamper` sits between the client and node B. */
export const splitHandshake = <E>(
  client: Drivers.Stepper<E>,
  a: Node,
  b: Node,
  tamper: (authenticate: Uint8Array) => Uint8Array = (t) => t
) =>
  Effect.gen(function*() {
    const onA = yield* freshAcceptor(a)
    const negotiate = (yield* client.step(null)).token!
    const challenge = (yield* a.run(onA.step(negotiate))).token!
    const authenticate = (yield* client.step(challenge)).token!
    const r = yield* acceptFresh(b, tamper(authenticate))
    return { negotiate, challenge, authenticate, onA, status: r.status, user: r.user } satisfies Split
  })

/** What the CHALLENGE sent and the AUTHENTICATE echoed: the MsvAvTimestamp pair (hex) and the client's own timestamp. */
export const echoOf = (challenge: Uint8Array, authenticate: Uint8Array) => {
  const sent = findAvPair(Result.getOrThrow(decodeChallenge(challenge)).targetInfo ?? [], AvId.MsvAvTimestamp)!
  const nt = Result.getOrThrow(decodeAuthenticate(authenticate)).message.ntChallengeResponse
  const response = Result.getOrThrow(decodeNtlmv2Response(nt))
  const echoed = findAvPair(response.avPairs, AvId.MsvAvTimestamp)
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")
  return {
    sent: hex(sent.value),
    echoed: echoed === undefined ? undefined : hex(echoed.value),
    sentValue: new DataView(sent.value.buffer, sent.value.byteOffset, 8).getBigUint64(0, true),
    clientTimestamp: response.timestamp
  }
}
