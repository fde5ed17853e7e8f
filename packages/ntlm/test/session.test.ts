import { describe, expect, it } from "@effect/vitest"
import { crc32 } from "node:zlib"
import { NegotiateFlags as F } from "../src/internal/constants.ts"
import { sealKey, signKey } from "../src/internal/keys.ts"
import { NtlmSessionSecurity } from "../src/internal/session.ts"
import { FLAGS_V1, FLAGS_V1_ESS, FLAGS_V2, hex, PLAINTEXT, RANDOM_SESSION_KEY, unhex } from "./vectors.ts"

const client = (flags: number, key: Uint8Array) =>
  new NtlmSessionSecurity({ flags, exportedSessionKey: key, side: "client" })
const server = (flags: number, key: Uint8Array) =>
  new NtlmSessionSecurity({ flags, exportedSessionKey: key, side: "server" })

// 4.2.3.1.3: the key exchange key, which is the exported session key without KEY_EXCH.
const KXKEY_V1_ESS = unhex("eb93429a8bd952f8b89c55b87f475edc")

describe("MS-NLMP 4.2.2.4 GSS_WrapEx, NTLMv1", () => {
  it("seals 'Plaintext'", () => {
    const { data, signature } = client(FLAGS_V1, RANDOM_SESSION_KEY).seal(PLAINTEXT)
    expect(hex(data)).toBe("56fe04d861f9319af0d7238a2e3b4d457fb8")
    expect(crc32(PLAINTEXT).toString(16)).toBe("93aa847d") // published "7d 84 aa 93" (little-endian)
    // Published: checksum RC4(...) = 09dcd1df, SeqNum = 2e459d36. The spec's assembled
    // example keeps RC4(RandomPad) = 45c844e5 in bytes 4..7, but its MAC pseudocode
    // (3.4.4.1) ends with "Set RandomPad to 0", which is what Windows sends.
    expect(hex(signature)).toBe("01000000" + "00000000" + "09dcd1df" + "2e459d36")
  })
})

describe("MS-NLMP 4.2.3.4 GSS_WrapEx, NTLMv1 with client challenge", () => {
  it("derives the sealing and signing keys (56-bit)", () => {
    expect(hex(sealKey(FLAGS_V1_ESS, KXKEY_V1_ESS, "client"))).toBe("04dd7f014d8504d265a25cc86a3a7c06")
    expect(hex(signKey(FLAGS_V1_ESS, KXKEY_V1_ESS, "client")!)).toBe("60e799be5c72fc92922ae8ebe961fb8d")
  })
  it("seals 'Plaintext' (no KEY_EXCH: checksum not encrypted)", () => {
    const { data, signature } = client(FLAGS_V1_ESS, KXKEY_V1_ESS).seal(PLAINTEXT)
    expect(hex(data)).toBe("a02372f6530273f3aa1eb90190ce5200c99d")
    expect(hex(signature)).toBe("01000000ff2aeb52f681793a00000000")
  })
})

describe("MS-NLMP 4.2.4.4 GSS_WrapEx, NTLMv2", () => {
  it("derives the sealing and signing keys", () => {
    expect(hex(sealKey(FLAGS_V2, RANDOM_SESSION_KEY, "client"))).toBe("59f600973cc4960a25480a7c196e4c58")
    expect(hex(signKey(FLAGS_V2, RANDOM_SESSION_KEY, "client")!)).toBe("4788dc861b4782f35d43fd98fe1a2d39")
  })
  it("seals 'Plaintext'", () => {
    const { data, signature } = client(FLAGS_V2, RANDOM_SESSION_KEY).seal(PLAINTEXT)
    expect(hex(data)).toBe("54e50165bf1936dc996020c1811b0f06fb5f")
    expect(hex(signature)).toBe("010000007fb38ec5c55d497600000000")
  })
  it("seals in place", () => {
    const buf = PLAINTEXT.slice()
    const { data } = client(FLAGS_V2, RANDOM_SESSION_KEY).seal(buf, buf)
    expect(data).toBe(buf)
    expect(hex(buf)).toBe("54e50165bf1936dc996020c1811b0f06fb5f")
  })
})

describe("SEALKEY weakening", () => {
  const ess = F.EXTENDED_SESSIONSECURITY
  it("128/56/40 bits, both sides (interop values of pyspnego's test suite, not printed in MS-NLMP)", () => {
    const k = RANDOM_SESSION_KEY
    expect(hex(sealKey(ess | F.KEY_128, k, "server"))).toBe("9355f3a957c1583d25c4c2f11e40390e")
    expect(hex(sealKey(ess | F.KEY_56, k, "client"))).toBe("a5f7253c1065e8d3d68642040e71cfe0")
    expect(hex(sealKey(ess | F.KEY_56, k, "server"))).toBe("583e2f98959b385cd158f3734b5f5d3f")
    expect(hex(sealKey(ess, k, "client"))).toBe("42f964a471091a02ff4a77455366e4e5")
    expect(hex(sealKey(ess, k, "server"))).toBe("c5d3853b406b7c1241c595f0ce0750e2")
    expect(hex(signKey(ess, k, "server")!)).toBe("d04d6f10741041d1d246d64188d7a8ad")
  })
  it("LM_KEY / DATAGRAM 56 and 40 bits", () => {
    expect(hex(sealKey(F.LM_KEY | F.KEY_56, RANDOM_SESSION_KEY, "client"))).toBe("55555555555555a0")
    expect(hex(sealKey(F.DATAGRAM, RANDOM_SESSION_KEY, "client"))).toBe("5555555555e538b0")
  })
  it("no signing key without extended session security", () => {
    expect(signKey(FLAGS_V1, RANDOM_SESSION_KEY, "client")).toBeUndefined()
  })
})

describe("NtlmSessionSecurity round trips", () => {
  const cases: ReadonlyArray<readonly [string, number, Uint8Array]> = [
    ["NTLMv1", FLAGS_V1, RANDOM_SESSION_KEY],
    ["NTLMv1 ESS", FLAGS_V1_ESS, KXKEY_V1_ESS],
    ["NTLMv2", FLAGS_V2, RANDOM_SESSION_KEY]
  ]
  for (const [name, flags, key] of cases) {
    it(`${name}: both directions, independent sequence numbers`, () => {
      const c = client(flags, key)
      const s = server(flags, key)
      for (let n = 0; n < 3; n++) {
        const msg = new TextEncoder().encode(`client message ${n}`)
        const sealed = c.seal(msg)
        const opened = s.unseal(sealed.data, sealed.signature)
        expect(opened.outcome).toBe("valid")
        expect(opened.data).toEqual(msg)
      }
      const reply = new TextEncoder().encode("server reply")
      const sig = s.sign(reply)
      expect(c.verify(reply, sig)).toBe("valid")
      const sealed = s.seal(reply)
      expect(c.unseal(sealed.data, sealed.signature).outcome).toBe("valid")
    })

    it(`${name}: altered data and replays are told apart`, () => {
      const c = client(flags, key)
      const s = server(flags, key)
      const m0 = c.sign(PLAINTEXT)
      const m1 = c.sign(PLAINTEXT)
      expect(s.verify(PLAINTEXT, m1)).toBe("out-of-sequence") // expected #0, got #1
      const s2 = server(flags, key)
      const tampered = PLAINTEXT.slice()
      tampered[0]! ^= 1
      expect(s2.verify(tampered, m0)).toBe("altered")
      const s3 = server(flags, key)
      expect(s3.verify(PLAINTEXT, m0)).toBe("valid")
      expect(s3.verify(PLAINTEXT, m0)).toBe("out-of-sequence") // replay
      expect(server(flags, key).verify(PLAINTEXT, new Uint8Array(3))).toBe("altered")
    })
  }

  it("a client does not accept its own outbound signatures", () => {
    const c = client(FLAGS_V2, RANDOM_SESSION_KEY)
    const c2 = client(FLAGS_V2, RANDOM_SESSION_KEY)
    expect(c2.verify(PLAINTEXT, c.sign(PLAINTEXT))).toBe("altered")
  })

  it("unseal zeroes the output when verification fails", () => {
    const sealed = client(FLAGS_V2, RANDOM_SESSION_KEY).seal(PLAINTEXT)
    sealed.signature[5]! ^= 0xff
    const r = server(FLAGS_V2, RANDOM_SESSION_KEY).unseal(sealed.data, sealed.signature)
    expect(r.outcome).toBe("altered")
    expect(r.data.every((b) => b === 0)).toBe(true)
  })

  it("wipe() zeroes keys and RC4 states and disables the context", () => {
    const c = client(FLAGS_V2, RANDOM_SESSION_KEY)
    c.wipe()
    const internals = c as unknown as Record<"outbound" | "inbound", { rc4: { s: Uint8Array }; signKey: Uint8Array }>
    for (const d of [internals.outbound, internals.inbound]) {
      expect(d.rc4.s.every((b) => b === 0)).toBe(true)
      expect(d.signKey.every((b) => b === 0)).toBe(true)
    }
    expect(() => c.sign(PLAINTEXT)).toThrow()
    expect(c.verify(PLAINTEXT, new Uint8Array(16))).toBe("altered")
  })
})
