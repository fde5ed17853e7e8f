/**
 * EncryptMessage's fast path (`wrapDetached`): with RRC = 16 + checksum size
 * and a whole number of blocks, DATA is the cipher's own output and TOKEN a
 * small new array. TOKEN ‖ DATA must be byte for byte the token the generic
 * path (`wrap`) makes, and what the enctype's plain `encrypt` gives once
 * rotated, for the same confounder.
 */
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import { Flags, SecurityContext } from "@effect-sspi/core"
import { Drivers, Ours, Realm, requirePeersSync } from "@effect-sspi/interop-harness"
import { type ProtectionKey, unwrap, wrap, wrapDetached } from "../src/internal/gss/perMessage.ts"
import { profile } from "./crypto/profiles.ts"
import { acquire, ALL_REQ, realmLayer } from "./support/interop.ts"

const hasKrb5 = requirePeersSync("krb5")

/** Deterministic bytes: SHA-256 in counter mode over a label. */
const bytes = (label: string, n: number): Uint8Array => {
  const out = new Uint8Array(n)
  for (let i = 0, at = 0; at < n; i++, at += 32) {
    out.set(createHash("sha256").update(`${label}/${i}`).digest().subarray(0, Math.min(32, n - at)), at)
  }
  return out
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** The whole token from first principles: header ‖ rotateRight(encrypt(plaintext ‖ inner header), rrc). */
const reference = (k: ProtectionKey, fromAcceptor: boolean, seq: number, plaintext: Uint8Array, rrc: number, confounder: Uint8Array) => {
  const flags = 0x02 | (fromAcceptor ? 0x01 : 0) | (k.acceptorSubkey ? 0x04 : 0)
  const h = new Uint8Array(16)
  const v = new DataView(h.buffer)
  v.setUint16(0, 0x0504)
  h[2] = flags
  h[3] = 0xff
  v.setUint32(8, Math.floor(seq / 2 ** 32))
  v.setUint32(12, seq >>> 0)
  const body = k.profile.encrypt(k.key, fromAcceptor ? 22 : 24, concat(plaintext, h), confounder)
  v.setUint16(6, rrc)
  const s = rrc % body.length
  return concat(h, concat(body.subarray(body.length - s), body.subarray(0, body.length - s)))
}

const AES = [17, 18, 19, 20] // aes128/256-cts-hmac-sha1-96, aes128-cts-hmac-sha256-128, aes256-cts-hmac-sha384-192
const LENGTHS = [0, 1, 15, 16, 17, 31, 32, 48, 100, 1024, 4096 + 16, 65536]

describe("wrapDetached", () => {
  for (const etype of AES) {
    const p = profile(etype)
    it(`${p.name}: TOKEN ‖ DATA is the generic Wrap token, byte for byte`, () => {
      const rrc = 16 + p.checksumSize
      for (const acceptorSubkey of [false, true]) {
        const k: ProtectionKey = { profile: p, key: bytes(`key ${etype}`, p.keyLength), acceptorSubkey }
        for (const fromAcceptor of [false, true]) {
          for (const length of LENGTHS) {
            const label = `${etype} ${acceptorSubkey} ${fromAcceptor} ${length}`
            const plaintext = bytes(`message ${label}`, length)
            const before = plaintext.slice()
            const confounder = bytes(`confounder ${label}`, 16)
            const seq = 2 ** 33 + length
            const { data, token } = wrapDetached(k, fromAcceptor, seq, true, plaintext, rrc, confounder)
            const whole = concat(token, data)
            assert.strictEqual(data.length, length, label)
            assert.deepStrictEqual(whole, concat(new Uint8Array(0), wrap(k, fromAcceptor, seq, true, plaintext, rrc, confounder)), label)
            assert.deepStrictEqual(whole, reference(k, fromAcceptor, seq, plaintext, rrc, confounder), label)
            assert.deepStrictEqual(plaintext, before, `${label}: the plaintext is left alone`)
            // the fast path: whole blocks give DATA in an array of its own
            const fast = length >= 16 && length % 16 === 0
            assert.strictEqual(data.buffer !== token.buffer, fast, `${label}: fast path taken`)
            const opened = Result.getOrThrow(unwrap(k, fromAcceptor, whole))
            assert.deepStrictEqual(opened.plaintext, plaintext, label)
            assert.strictEqual(opened.seq, seq)
            assert.isTrue(opened.conf)
          }
        }
      }
    })
  }

  it("other RRCs, no confidentiality and RC4 take the generic path, unchanged", () => {
    const cases: ReadonlyArray<readonly [number, boolean, number]> = [
      [18, true, 0],
      [18, true, 16],
      [18, true, 44],
      [18, false, 12],
      [20, false, 24],
      [23, true, 16 + 16]
    ]
    for (const [etype, conf, rrc] of cases) {
      const p = profile(etype)
      const k: ProtectionKey = { profile: p, key: bytes(`key ${etype}`, p.keyLength), acceptorSubkey: false }
      for (const length of [0, 16, 64, 1000]) {
        const plaintext = bytes(`message ${etype} ${length}`, length)
        const confounder = p.confounderSize === 0 ? undefined : bytes(`confounder ${etype} ${length}`, p.confounderSize)
        const { data, token } = wrapDetached(k, false, 7, conf, plaintext, rrc, confounder)
        assert.strictEqual(data.length, length)
        assert.deepStrictEqual(concat(token, data), concat(new Uint8Array(0), wrap(k, false, 7, conf, plaintext, rrc, confounder)))
        const opened = Result.getOrThrow(unwrap(k, false, concat(token, data)))
        assert.deepStrictEqual(opened.plaintext, plaintext)
      }
    }
  })

  it.live.skipIf(!hasKrb5)("MIT unwraps EncryptMessage tokens of whole blocks (the fast path)", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Effect.gen(function*() {
        const peer = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
        const cred = yield* acquire(Flags.CredentialUse.OUTBOUND, { principal: realm.user, password: Redacted.make(realm.password) })
        const ours = yield* SecurityContext.initiator(cred, { targetName: "HTTP/localhost", contextReq: ALL_REQ })
        const first = yield* ours.step()
        const reply = yield* Drivers.step(peer, first.token!)
        yield* ours.step(reply.token!)
        for (const length of [16, 48, 4096, 65536]) {
          const message = bytes(`interop ${length}`, length)
          const opened = yield* Drivers.unwrap(peer, Ours.kerberosFraming.join(yield* ours.encrypt(message)))
          assert.deepStrictEqual(new Uint8Array(opened.message), message, `${length} octets`)
        }
      }).pipe(Effect.provide(realmLayer(realm)))
    })), 60_000)
})
