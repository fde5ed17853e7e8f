/**
 * `sspi decode --password`: a real python3-ntlm-auth AUTHENTICATE for our
 * acceptor's CHALLENGE, checked against the password; the exported session
 * key it derives equals the one python3-ntlm-auth and our acceptor hold.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Drivers, Ours, requirePeersSync } from "@effect-sspi/interop-harness"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { sspi } from "./support.ts"

const hasNtlmAuth = requirePeersSync("ntlmAuth")
const alice = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }

const layer = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore())),
  Layer.provide(UserStore.layerMemory([{ domain: alice.domain, user: alice.user, password: Redacted.make(alice.password) }]))
)

const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("sspi decode --password (NTLM)", () => {
  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth's AUTHENTICATE: the password matches, the session keys only with --show-secrets and equal to both peers'", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.ntlmAuthClient({ user: alice.user, domain: alice.domain, password: alice.password })
      const ours = yield* SecurityContext.acceptor(
        yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
      )
      const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours))
      assert.strictEqual(result.legs, 3)
      const [, challenge, authenticate] = result.tokens.map((t) => `NTLM ${Buffer.from(t.token).toString("base64")}`)
      const acceptorKey = hexOf((yield* ours.query("SessionKey")).key)
      const peerKey = Buffer.from(result.initiator?.session_key ?? "", "base64").toString("hex")
      assert.strictEqual(peerKey, acceptorKey, "both peers hold the same exported session key")

      const hidden = yield* sspi(["decode", "--password", alice.password, `WWW-Authenticate: ${challenge}`, `Authorization: ${authenticate}`])
      assert.strictEqual(hidden.code, 0, hidden.stderr)
      assert.include(hidden.stdout, "password check (NTLMv2, EXAMPLE\\alice)")
      assert.include(hidden.stdout, "password: matches (NTProofStr verified)")
      assert.include(hidden.stdout, "session base key: <16 bytes; --show-secrets shows it>")
      assert.include(hidden.stdout, "exported session key (RC4-decrypted EncryptedRandomSessionKey): <16 bytes")
      assert.notInclude(hidden.stdout, acceptorKey, "no key without --show-secrets")

      // the same from SSPI_PASSWORD, with --show-secrets: the exported session key both peers derived
      const shown = yield* sspi(["decode", "--show-secrets", challenge!, authenticate!], { SSPI_PASSWORD: alice.password })
      assert.strictEqual(shown.code, 0, shown.stderr)
      assert.include(shown.stdout, `exported session key (RC4-decrypted EncryptedRandomSessionKey): ${acceptorKey}`)
      assert.match(shown.stdout, /session base key: [0-9a-f]{32}\n/)

      const wrong = yield* sspi(["decode", "--show-secrets", "--password", "Passw0rd?", challenge!, authenticate!])
      assert.strictEqual(wrong.code, 0, wrong.stderr)
      assert.include(wrong.stdout, "password: does NOT match (NTProofStr differs)")
      assert.notMatch(wrong.stdout, /session base key|exported session key/, "no key from a wrong password")

      const reversed = yield* sspi(["decode", "--password", alice.password, authenticate!, challenge!])
      assert.include(reversed.stdout, "--password: give the NTLM CHALLENGE before the AUTHENTICATE")
      const lonely = yield* sspi(["decode", "--show-secrets", challenge!], { SSPI_PASSWORD: "" })
      assert.strictEqual(lonely.code, 2)
      assert.include(lonely.stderr, "--show-secrets needs --keytab or --password")
    }).pipe(Effect.provide(layer))), 60_000)
})
