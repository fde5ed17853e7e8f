/**
 * The secure channel's cryptography (MS-NRPC 3.1.4.3.1, 3.1.4.4.1, 3.1.4.5,
 * 3.3.4.2), byte for byte. MS-NRPC gives no AES example values, so the
 * expected bytes were computed independently with Python's `hmac`/`hashlib`
 * and `cryptography` (OpenSSL's AES-CFB8) from the formulas of the spec; the
 * NT hash is the well-known MD4 of "password". The live DC accepting our
 * credentials and sealed PDUs (interop.test.ts) confirms the same formulas.
 */
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { computeNetlogonCredential, CredentialChain, sessionKey } from "../src/internal/nrpc/credential.ts"
import { type SealMode, schannelProvider } from "../src/internal/nrpc/schannel.ts"

const hex = (s: string) => Uint8Array.from(Buffer.from(s, "hex"))
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex")

const NT_HASH_PASSWORD = hex("8846f7eaee8fb117ad06bdd830b7586c")
const CLIENT_CHALLENGE = hex("0102030405060708")
const SERVER_CHALLENGE = hex("1112131415161718")
const SESSION_KEY = "0aa6c146b91e3d40584bbd6c28be9e65"

describe("session key and Netlogon credentials (AES)", () => {
  it("session key = HMAC-SHA256(NT hash, client || server challenge)[0..16] (3.1.4.3.1)", () => {
    expect(toHex(sessionKey(NT_HASH_PASSWORD, CLIENT_CHALLENGE, SERVER_CHALLENGE))).toBe(SESSION_KEY)
  })

  it("ComputeNetlogonCredential = AES-128-CFB8, IV zero (3.1.4.4.1)", () => {
    expect(toHex(computeNetlogonCredential(CLIENT_CHALLENGE, hex(SESSION_KEY)))).toBe("3e4a6b01520103da")
    expect(toHex(computeNetlogonCredential(SERVER_CHALLENGE, hex(SESSION_KEY)))).toBe("2e8c9fa72d52d4b0")
  })

  it("authenticator chain: credential + TimeNow, the server's answer at +1; anything else refused (3.1.4.5)", () => {
    const chain = new CredentialChain(hex(SESSION_KEY), hex("3e4a6b01520103da"))
    const step = chain.next(0x5f5e1000)
    expect(toHex(step.authenticator.credential)).toBe("01e680d8ba6329b8")
    expect(step.authenticator.timestamp).toBe(0x5f5e1000)
    expect(step.verify(hex("0065fdc0faea8e6e"))).toBe(false) // one bit off
    expect(step.verify(hex("0065fdc0faea8e6f"))).toBe(true)
    // the chain moved on: the same return authenticator does not verify for the next call
    expect(chain.next(0x5f5e1000).verify(hex("0065fdc0faea8e6f"))).toBe(false)
  })
})

const provider = (initiator: boolean, sealMode: SealMode, seal = true) =>
  schannelProvider({
    sessionKey: hex(SESSION_KEY),
    domain: "CORP",
    computer: "WEB1",
    seal,
    sealMode,
    initiator,
    random: () => hex("a1a2a3a4a5a6a7a8")
  })

const DATA = Uint8Array.from({ length: 32 }, (_, i) => i)

describe("schannel NL_AUTH_SHA2_SIGNATURE (3.3.4.2)", () => {
  it("the bind carries NL_AUTH_MESSAGE with the OEM domain and computer names (2.2.1.3.1)", () => {
    expect(toHex(provider(true, "perPart").bindToken)).toBe("00000000" + "03000000" + toHex(Buffer.from("CORP\0WEB1\0")))
  })

  it.each([
    ["perPart", "71cf299bb5cfd010f88974d41f274d29fd63974fe1d9dc1d309319fee8fa46db"],
    ["stream", "30b4ade5ee4b018aceec12c7d95a5610e410acca4750071a545b04ed4780e0d1"]
  ] as const)("sealed PDU, %s: header, encrypted sequence, checksum, confounder at 24; data", (mode, sealed) => {
    const out = provider(true, mode).protect(DATA)
    expect(toHex(out.data)).toBe(sealed)
    expect(toHex(out.verifier)).toBe(
      "13001a00ffff0000" + "4f73804a25175ddf" + "1a0f6ded5659b764" + "d0b93fbe1881781d" + "00".repeat(24)
    )
  })

  it.each(["perPart", "stream"] as const)("%s: client → DC and DC → client round trips, sealed and signed-only", (mode) => {
    for (const seal of [true, false]) {
      const client = provider(true, mode, seal)
      const dc = provider(false, mode, seal)
      for (let i = 0; i < 3; i++) {
        const request = client.protect(DATA)
        expect(Result.getOrThrow(dc.unprotect(request.data, request.verifier))).toEqual(DATA)
        const reply = dc.protect(DATA.map((b) => b ^ 0x55))
        expect(Result.getOrThrow(client.unprotect(reply.data, reply.verifier))).toEqual(DATA.map((b) => b ^ 0x55))
      }
    }
  })

  const reason = (r: Result.Result<unknown, { readonly reason: string }>) => Result.isFailure(r) ? r.failure.reason : "accepted"

  it("attack: a flipped bit in the sealed data is refused (checksum, 3.3.4.2.2 step 7)", () => {
    const client = provider(true, "perPart")
    const dc = provider(false, "perPart")
    const request = client.protect(DATA)
    const tampered = request.data.slice()
    tampered[5]! ^= 1
    expect(reason(dc.unprotect(tampered, request.verifier))).toBe("NL_AUTH_SIGNATURE checksum mismatch")
  })

  it("attack: a replayed PDU is refused (sequence number, 3.3.4.2.2 step 4)", () => {
    const client = provider(true, "perPart")
    const dc = provider(false, "perPart")
    const request = client.protect(DATA)
    expect(reason(dc.unprotect(request.data, request.verifier))).toBe("accepted")
    expect(reason(dc.unprotect(request.data, request.verifier))).toBe("sequence number out of order")
  })

  it("attack: the client's own PDU reflected back is refused (direction bit, 3.3.4.2.1 step 3)", () => {
    const request = provider(true, "perPart").protect(DATA)
    // a client expecting the DC's PDU number 0 gets its own PDU number 0 (direction bit set)
    expect(reason(provider(true, "perPart").unprotect(request.data, request.verifier))).toBe("sequence number out of order")
  })

  it("attack: a signed-only reply on a sealed binding is refused (algorithms, 3.3.4.2.2 steps 1-2)", () => {
    const client = provider(true, "perPart", true)
    const dcSigning = provider(false, "perPart", false)
    const reply = dcSigning.protect(DATA)
    expect(reason(client.unprotect(reply.data, reply.verifier))).toBe(
      "NL_AUTH_SIGNATURE algorithms differ from the negotiated ones"
    )
  })

  it("a truncated signature is refused, never read out of bounds", () => {
    const client = provider(true, "perPart")
    const dc = provider(false, "perPart")
    const request = client.protect(DATA)
    expect(reason(dc.unprotect(request.data, request.verifier.subarray(0, 31)))).toBe("short NL_AUTH_SIGNATURE")
  })
})
