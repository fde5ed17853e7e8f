import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { NtlmMessage } from "@effect-sspi/ntlm"
import { AUTHENTICATE_V2, CHALLENGE_V2, chromium, hex, SERVER_CHALLENGE, unhex } from "./vectors.ts"

const ok = (bytes: Uint8Array): NtlmMessage.NtlmMessage => Result.getOrThrow(NtlmMessage.decode(bytes))

describe("NtlmMessage (public decoder)", () => {
  it("NEGOTIATE: flags by name", () => {
    const m = ok(chromium.negotiate)
    assert.strictEqual(m._tag, "Negotiate")
    assert.strictEqual(m.size, chromium.negotiate.length)
    assert.includeMembers([...NtlmMessage.flagNames(m.flags)], ["NTLMSSP_NEGOTIATE_UNICODE", "NTLMSSP_NEGOTIATE_NTLM"])
  })

  it("CHALLENGE (MS-NLMP 4.2.4.3): server challenge, target info by name", () => {
    const m = ok(CHALLENGE_V2)
    assert.strictEqual(m._tag, "Challenge")
    if (m._tag !== "Challenge") return
    assert.strictEqual(hex(m.serverChallenge), hex(SERVER_CHALLENGE))
    assert.strictEqual(m.targetName, "Server")
    assert.deepStrictEqual(m.targetInfo?.map((p) => [p.name, p.text]), [
      ["MsvAvNbDomainName", "Domain"],
      ["MsvAvNbComputerName", "Server"]
    ])
  })

  it("AUTHENTICATE (MS-NLMP 4.2.4.3): names and the NTLMv2 response's parts", () => {
    const m = ok(AUTHENTICATE_V2)
    assert.strictEqual(m._tag, "Authenticate")
    if (m._tag !== "Authenticate") return
    assert.deepStrictEqual([m.domain, m.user, m.workstation], ["Domain", "User", "COMPUTER"])
    assert.strictEqual(m.ntResponse._tag, "NTLMv2")
    assert.strictEqual(m.encryptedRandomSessionKey?.length, 16)
    assert.strictEqual(m.mic, undefined)
  })

  it("AUTHENTICATE with a MIC, timestamp, MsvAvFlags, channel bindings and target name (Chromium vectors)", () => {
    const m = ok(chromium.authenticate)
    if (m._tag !== "Authenticate" || m.ntResponse._tag !== "NTLMv2") return assert.fail("not NTLMv2")
    assert.strictEqual(hex(m.mic!), hex(chromium.mic))
    assert.strictEqual(m.ntResponse.timestamp, chromium.clientTimestamp)
    assert.strictEqual(hex(m.ntResponse.ntProofStr), hex(chromium.proof))
    const byName = new Map(m.ntResponse.avPairs.map((p) => [p.name, p]))
    assert.strictEqual(byName.get("MsvAvFlags")?.flags, NtlmMessage.AvFlags.MIC_PRESENT)
    assert.strictEqual(byName.get("MsvAvTargetName")?.text, "HTTP/Server")
    assert.strictEqual(byName.get("MsvAvChannelBindings")?.noChannelBindings, false)
    assert.strictEqual(NtlmMessage.fileTimeToDate(chromium.clientTimestamp)?.toISOString(), "2017-05-23T20:13:07.000Z")
  })

  it("malformed input: SEC_E_INVALID_TOKEN with the failed check, never throwing", () => {
    for (const bad of [new Uint8Array(0), unhex("4e544c4d5353500001000000"), AUTHENTICATE_V2.subarray(0, 80), unhex("4e544c4d5353500009000000")]) {
      const r = NtlmMessage.decode(bad)
      assert.isTrue(Result.isFailure(r))
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "InvalidToken")
        assert.strictEqual(r.failure.code, 0x80090308)
        assert.match(r.failure.detail ?? "", /^NTLM: /)
      }
    }
    assert.isFalse(NtlmMessage.isNtlm(unhex("6082")))
    assert.strictEqual(NtlmMessage.avIdName(0x0b), "AvId 0x000b")
  })
})
