// Consumer check (a): a plain Node ESM program, no TypeScript, no tsx, using the
// installed tarballs: imports core, ntlm, kerberos, negotiate and http and runs
// x, then signs and
// verifies a message. Exits non-zero on any failure.
import { Credentials, Flags, Handshake, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { Kerberos } from "@effect-sspi/kerberos"
import { Negotiate } from "@effect-sspi/negotiate"
import { SspiClient, SspiServer } from "@effect-sspi/http"
import { Effect, Layer, Redacted } from "effect"

for (const [name, value] of Object.entries({ Kerberos, Negotiate, SspiClient, SspiServer })) {
  if (typeof value !== "object" || value === null) throw new Error(`${name} is not exported`)
}

const runtime = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore())),
  Layer.provide(UserStore.layerMemory([{ domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }]))
)

const message = new TextEncoder().encode("hello from a consumer")

const program = Effect.scoped(Effect.gen(function*() {
  const client = yield* Credentials.acquire({
    packageName: "NTLM",
    credentialUse: Flags.CredentialUse.OUTBOUND,
    authData: { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }
  })
  const server = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
  const initiator = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost" })
  const acceptor = yield* SecurityContext.acceptor(server)
  yield* Handshake.run(initiator, acceptor)
  const signature = yield* initiator.makeSignature(message)
  yield* acceptor.verifySignature(message, signature)
  return signature.length
}))

const length = await Effect.runPromise(program.pipe(Effect.provide(runtime)))
console.log(`handshake.mjs: NTLM handshake complete on Node ${process.version}, ${length}-byte signature verified`)
