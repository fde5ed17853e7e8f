import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { SpnegoToken } from "@effect-sspi/negotiate"
import { fixture, hex } from "./support.ts"

const ok = (h: string): SpnegoToken.NegotiationToken => Result.getOrThrow(SpnegoToken.decode(hex(h)))

describe("SpnegoToken (public decoder)", () => {
  it("a captured MIT Kerberos exchange: NegTokenInit with an optimistic AP-REQ, then accept-completed", () => {
    const [init, resp] = fixture("spnego-krb5").tokens
    const first = ok(init!.hex)
    if (first._tag !== "NegTokenInit") return assert.fail(first._tag)
    assert.deepStrictEqual(first.mechTypes.map(SpnegoToken.mechanismName), ["Kerberos V5", "NTLMSSP"])
    assert.strictEqual(SpnegoToken.detect(first.mechToken!), "Kerberos")
    const second = ok(resp!.hex)
    if (second._tag !== "NegTokenResp") return assert.fail(second._tag)
    assert.strictEqual(SpnegoToken.negStateName(second.negState!), "accept-completed")
    assert.isTrue(second.supportedMech!.equals(SpnegoToken.Mechanisms.KRB5))
  })

  it("NTLM inside SPNEGO and a server-initiated NegTokenInit2", () => {
    const [init] = fixture("spnego-ntlm").tokens
    const first = ok(init!.hex)
    assert.strictEqual(first._tag, "NegTokenInit")
    assert.strictEqual(first._tag === "NegTokenInit" ? SpnegoToken.detect(first.mechToken!) : "", "Ntlm")
    assert.strictEqual(ok(fixture("spnego-init2").tokens[0]!.hex)._tag, "NegTokenInit2")
  })

  it("encode gives back every captured token byte for byte", () => {
    for (const name of ["spnego-krb5", "spnego-ntlm", "spnego-init2"]) {
      for (const t of fixture(name).tokens) assert.strictEqual(Buffer.from(SpnegoToken.encode(ok(t.hex))).toString("hex"), t.hex.toLowerCase(), name)
    }
  })

  it("malformed input: SEC_E_INVALID_TOKEN naming the DER check", () => {
    for (const bad of ["", "6003", "a1023000ff", "604806062b0601050502"]) {
      const r = SpnegoToken.decode(hex(bad))
      assert.isTrue(Result.isFailure(r), bad)
      if (Result.isFailure(r)) {
        assert.strictEqual(r.failure._tag, "InvalidToken")
        assert.match(r.failure.detail ?? "", /^SPNEGO: \w+ at offset \d+$/)
      }
    }
    assert.strictEqual(SpnegoToken.detect(hex("4e544c4d5353500001000000")), "Ntlm")
    assert.deepStrictEqual(SpnegoToken.contextFlagNames(SpnegoToken.ContextFlag.Mutual | SpnegoToken.ContextFlag.Integ), ["mutualFlag", "integFlag"])
  })
})
