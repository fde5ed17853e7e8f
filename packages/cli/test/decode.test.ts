import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Result } from "effect"
import { Credentials, Flags, Handshake, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { AuthHeader } from "@effect-sspi/http"
import { decode } from "../src/internal/decodeInput.ts"
import { render } from "../src/internal/tree.ts"

const layer = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore())),
  Layer.provide(UserStore.layerMemory([{ domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }]))
)

describe("decode", () => {
  it.effect("all three NTLM messages of a real handshake: every field, NTProofStr and client challenge as on the wire", () =>
    Effect.scoped(Effect.gen(function*() {
      const client = yield* SecurityContext.initiator(
        yield* Credentials.acquire({
          packageName: "NTLM",
          credentialUse: Flags.CredentialUse.OUTBOUND,
          authData: { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }
        }),
        { targetName: "HTTP/localhost" }
      )
      const server = yield* SecurityContext.acceptor(
        yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
      )
      const legs = yield* Handshake.run(client, server)
      const [negotiate, challenge, authenticate] = legs.map((l) => AuthHeader.format("NTLM", l.token))
      const text = (line: string) => {
        const r = decode(line)
        assert.isTrue(Result.isSuccess(r))
        return Result.isSuccess(r) ? render(r.success) : ""
      }
      assert.include(text(`Authorization: ${negotiate}`), "NEGOTIATE_MESSAGE")
      const c = text(`WWW-Authenticate: ${challenge}`)
      assert.include(c, "CHALLENGE_MESSAGE")
      assert.include(c, "server challenge: ")
      assert.include(c, "MsvAvTimestamp: ")
      const a = text(authenticate!)
      assert.include(a, "user: \"alice\"")
      assert.include(a, "domain: \"EXAMPLE\"")
      assert.include(a, "NT response: NTLMv2")
      assert.include(a, "MsvAvTargetName: \"HTTP/localhost\"")
      const token = Buffer.from(legs[2]!.token!).toString("hex")
      // the NTProofStr is the first 16 bytes of the NTLMv2 response, followed by 0x0101 0000 0000 0000, the timestamp and the client challenge
      const proof = /NTProofStr: ([0-9a-f]{32})/.exec(a)?.[1]
      const clientChallenge = /client challenge: ([0-9a-f]{16})/.exec(a)?.[1]
      assert.isDefined(proof)
      assert.isDefined(clientChallenge)
      const at = token.indexOf(`${proof}0101000000000000`)
      assert.isAbove(at, 0, "NTProofStr as on the wire")
      assert.strictEqual(token.slice(at + 32 + 16 + 16, at + 32 + 16 + 16 + 16), clientChallenge)
      const mic = /MIC: ([0-9a-f]{32})/.exec(a)?.[1]
      assert.strictEqual(mic, token.slice(144, 176), "MIC at offset 72 (MS-NLMP 2.2.1.3)")
    }).pipe(Effect.provide(layer))))

  it("SPNEGO with Kerberos (a captured MIT exchange): mechanisms by name, the AP-REQ / AP-REP with named fields, no ciphertext", () => {
    const capture = JSON.parse(
      readFileSync(new URL("../../negotiate/test/fixtures/spnego-krb5.json", import.meta.url), "utf8")
    ) as { readonly tokens: ReadonlyArray<{ readonly hex: string }> }
    const text = (h: string) => {
      const r = decode(`Authorization: Negotiate ${Buffer.from(h, "hex").toString("base64")}`)
      assert.isTrue(Result.isSuccess(r), Result.isFailure(r) ? r.failure : "")
      return Result.isSuccess(r) ? render(r.success) : ""
    }
    const init = text(capture.tokens[0]!.hex)
    assert.include(init, "SPNEGO NegTokenInit")
    assert.include(init, "OID 1.2.840.113554.1.2.2 (Kerberos V5) — preferred")
    assert.include(init, "TOK_ID 0100 (KRB_AP_REQ)")
    assert.include(init, "Kerberos AP-REQ")
    assert.include(init, "sname: HTTP/localhost")
    const cipher = capture.tokens[0]!.hex
    assert.notInclude(init, cipher.slice(cipher.length - 64), "no ciphertext bytes")
    const resp = text(capture.tokens[1]!.hex)
    assert.include(resp, "negState: accept-completed")
    assert.include(resp, "TOK_ID 0200 (KRB_AP_REP)")
    assert.include(resp, "msg-type: AP-REP (15)")
  })
})
