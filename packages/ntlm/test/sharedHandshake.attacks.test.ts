/**
 * Attacks on handshakes shared between nodes (issue 12 item 2): a man in the
 * middle between a real client and node B strips, tampers with or redirects
 * the MsvAvTimestamp the AUTHENTICATE echoes (the handshake's id). Each ends
 * in a refusal, and never in a handshake finished against another one's
 * state.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Result } from "effect"
import { HandshakeStore } from "@effect-sspi/core"
import { Drivers as D, type Drivers, requirePeersSync } from "@effect-sspi/interop-harness"
import { findAvPair } from "../src/internal/avpairs.ts"
import { AvId } from "../src/internal/constants.ts"
import { decodeChallenge } from "../src/internal/messages.ts"
import { acceptFresh, freshAcceptor, node, splitHandshake, statusOf } from "./support/nodes.ts"
import { encodeChallenge } from "./support/encode.ts"
import { curlInitiator } from "./support/peers.ts"
import { ours } from "./support/ourClient.ts"

const hasGss = requirePeersSync("ntlm")
const hasPython = requirePeersSync("ntlm", "ntlmAuth")
const hasCurl = requirePeersSync("curl")
const peerUser = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }

interface Client {
  readonly name: string
  readonly available: boolean
  readonly make: () => Effect.Effect<Drivers.Stepper<unknown>, unknown, any>
  /**
   * B's answer when the echo names another client's handshake: LOGON_DENIED
   * (NTProofStr), or for curl (no SIGN/SEAL, so no EncryptedRandomSessionKey)
   * INVALID_TOKEN, since the other handshake's flags (ours: KEY_EXCH) ask for one.
   */
  readonly confused: string
}

const clients: ReadonlyArray<Client> = [
  { name: "our initiator", available: true, make: () => ours(), confused: "SEC_E_LOGON_DENIED" },
  {
    name: "gss-ntlmssp",
    available: hasGss,
    make: () => Effect.map(D.gssPeer({ role: "initiate", mech: "ntlm", target: "HTTP@localhost", ...peerUser }), D.stepper),
    confused: "SEC_E_LOGON_DENIED"
  },
  { name: "python3-ntlm-auth", available: hasPython, make: () => Effect.map(D.ntlmAuthClient(peerUser), D.stepper), confused: "SEC_E_LOGON_DENIED" },
  { name: "curl", available: hasCurl, make: () => curlInitiator("EXAMPLE\\alice:Passw0rd!"), confused: "SEC_E_INVALID_TOKEN" }
]

const nodes = Effect.gen(function*() {
  const store = Context.get(yield* Layer.build(HandshakeStore.layerMemory()), HandshakeStore.HandshakeStore)
  return { a: yield* node(store), b: yield* node(store), store }
})

/** The MsvAvTimestamp pair (AvId 7, length 8) in an AUTHENTICATE: the offset of its AvId. */
const echoedPairAt = (authenticate: Uint8Array, challenge: Uint8Array): number => {
  const sent = findAvPair(Result.getOrThrow(decodeChallenge(challenge)).targetInfo ?? [], AvId.MsvAvTimestamp)!
  const pattern = Buffer.concat([Buffer.from([AvId.MsvAvTimestamp, 0, 8, 0]), sent.value])
  const at = Buffer.from(authenticate).indexOf(pattern)
  assert.isAtLeast(at, 0, "the AUTHENTICATE echoes the CHALLENGE's MsvAvTimestamp pair")
  return at
}

/** The AUTHENTICATE with the echoed pair changed by `f` (bytes of the pair: id, length, value). */
const editEcho = (challenge: Uint8Array, f: (pair: Uint8Array) => void) => (authenticate: Uint8Array) => {
  const copy = authenticate.slice()
  const at = echoedPairAt(copy, challenge)
  f(copy.subarray(at, at + 12))
  return copy
}

/** The CHALLENGE a client gets (the one node A issued) through the man in the middle. */
const captured = (client: Drivers.Stepper<unknown>, sink: { challenge?: Uint8Array }): Drivers.Stepper<unknown> => ({
  step: (token) => {
    if (token !== null) sink.challenge = token
    return client.step(token)
  }
})

describe("shared NTLM handshakes under attack", () => {
  for (const client of clients) {
    it.live.skipIf(!client.available)(`${client.name}: the echoed MsvAvTimestamp stripped (AvId changed) → SEC_E_INVALID_TOKEN on B`, () =>
      Effect.scoped(Effect.gen(function*() {
        const { a, b } = yield* nodes
        const seen: { challenge?: Uint8Array } = {}
        const r = yield* splitHandshake(captured(yield* client.make(), seen), a, b, (t) =>
          editEcho(seen.challenge!, (pair) => {
            pair[0] = 0x0b // an AvId no client sends: the timestamp is gone from the echo
          })(t))
        assert.strictEqual(r.status, "SEC_E_INVALID_TOKEN")
      })), 60_000)

    it.live.skipIf(!client.available)(`${client.name}: one bit of the echoed timestamp flipped → SEC_E_INVALID_TOKEN on B; the real one still finishes`, () =>
      Effect.scoped(Effect.gen(function*() {
        const { a, b } = yield* nodes
        const seen: { challenge?: Uint8Array } = {}
        const r = yield* splitHandshake(captured(yield* client.make(), seen), a, b, (t) =>
          editEcho(seen.challenge!, (pair) => {
            pair[4]! ^= 1
          })(t))
        assert.strictEqual(r.status, "SEC_E_INVALID_TOKEN")
        // the forged lookup consumed nothing: the untouched AUTHENTICATE still finishes
        assert.strictEqual((yield* acceptFresh(b, r.authenticate)).status, "SEC_E_OK")
      })), 60_000)

    it.live.skipIf(!client.available)(`${client.name}: id confusion — the echo pointed at another pending handshake → SEC_E_LOGON_DENIED on B, never OK`, () =>
      Effect.scoped(Effect.gen(function*() {
        const { a, b } = yield* nodes
        // someone else's handshake, pending on A
        const other = yield* ours()
        const otherChallenge = (yield* a.run((yield* freshAcceptor(a)).step((yield* other.step(null)).token!))).token!
        const otherStamp = findAvPair(Result.getOrThrow(decodeChallenge(otherChallenge)).targetInfo ?? [], AvId.MsvAvTimestamp)!.value
        const seen: { challenge?: Uint8Array } = {}
        const r = yield* splitHandshake(captured(yield* client.make(), seen), a, b, (t) =>
          editEcho(seen.challenge!, (pair) => pair.set(otherStamp, 4))(t))
        // B took the other handshake's state; NTProofStr covers the echoed pairs and that state's challenge differs
        assert.strictEqual(r.status, client.confused)
        // the victim's own handshake is intact and finishes; the other one was consumed (a denial of service, no more)
        assert.strictEqual((yield* acceptFresh(b, r.authenticate)).status, "SEC_E_OK")
        const otherAuthenticate = (yield* other.step(otherChallenge)).token!
        assert.strictEqual((yield* acceptFresh(b, otherAuthenticate)).status, "SEC_E_INVALID_TOKEN")
      })), 60_000)
  }

  it.live.skipIf(!hasPython)("the MsvAvTimestamp stripped from the CHALLENGE: B has no id (SEC_E_INVALID_TOKEN), A's own context refuses the echo (SEC_E_LOGON_DENIED)", () =>
    Effect.scoped(Effect.gen(function*() {
      const strip = (challenge: Uint8Array) => {
        const m = Result.getOrThrow(decodeChallenge(challenge))
        return encodeChallenge({ ...m, targetInfo: (m.targetInfo ?? []).filter((p) => p.id !== AvId.MsvAvTimestamp) })
      }
      const viaMitm = (client: Drivers.Stepper<unknown>): Drivers.Stepper<unknown> => ({
        step: (token) => client.step(token === null ? null : strip(token))
      })
      const { a, b } = yield* nodes
      const r = yield* splitHandshake(viaMitm(yield* D.ntlmAuthClient(peerUser).pipe(Effect.map(D.stepper))), a, b)
      assert.strictEqual(r.status, "SEC_E_INVALID_TOKEN")
      assert.strictEqual(statusOf(yield* Effect.exit(a.run(r.onA.step(r.authenticate)))), "SEC_E_LOGON_DENIED")
    })), 60_000)
})
