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
  it.effect("all three NTLM messages of a real handshake; responses shown by size only", () =>
    Effect.scoped(Effect.gen(function*() {
      const client = yield* SecurityContext.initiator(
        yield* Credentials.acquire({
          packageName: "NTLM",
          credentialUse: Flags.CredentialUse.OUTBOUND,
          authData: { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }
        }),
        { targetName: "HTTP/server.example" }
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
      assert.include(a, "MsvAvTargetName: \"HTTP/server.example\"")
      assert.include(a, "MIC: present")
      const nt = Buffer.from(legs[2]!.token!).toString("hex")
      assert.notInclude(a, nt.slice(nt.length - 64), "no response bytes")
    }).pipe(Effect.provide(layer))))
})
