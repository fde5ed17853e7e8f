/**
 * Fuzz targets for shared state that comes back from outside the process:
 * the HTTP session cookie (the Cookie header, parsed as the server parses
 * it, opened), the NTLM and SPNEGO handshake-store entries (what a store
 * shared between nodes hands back, finished on another node by the real
 * acceptor with the real client's AUTHENTICATE), and the messages between
 * `sspi serve` workers and their primary process (the primary's `respond`
 * and the worker's response decoder). Seeds: cookies sealed by the server's
 * own sealing, the entries our acceptors store in a live handshake, and the
 * IPC messages the worker encodes.
 */
import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option, Result, Scope } from "effect"
import { Cookies } from "effect/http"
import { HandshakeStore, ReplayCache, type SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Sessions } from "@effect-sspi/http"
import { respond } from "../../../cli/src/internal/serve/ipcPrimary.ts"
import * as Ipc from "../../../cli/src/internal/serve/ipcProtocol.ts"
import * as SessionCookie from "../../../http/src/internal/sessionCookie.ts"
import type { Outcome, Target } from "./runner.ts"
import { ntlmWorld, request, stepOutcome, tokenOf } from "./targets.ts"

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)
const text = (s: string) => new Uint8Array(Buffer.from(s, "utf8"))

/**
 * A handshake store whose `take` hands back whatever was planted (the fuzz
 * input: what a shared store, Redis or the primary process, holds under the
 * id asked), and that keeps the last entry an acceptor put (the seed).
 */
const plantedStore = () => {
  let planted: Uint8Array | undefined
  let last: { readonly id: string; readonly bytes: Uint8Array } | undefined
  const keep = (id: string, bytes: Uint8Array) => Effect.sync(() => void (last = { id, bytes: Uint8Array.from(bytes) }))
  const store: HandshakeStore.HandshakeStoreService = {
    put: keep,
    putIfAbsent: (id, bytes) => Effect.as(keep(id, bytes), true),
    take: () =>
      Effect.sync(() => {
        const bytes = planted
        planted = undefined
        return Option.fromUndefinedOr(bytes)
      }),
    stats: Effect.succeed({ stored: 0, taken: 0, missing: 0, evicted: 0, expired: 0 })
  }
  return {
    store,
    plant: (bytes: Uint8Array) => void (planted = bytes),
    lastPut: () => last!
  }
}

/** Session cookies: the Cookie header of a request, as SspiServer reads it (`request.cookies[name]`, then open). */
const cookieTarget = (): Target => {
  const keys: Sessions.SessionKeys = {
    current: Sessions.fromBytes(new Uint8Array(32).fill(1)),
    previous: [Sessions.fromBytes(new Uint8Array(32).fill(2))]
  }
  const name = SessionCookie.settings({ keys }).name
  const expiry = Date.now() + 24 * 3_600_000
  const alice = { name: "EXAMPLE\\alice", scheme: "Negotiate", packageName: "NTLM", attributes: 0x1c }
  const withGroups = {
    ...alice,
    packageName: "Kerberos",
    userSid: "S-1-5-21-1-2-3-1104",
    groupSids: [513, 512, 1105].map((rid) => ({ sid: `S-1-5-21-1-2-3-${rid}`, attributes: 7 }))
  }
  const seeds = [
    `${name}=${SessionCookie.seal(keys.current, { principal: alice, expiry })}`,
    `theme=dark; ${name}=${SessionCookie.seal(keys.previous[0]!, { principal: withGroups, expiry })}; lang=en`,
    `__Host-${name}=${SessionCookie.seal(keys.current, { principal: withGroups, expiry })}; ${name}=${SessionCookie.seal(keys.current, { principal: alice, expiry })}`
  ].map(text)
  return {
    name: "HTTP session cookie (Cookie header, SessionCookie.open)",
    seeds,
    run: (b) => {
      const cookie = Cookies.parseHeader(Buffer.from(b).toString("latin1"))[name]
      return cookie !== undefined && SessionCookie.open(keys, cookie, Date.now()) !== undefined ? "ok" : "typed"
    }
  }
}

/**
 * NTLM and SPNEGO handshake-store entries: node A (an acceptor over the
 * planted store) answers a real client's first leg and stores its entry;
 * the input is planted as that entry and node B (another package instance,
 * a fresh context) gets the client's AUTHENTICATE leg. A finished handshake
 * cannot be finished again: each input gets a fresh exchange (`live`).
 */
const handshakeTargets = (): { readonly targets: Array<Target>; readonly ntlmEntry: { readonly id: string; readonly bytes: Uint8Array } } => {
  const shared = plantedStore()
  const a = ntlmWorld({ handshakeStore: shared.store })
  const b = ntlmWorld({ handshakeStore: shared.store })

  /** A fresh handshake on A (the entry it stored, the client's last leg) and the last leg on a fresh context of B. */
  const side = <C, S, CC, CS>(
    client: SecurityPackage.SecurityPackage<CC, CS>,
    clientCredential: CC,
    server: SecurityPackage.SecurityPackage<C, S>,
    serverCredential: C,
    onB: SecurityPackage.SecurityPackage<C, S>,
    credentialOnB: C
  ) => ({
    exchange: () => {
      const c1 = run(client.initialize(clientCredential, undefined, request([])))
      const s1 = run(server.accept(serverCredential, undefined, request(c1.output)))
      const entry = shared.lastPut()
      const c2 = run(client.initialize(clientCredential, c1.state, request(s1.output)))
      run(server.deleteContext(s1.state))
      run(client.deleteContext(c2.state))
      return { entry, leg: c2.output }
    },
    finish: (entry: Uint8Array, leg: ReadonlyArray<SecBuffer.SecBuffer>): Outcome => {
      shared.plant(entry)
      return stepOutcome(onB, onB.accept(credentialOnB, undefined, request(leg)))
    }
  })
  const target = (name: string, { exchange, finish }: ReturnType<typeof side>) => {
    const seed = exchange()
    if (finish(seed.entry.bytes, seed.leg) !== "ok") throw new Error(`${name}: the real entry does not finish on B`)
    return {
      entry: seed.entry,
      target: {
        name,
        seeds: [seed.entry.bytes],
        run: () => "typed" as const,
        live: () => {
          const x = exchange()
          return { token: x.entry.bytes, feed: (input: Uint8Array) => finish(input, x.leg) }
        }
      }
    }
  }
  const ntlm = target(
    "NTLM handshake-store entry (node B finishes: decodeServerState, AUTHENTICATE)",
    side(a.clientNtlm, a.ntlmClient, a.ntlm, a.ntlmServer, b.ntlm, b.ntlmServer)
  )
  const spnego = target(
    "SPNEGO handshake-store entry (node B finishes: NTLM entry, SPNEGO state, mechListMIC)",
    side(a.clientNegotiate, a.negClient, a.negotiate, a.negServer, b.negotiate, b.negServer)
  )
  if (!spnego.entry.bytes.some((x, i) => x !== ntlm.entry.bytes[i])) throw new Error("no SPNEGO entry stored")
  return { ntlmEntry: ntlm.entry, targets: [ntlm.target, spnego.target] }
}

/**
 * `sspi serve` IPC: node:cluster carries JSON; the primary answers each
 * message with `respond` (core's memory replay cache and handshake store),
 * a worker decodes answers with `decodeResponse`. Accepted: a request the
 * primary carried out, or a well-formed response.
 */
const ipcTarget = (entry: { readonly id: string; readonly bytes: Uint8Array }): Target => {
  // the primary's services: core's memory replay cache and handshake store (bounded smaller than the
  // defaults, so that the heap figure is the parser's, not 600,000 recorded keys); the scope stays open
  const replayCache = run(ReplayCache.makeMemory({ capacity: 10_000 }))
  const store = Context.get(
    run(Layer.buildWithScope(HandshakeStore.layerMemory({ maxPending: 1_000 }), run(Scope.make()))),
    HandshakeStore.HandshakeStore
  )
  const encode = (value: unknown) => text(JSON.stringify(value))
  const requests: Array<Ipc.Operation> = [
    { _tag: "Record", key: new Uint8Array(createHash("sha256").update(entry.bytes).digest()), ttlMs: 600_000 },
    { _tag: "Put", handshake: entry.id, bytes: entry.bytes, ttlMs: 300_000, ifAbsent: true },
    { _tag: "Put", handshake: entry.id, bytes: entry.bytes, ttlMs: 300_000, ifAbsent: false },
    { _tag: "Take", handshake: entry.id }
  ]
  const results: Array<Ipc.Result> = [
    { _tag: "Verdict", verdict: "Fresh" },
    { _tag: "Stored", stored: true },
    { _tag: "Taken", bytes: entry.bytes },
    { _tag: "Taken", bytes: null }
  ]
  const seeds = [
    ...requests.map((op, id) => encode(Result.getOrThrow(Ipc.encodeRequest({ channel: Ipc.channel, from: "ab".repeat(16), id, op })))),
    ...results.map((result, id) => encode(Result.getOrThrow(Ipc.encodeResponse({ channel: Ipc.channel, from: "ab".repeat(16), id, result }))))
  ]
  const answered = (message: unknown): boolean => {
    const answer = run(respond(message, replayCache, store))
    return Option.isSome(answer) && (answer.value as { result: { _tag: string } }).result._tag !== "Failed"
  }
  return {
    name: "sspi serve IPC message (primary respond, worker decodeResponse)",
    seeds,
    run: (b) => {
      let message: unknown
      try {
        message = JSON.parse(Buffer.from(b).toString("utf8"))
      } catch {
        return "typed" // node:cluster's channel never delivers text that is not JSON
      }
      const response = Ipc.decodeResponse(message)
      return answered(message) || Option.isSome(response) ? "ok" : "typed"
    }
  }
}

/** Every shared-state fuzz target (no peer needed). */
export const storeTargets = (): Array<Target> => {
  const handshakes = handshakeTargets()
  return [cookieTarget(), ...handshakes.targets, ipcTarget(handshakes.ntlmEntry)]
}
