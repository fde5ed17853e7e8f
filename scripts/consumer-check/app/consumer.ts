// Consumer check (b): a TypeScript app with ordinary settings (tsconfig.json:
// module NodeNext, strict, no allowImportingTsExtensions, no ambient node
// types of its own) type-checks against the installed packages.
import { Credentials, Flags, Handshake, SecurityContext, SecurityError, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { Kerberos } from "@effect-sspi/kerberos"
import { Negotiate } from "@effect-sspi/negotiate"
import { SspiClient, SspiServer } from "@effect-sspi/http"
import { Effect, Layer, Redacted } from "effect"

export const packages = { Kerberos, Negotiate, SspiClient, SspiServer }

const runtime = SspiRuntime.SspiRuntime.layer.pipe(
  Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore())),
  Layer.provide(UserStore.layerMemory([{ domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }]))
)

export const program: Effect.Effect<number, SecurityError.SspiError> = Effect.scoped(Effect.gen(function*() {
  const client = yield* Credentials.acquire({
    packageName: "NTLM",
    credentialUse: Flags.CredentialUse.OUTBOUND,
    authData: { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }
  })
  const server = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
  const initiator = yield* SecurityContext.initiator(client, { targetName: "HTTP/localhost" })
  const acceptor = yield* SecurityContext.acceptor(server)
  yield* Handshake.run(initiator, acceptor)
  const message = Uint8Array.from([104, 101, 108, 108, 111])
  const signature = yield* initiator.makeSignature(message)
  yield* acceptor.verifySignature(message, signature)
  return signature.length
})).pipe(Effect.provide(runtime))

// The types are real, not `any` (an unused @ts-expect-error fails the check):
const denied = new SecurityError.LogonDenied({ detail: "x" })
export const status: "SEC_E_LOGON_DENIED" = denied.status
// @ts-expect-error: a LogonDenied's status is SEC_E_LOGON_DENIED
export const wrongStatus: "SEC_E_OK" = denied.status
// @ts-expect-error: the program's error channel holds SSPI errors, not strings
export const wrongError: Effect.Effect<number, string> = program
// @ts-expect-error: a credential needs a package name
export const noPackage = Credentials.acquire({ credentialUse: Flags.CredentialUse.OUTBOUND })
