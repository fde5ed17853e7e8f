/**
 * Handshake drivers: a client and a server context run against each other
 * in process, or one context over a token channel.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { SecurityContext, Step } from "./SecurityContext.ts"
import { InvalidToken, type SspiError } from "./SecurityError.ts"
import type { SspiRuntime } from "./SspiRuntime.ts"

/**
 * One leg as the driver saw it.
 *
 * @since 0.1.0
 */
export interface Leg extends Step {
  readonly role: SecurityContext["role"]
}

/**
 * A way to exchange tokens with the peer.
 *
 * @since 0.1.0
 */
export interface TokenChannel<E, R> {
  readonly send: (token: Uint8Array) => Effect.Effect<void, E, R>
  readonly receive: Effect.Effect<Uint8Array, E, R>
}

const defaultMaxLegs = 16

const tooLong = (maxLegs: number) => new InvalidToken({ detail: `the handshake did not finish in ${maxLegs} legs` })

/**
 * Runs `client` against `server` until both are established; returns every
 * leg in order.
 *
 * @since 0.1.0
 */
export const run = (
  client: SecurityContext,
  server: SecurityContext,
  options: { readonly maxLegs?: number } = {}
): Effect.Effect<ReadonlyArray<Leg>, SspiError, SspiRuntime> =>
  Effect.gen(function*() {
    const maxLegs = options.maxLegs ?? defaultMaxLegs
    const legs: Array<Leg> = []
    let token: Uint8Array | undefined
    let side: SecurityContext = client
    while (!(client.established() && server.established())) {
      if (legs.length >= maxLegs) return yield* tooLong(maxLegs)
      if (side === server && token === undefined) return yield* tooLong(legs.length)
      const step = yield* side.step(token)
      legs.push({ ...step, role: side.role })
      token = step.token
      if (token === undefined && !(client.established() && server.established())) {
        return yield* new InvalidToken({ detail: `the ${side.role} produced no token but the peer is not done` })
      }
      side = side === client ? server : client
    }
    return legs
  })

/**
 * Runs one context over a token channel until it is established: the
 * initiator speaks first, the acceptor listens first. A final token (one
 * sent with SEC_E_OK) is sent before returning.
 *
 * @since 0.1.0
 */
export const overChannel = <E, R>(
  context: SecurityContext,
  channel: TokenChannel<E, R>,
  options: { readonly maxLegs?: number } = {}
): Effect.Effect<ReadonlyArray<Leg>, SspiError | E, SspiRuntime | R> =>
  Effect.gen(function*() {
    const maxLegs = options.maxLegs ?? defaultMaxLegs
    const legs: Array<Leg> = []
    let input: Uint8Array | undefined = context.role === "acceptor" ? yield* channel.receive : undefined
    while (true) {
      if (legs.length >= maxLegs) return yield* tooLong(maxLegs)
      const step = yield* context.step(input)
      legs.push({ ...step, role: context.role })
      if (step.token !== undefined) yield* channel.send(step.token)
      if (step.done) return legs
      input = yield* channel.receive
    }
  })
