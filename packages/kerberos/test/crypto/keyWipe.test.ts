/**
 * Keys are wiped with their context and credential, cached copies included:
 * the derived-key cache (the base key's bytes, its KeyObjects and their
 * reused cipher contexts) must not keep a session or service key alive after
 * the owner zeroed it. `wipeKey` releases every entry derived from a key;
 * the Kerberos package's deleteContext and freeCredentials go through it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Result } from "effect"
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto"
import { Flags, SecBuffer } from "@effect-sspi/core"
import { Kerberos } from "../../src/index.ts"
import type { KerberosCredential } from "../../src/internal/context/credential.ts"
import type { KerberosContext } from "../../src/internal/context/state.ts"
import { ctsDecrypt, ctsEncrypt } from "../../src/internal/crypto/aesCts.ts"
import { enctype } from "../../src/internal/crypto/encryptionType.ts"
import { deriveRandomAes, KeyPurpose, usageLabel } from "../../src/internal/crypto/keyDerivation.ts"
import { cachedEntries, wipeKey } from "../../src/internal/crypto/profile.ts"
import { apReq, keytab } from "../support/forge.ts"
import { toHex } from "./hex.ts"

const T0 = 10 * 3_600_000

describe("wipeKey releases the derived-key cache", () => {
  for (const number of [17, 18, 19, 20]) {
    const profile = Option.getOrThrow(enctype(number))
    it(`${profile.name}: entries derived from a key are dropped when it is wiped, and the cache still works after`, () => {
      const key = new Uint8Array(randomBytes(profile.keyLength))
      const original = key.slice()
      const confounder = new Uint8Array(16).fill(7)
      const plaintext = new Uint8Array(randomBytes(100))
      const ciphertext = profile.encrypt(key, 3, plaintext, confounder)
      profile.checksum(key, 4, plaintext)
      assert.isTrue(Result.isSuccess(profile.decrypt(key, 3, ciphertext)))
      assert.isAbove(cachedEntries(key), 0)

      wipeKey(key)
      assert.strictEqual(cachedEntries(key), 0)
      assert.deepStrictEqual([...key], new Array(profile.keyLength).fill(0))
      // a wiped key is the zero key, not the cached one
      assert.strictEqual(
        toHex(profile.encrypt(key, 3, plaintext, confounder)),
        toHex(profile.encrypt(new Uint8Array(profile.keyLength), 3, plaintext, confounder))
      )
      // another array holding the same bytes is unaffected
      const decrypted = profile.decrypt(original, 3, ciphertext)
      assert.isTrue(Result.isSuccess(decrypted) && toHex(decrypted.success) === toHex(plaintext))
      wipeKey(original)
      wipeKey(key)
      assert.strictEqual(cachedEntries(original) + cachedEntries(key), 0)
    })
  }

  it("an array changed in place drops its old entry (no stale copy kept beside the new one)", () => {
    const profile = Option.getOrThrow(enctype(18))
    const key = new Uint8Array(randomBytes(32))
    profile.checksum(key, 1, new Uint8Array(1))
    key.set(randomBytes(32))
    profile.checksum(key, 1, new Uint8Array(1))
    assert.strictEqual(cachedEntries(key), 1)
    wipeKey(key)
  })
})

describe("the Kerberos package wipes cached keys with its contexts and credentials", () => {
  it.effect("deleteContext releases the session key's entries; freeCredentials the service keys'", () =>
    Effect.gen(function*() {
      const pkg = yield* Kerberos.make({ krb5Config: "/nonexistent", env: {} })
      const grant = yield* pkg.acquireCredentials({
        principal: undefined,
        credentialUse: Flags.CredentialUse.INBOUND,
        authData: { keytab: keytab() },
        now: T0
      })
      const credential = grant.credential as KerberosCredential
      const step = yield* pkg.accept(credential, undefined, {
        targetName: undefined,
        contextReq: 0,
        dataRep: 0,
        input: [SecBuffer.token(apReq({ ctime: T0 }))],
        now: T0
      })
      assert.strictEqual(step.status, "SEC_E_OK")
      const state = step.state as KerberosContext
      const sessionKey = state.sessionKey.keyvalue
      const serviceKey = credential.serviceKeys[0]!.key
      // the authenticator was decrypted with the session key, the ticket with the service key
      assert.isAbove(cachedEntries(sessionKey), 0)
      assert.isAbove(cachedEntries(serviceKey), 0)

      yield* pkg.deleteContext(state)
      assert.strictEqual(cachedEntries(sessionKey), 0)
      assert.isTrue(sessionKey.every((b) => b === 0))
      yield* pkg.freeCredentials(credential)
      assert.strictEqual(cachedEntries(serviceKey), 0)
      assert.isTrue(serviceKey.every((b) => b === 0))
    }))
})

describe("AES-CTS leaves plaintext only in its result", () => {
  /** Runs `f` recording every buffer node:crypto's ciphers return (update), on every instance, reused or new. */
  const recordingOutputs = <A>(f: () => A): { readonly result: A; readonly outputs: ReadonlyArray<Uint8Array> } => {
    const outputs: Array<Uint8Array> = []
    const protos = [
      Object.getPrototypeOf(createDecipheriv("aes-128-ecb", Buffer.alloc(16), null)),
      Object.getPrototypeOf(createCipheriv("aes-128-ecb", Buffer.alloc(16), null))
    ]
    const originals = protos.map((p) => p.update)
    protos.forEach((p, i) => {
      p.update = function(this: unknown, ...args: Array<unknown>) {
        const out = originals[i].apply(this, args)
        outputs.push(out)
        return out
      }
    })
    try {
      return { result: f(), outputs }
    } finally {
      protos.forEach((p, i) => (p.update = originals[i]))
    }
  }

  for (const length of [16, 17, 31, 32, 33, 4096, 4097, 5000]) {
    it(`${length} bytes: every decryption output but the result is zeroed (raw key and KeyObject)`, () => {
      const bytes = new Uint8Array(randomBytes(32))
      for (const key of [bytes, createSecretKey(bytes)]) {
        const plaintext = new Uint8Array(randomBytes(length))
        const ciphertext = ctsEncrypt(key, plaintext)
        const { outputs, result } = recordingOutputs(() => ctsDecrypt(key, ciphertext))
        assert.strictEqual(toHex(result), toHex(plaintext))
        assert.isAbove(outputs.length, 0)
        for (const out of outputs) assert.isTrue(out.every((b) => b === 0), `an output of ${out.length} bytes kept`)
      }
    })
  }

  it("DK (RFC 3961 5.1): the cipher's blocks of a derived key are zeroed, the result intact", () => {
    const key = createSecretKey(randomBytes(32))
    const expected = deriveRandomAes(key, usageLabel(2, KeyPurpose.Encryption), 32)
    const { outputs, result } = recordingOutputs(() => deriveRandomAes(key, usageLabel(2, KeyPurpose.Encryption), 32))
    assert.strictEqual(toHex(result), toHex(expected))
    assert.strictEqual(outputs.length, 2)
    for (const out of outputs) assert.isTrue(out.every((b) => b === 0))
  })
})
