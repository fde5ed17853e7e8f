import { decode, Der, Oid } from "@effect-sspi/asn1"
import { Result } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { decodeMechTypeList, decodeToken } from "../src/internal/decode.ts"
import { detectToken } from "../src/internal/detect.ts"
import { encodeMechTypeList, encodeToken } from "../src/internal/encode.ts"
import { KRB5, MS_KRB5, NEGOEX, NTLMSSP, SPNEGO } from "../src/internal/oids.ts"
import { NegState } from "../src/internal/tokens.ts"
import { fixture, hex, ok, toHex } from "./support.ts"

const ntlm = fixture("spnego-ntlm")
const krb5 = fixture("spnego-krb5")
const init2 = fixture("spnego-init2")
const all = [ntlm, krb5, init2].flatMap((f) => f.tokens.map((t, i) => [`${f.name}#${i} (${t.from})`, t.hex] as const))

/** First 3 octets of the innerContextToken of a krb5 InitialContextToken. */
const innerStart = (b: Uint8Array): string =>
  toHex(ok(decode(b, (r) => r.gssInitialContextToken().pipe(Result.map((g) => g.inner.rest())))).subarray(0, 3))
const token = (h: string) => ok(decodeToken(hex(h)))
const NTLM_SIG = "4e544c4d53535000"

describe("well-known OIDs", () => {
  it.each([
    [SPNEGO, "1.3.6.1.5.5.2", "06062b0601050502"],
    [KRB5, "1.2.840.113554.1.2.2", "06092a864886f712010202"],
    [MS_KRB5, "1.2.840.48018.1.2.2", "06092a864882f712010202"],
    [NTLMSSP, "1.3.6.1.4.1.311.2.2.10", "060a2b06010401823702020a"],
    [NEGOEX, "1.3.6.1.4.1.311.2.2.30", "060a2b06010401823702021e"]
  ])("%s", (oid, dotted, der) => {
    expect(oid.toString()).toBe(dotted)
    expect(toHex(Der.encode(Der.oid(oid)))).toBe(der)
  })
})

describe("real SPNEGO tokens (MIT krb5 + gss-ntlmssp)", () => {
  it.each(all)("%s re-encodes byte for byte", (_, h) => {
    expect(toHex(encodeToken(token(h)))).toBe(h)
  })

  it("NTLM: NegTokenInit with an optimistic NEGOTIATE", () => {
    const t = token(ntlm.tokens[0]!.hex)
    expect(t._tag).toBe("NegTokenInit")
    if (t._tag !== "NegTokenInit") return
    expect(t.mechTypes.map(String)).toEqual([NTLMSSP.toString()])
    expect(t.reqFlags).toBeUndefined()
    expect(t.mechListMIC).toBeUndefined()
    expect(toHex(t.mechToken!).slice(0, 24)).toBe(NTLM_SIG + "01000000")
    expect(detectToken(hex(ntlm.tokens[0]!.hex))).toBe("Spnego")
    expect(detectToken(t.mechToken!)).toBe("Ntlm")
  })

  it("NTLM: NegTokenResp accept-incomplete with the CHALLENGE", () => {
    const t = token(ntlm.tokens[1]!.hex)
    expect(t._tag).toBe("NegTokenResp")
    if (t._tag !== "NegTokenResp") return
    expect(t.negState).toBe(NegState.AcceptIncomplete)
    expect(t.supportedMech?.equals(NTLMSSP)).toBe(true)
    expect(toHex(t.responseToken!).slice(0, 24)).toBe(NTLM_SIG + "02000000")
    expect(t.mechListMIC).toBeUndefined()
  })

  it("NTLM: AUTHENTICATE with a mechListMIC, then accept-completed with the acceptor's MIC", () => {
    const auth = token(ntlm.tokens[2]!.hex)
    const done = token(ntlm.tokens[3]!.hex)
    if (auth._tag !== "NegTokenResp" || done._tag !== "NegTokenResp") throw new Error("not NegTokenResp")
    expect(toHex(auth.responseToken!).slice(0, 24)).toBe(NTLM_SIG + "03000000")
    expect(auth.supportedMech).toBeUndefined()
    expect(auth.mechListMIC?.length).toBe(16) // NTLMSSP_MESSAGE_SIGNATURE
    expect(done.negState).toBe(NegState.AcceptCompleted)
    expect(done.responseToken).toBeUndefined()
    expect(toHex(done.mechListMIC!).slice(0, 8)).toBe("01000000")
  })

  it("Kerberos: NegTokenInit offering krb5 and NTLM with an optimistic AP-REQ", () => {
    const bytes = hex(krb5.tokens[0]!.hex)
    const t = token(krb5.tokens[0]!.hex)
    if (t._tag !== "NegTokenInit") throw new Error("not NegTokenInit")
    expect(t.mechTypes.map(String)).toEqual([KRB5.toString(), NTLMSSP.toString()])
    expect(detectToken(t.mechToken!)).toBe("Kerberos")
    // krb5 InitialContextToken: TOK_ID 01 00 then [APPLICATION 14] AP-REQ
    expect(innerStart(t.mechToken!)).toBe("01006e")
    // The MechTypeList DER is a verbatim part of the token (what the MIC covers).
    const list = encodeMechTypeList(t.mechTypes)
    expect(toHex(bytes)).toContain(toHex(list))
    expect(toHex(list)).toBe("301706092a864886f712010202060a2b06010401823702020a")
    expect(ok(decodeMechTypeList(list)).map(String)).toEqual(t.mechTypes.map(String))
  })

  it("Kerberos: NegTokenResp accept-completed with the AP-REP", () => {
    const t = token(krb5.tokens[1]!.hex)
    if (t._tag !== "NegTokenResp") throw new Error("not NegTokenResp")
    expect(t.negState).toBe(NegState.AcceptCompleted)
    expect(t.supportedMech?.equals(KRB5)).toBe(true)
    expect(detectToken(t.responseToken!)).toBe("Kerberos")
    expect(innerStart(t.responseToken!)).toBe("02006f") // TOK_ID 02 00, [APPLICATION 15] AP-REP
    expect(t.mechListMIC).toBeUndefined()
  })

  it("MS-SPNG: server-initiated NegTokenInit2 with negHints", () => {
    const t = token(init2.tokens[0]!.hex)
    if (t._tag !== "NegTokenInit2") throw new Error("not NegTokenInit2")
    expect(t.mechTypes?.map(String)).toEqual([KRB5.toString(), NTLMSSP.toString()])
    expect(t.negHints).toEqual({ hintName: "not_defined_in_RFC4178@please_ignore" })
    expect(t.mechToken).toBeUndefined()
    expect(t.mechListMIC).toBeUndefined()
  })
})

describe("hand-built tokens", () => {
  it("NegTokenResp request-mic and reject", () => {
    expect(toHex(encodeToken({ _tag: "NegTokenResp", negState: NegState.RequestMic }))).toBe("a1073005a0030a0103")
    expect(toHex(encodeToken({ _tag: "NegTokenResp", negState: NegState.Reject }))).toBe("a1073005a0030a0102")
    expect(decodeToken(hex("a1073005a0030a0104"))._tag).toBe("Failure") // negState 4
  })

  it("reqFlags as a named bit list", () => {
    const t = encodeToken({ _tag: "NegTokenInit", mechTypes: [KRB5], reqFlags: 0b110 })
    // [1] BIT STRING { replayFlag(2), mutualFlag(1) } = 03 02 05 60
    expect(toHex(t)).toContain("a10403020560")
    expect(ok(decodeToken(t))).toMatchObject({ _tag: "NegTokenInit", reqFlags: 0b110 })
  })

  it("rejects a bare NegTokenInit, a framed NegTokenResp, a foreign mech and trailing fields", () => {
    const init = hex(init2.tokens[0]!.hex)
    expect(decodeToken(init.subarray(10))._tag).toBe("Failure") // bare [0]
    const resp = hex(ntlm.tokens[3]!.hex)
    expect(decodeToken(Der.encode(Der.gssInitialContextToken(SPNEGO, resp)))._tag).toBe("Failure")
    expect(decodeToken(Der.encode(Der.gssInitialContextToken(KRB5, init.subarray(10))))._tag).toBe("Failure")
    const extra = Der.encode(Der.explicit(1, Der.sequence([Der.explicit(0, Der.enumerated(0)), Der.explicit(5, Der.boolean(true))])))
    expect(decodeToken(extra)._tag).toBe("Failure")
  })
})

describe("detectToken", () => {
  it.each([
    ["raw NTLM", hex(NTLM_SIG + "01000000"), "Ntlm"],
    ["krb5 InitialContextToken", Der.encode(Der.gssInitialContextToken(KRB5, hex("0100"))), "Kerberos"],
    ["MS-krb5 InitialContextToken", Der.encode(Der.gssInitialContextToken(MS_KRB5, hex("0100"))), "Kerberos"],
    ["SPNEGO init", hex(krb5.tokens[0]!.hex), "Spnego"],
    ["SPNEGO resp", hex(krb5.tokens[1]!.hex), "Spnego"],
    ["another mech", Der.encode(Der.gssInitialContextToken(Oid.unsafeFromString("1.2.3"), hex("00"))), "Unknown"],
    ["truncated framing", hex(krb5.tokens[0]!.hex).subarray(0, 20), "Unknown"],
    ["empty", new Uint8Array(0), "Unknown"],
    ["short NTLM", hex("4e544c4d535350"), "Unknown"]
  ])("%s", (_, bytes, kind) => {
    expect(detectToken(bytes)).toBe(kind)
  })
})
