/**
 * The PDU codec (C706 12.6) and the Netlogon reply decoders, as properties
 * (fast-check) and against a real NetrLogonSamLogonWithFlags reply of the
 * Samba DC (test/samlogon-response.hex: alice, unsealed stub data).
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { decodeAuthenticate3, decodeReqChallenge, decodeSamLogonWithFlags } from "../src/internal/nrpc/calls.ts"
import { decodeEptMapResponse, EPM, tcpTower, towerPort } from "../src/internal/rpc/epm.ts"
import { decodePdu, encodePdu, fragmentLength, MAX_FRAGMENT, type Pdu, PfcFlags } from "../src/internal/rpc/pdu.ts"
import { NETLOGON, samLogonWithFlagsRequest } from "../src/internal/nrpc/calls.ts"
import { MAX_NAME_CHARS, MAX_RESPONSE_BYTES } from "../src/NetlogonClient.ts"

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const u16 = fc.integer({ min: 0, max: 0xffff })
const stub = fc.uint8Array({ maxLength: 2000 })
const auth = fc.option(
  fc.record({
    authType: fc.integer({ min: 0, max: 255 }),
    authLevel: fc.integer({ min: 0, max: 255 }),
    padLength: fc.constant(0),
    contextId: u32,
    value: fc.uint8Array({ minLength: 1, maxLength: 64 })
  }),
  { nil: undefined }
)
const flags = fc.constantFrom(PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, PfcFlags.FIRST_FRAG, PfcFlags.LAST_FRAG, 0)

const pdu: fc.Arbitrary<Pdu> = fc.oneof(
  fc.record({ type: fc.constant("request" as const), callId: u32, flags, allocHint: u32, contextId: u16, opnum: u16, stub, auth }),
  fc.record({ type: fc.constant("response" as const), callId: u32, flags, allocHint: u32, contextId: u16, stub, auth }),
  fc.record({ type: fc.constant("fault" as const), callId: u32, flags, status: u32 }),
  fc.record({ type: fc.constant("bind_nak" as const), callId: u32, reason: u16 })
)

/** Stub lengths are padded to 4 when an auth verifier follows: compare what survives. */
const normal = (p: Pdu): Pdu =>
  (p.type === "request" || p.type === "response") && p.auth !== undefined && p.stub.length % 4 !== 0
    ? { ...p, stub: Uint8Array.from([...p.stub, ...new Uint8Array(4 - (p.stub.length % 4))]) }
    : p

describe("DCE/RPC PDU codec", () => {
  it("decode(encode(pdu)) = pdu for every request, response, fault and bind_nak that fits a fragment", () => {
    fc.assert(fc.property(pdu, (p) => {
      const bytes = encodePdu(p)
      fc.pre(bytes.length <= MAX_FRAGMENT)
      expect(Result.getOrThrow(decodePdu(bytes))).toEqual(normal(p))
    }))
  })

  it("any bytes decode to a PDU or a typed error, never a throw", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const r = decodePdu(bytes)
      expect(Result.isSuccess(r) || r.failure._tag === "RpcProtocolError").toBe(true)
    }), { numRuns: 2000 })
  })

  it("every truncation of a valid PDU and every auth_length past the fragment is refused", () => {
    fc.assert(fc.property(pdu, fc.nat(), (p, cut) => {
      const bytes = encodePdu(p)
      fc.pre(bytes.length <= MAX_FRAGMENT)
      expect(Result.isFailure(decodePdu(bytes.subarray(0, cut % bytes.length)))).toBe(true)
      const lying = bytes.slice()
      new DataView(lying.buffer).setUint16(10, bytes.length, true)
      expect(Result.isFailure(decodePdu(lying))).toBe(true)
    }))
  })

  it("fragment length: beyond MAX_FRAGMENT, below the header, or big-endian data representation is refused", () => {
    const header = encodePdu({ type: "fault", callId: 1, flags: 3, status: 5 }).subarray(0, 16)
    const withLength = (n: number) => {
      const h = header.slice()
      new DataView(h.buffer).setUint16(8, n, true)
      return h
    }
    expect(Result.getOrThrow(fragmentLength(withLength(MAX_FRAGMENT)))).toBe(MAX_FRAGMENT)
    expect(Result.isFailure(fragmentLength(withLength(MAX_FRAGMENT + 1)))).toBe(true)
    expect(Result.isFailure(fragmentLength(withLength(15)))).toBe(true)
    const bigEndian = header.slice()
    bigEndian[4] = 0x00
    expect(Result.isFailure(fragmentLength(bigEndian))).toBe(true)
  })
})

describe("request size", () => {
  it("the largest request verifyNetworkLogon admits fits one sealed fragment", () => {
    const name = "n".repeat(MAX_NAME_CHARS)
    const stub = samLogonWithFlagsRequest(name, name, { credential: new Uint8Array(8), timestamp: 0 }, {
      domain: name,
      user: name,
      workstation: name,
      parameterControl: 0,
      serverChallenge: new Uint8Array(8),
      ntResponse: new Uint8Array(MAX_RESPONSE_BYTES),
      lmResponse: new Uint8Array(24)
    })
    const padded = stub.length + ((16 - (stub.length % 16)) % 16)
    expect(24 + padded + 8 + 56).toBeLessThanOrEqual(MAX_FRAGMENT)
  })
})

describe("endpoint mapper towers", () => {
  it("the Netlogon tower round-trips its port; a tower for another interface gives none", () => {
    fc.assert(fc.property(u16, (port) => {
      expect(towerPort(tcpTower(NETLOGON, port, [127, 0, 0, 1]), NETLOGON)).toBe(port)
      expect(towerPort(tcpTower(EPM, port, [127, 0, 0, 1]), NETLOGON)).toBeUndefined()
    }))
  })

  it("towerPort and decodeEptMapResponse never throw on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      towerPort(bytes, NETLOGON)
      expect(() => decodeEptMapResponse(bytes, NETLOGON)).not.toThrow()
    }), { numRuns: 2000 })
  })
})

const fixture = (name: string) =>
  Uint8Array.from(Buffer.from(readFileSync(new URL(`./${name}`, import.meta.url), "utf8").trim(), "hex"))

/** Replies of the Samba DC for alice (unsealed stub data): validation level 3 (SAM_INFO2) and 6 (SAM_INFO4). */
const replies = [
  { level: 3, bytes: fixture("samlogon-response.hex") },
  { level: 6, bytes: fixture("samlogon-response-info4.hex") }
] as const

describe.each(replies)("NetrLogonSamLogonWithFlags reply, validation level $level", ({ bytes: samLogonReply, level }) => {
  it("the Samba DC's reply for alice decodes: names, RIDs, groups, domain SID (and DNS domain, UPN)", () => {
    const answer = Result.getOrThrow(decodeSamLogonWithFlags(samLogonReply))
    expect(answer.status).toBe(0)
    const v = answer.value!.validation!
    expect(v.effectiveName).toBe("alice")
    expect(v.fullName).toBe("Alice Liddell")
    expect(v.logonServer).toBe("DC1")
    expect(v.logonDomain).toBe("CORP")
    expect(v.logonDomainSid).toMatch(/^S-1-5-21-\d+-\d+-\d+$/)
    expect(v.userId).toBe(1103)
    expect(v.primaryGroupId).toBe(513)
    expect(v.groups).toEqual([
      { relativeId: 513, attributes: 7 },
      { relativeId: 1104, attributes: 7 },
      { relativeId: 1105, attributes: 7 }
    ])
    expect(v.extraSids).toEqual([])
    expect(v.userSessionKeyEncrypted).toBe(level === 3)
    expect(v.upn).toBe(level === 6 ? "alice@corp.test" : undefined)
    expect(v.dnsLogonDomain?.toLowerCase()).toBe(level === 6 ? "corp.test" : undefined)
    expect(answer.value!.returnAuthenticator).toHaveLength(8)
  })

  it("every truncation and every trailing byte is a typed error, never a throw", () => {
    for (let n = 0; n < samLogonReply.length; n++) {
      expect(Result.isFailure(decodeSamLogonWithFlags(samLogonReply.subarray(0, n)))).toBe(true)
    }
    expect(Result.isFailure(decodeSamLogonWithFlags(Uint8Array.from([...samLogonReply, 0])))).toBe(true)
  })

  it("random corruption decodes or fails typed; a huge GroupCount is refused without allocating", () => {
    fc.assert(fc.property(fc.nat({ max: samLogonReply.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
      const bytes = samLogonReply.slice()
      bytes[at] = value
      const r = decodeSamLogonWithFlags(bytes)
      expect(Result.isSuccess(r) || r.failure._tag === "NdrError").toBe(true)
    }), { numRuns: 3000 })
    // SAM_INFO starts at 24 (return authenticator, union arm); after 6 times, 6 strings and 2 counters:
    // UserId at 124, PrimaryGroupId at 128, GroupCount at 132
    const huge = samLogonReply.slice()
    const view = new DataView(huge.buffer)
    expect([view.getUint32(124, true), view.getUint32(128, true), view.getUint32(132, true)]).toEqual([1103, 513, 3])
    view.setUint32(132, 0x80000000, true)
    const r = decodeSamLogonWithFlags(huge)
    expect(Result.isFailure(r) && r.failure.reason).toMatch(/conformance|exceeds/)
  })
})

describe("other Netlogon replies", () => {
  it("the other replies: any bytes are a value or a typed error", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const challenge = decodeReqChallenge(bytes)
      expect(Result.isSuccess(challenge) || challenge.failure._tag === "NdrError").toBe(true)
      const auth3 = decodeAuthenticate3(bytes)
      expect(Result.isSuccess(auth3) || auth3.failure._tag === "NdrError").toBe(true)
    }))
  })
})
