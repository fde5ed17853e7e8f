/** Runtimes with Negotiate over NTLM (and a stand-in Kerberos for timing tests), and scoped contexts. */
import { Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SecurityError, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Negotiate } from "@effect-sspi/negotiate"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"

export const users: ReadonlyArray<UserStore.UserEntry> = [
  { domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }
]
export const alice = { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }

/**
 * A Kerberos stand-in whose KDC never answers: initialize waits `timeoutMs`
 * of Clock time, then fails as a KDC time-out does. Timing tests only.
 */
export const unreachableKerberos = (timeoutMs: number): SecurityPackage.SecurityPackage<null, null> => ({
  info: { name: "Kerberos", comment: "stand-in", capabilities: 0, version: 1, rpcId: 16, maxToken: 48000 },
  acquireCredentials: () => Effect.succeed({ credential: null, expiry: Infinity }),
  freeCredentials: () => Effect.void,
  initialize: () => Effect.andThen(Effect.sleep(timeoutMs), Effect.fail(new SecurityError.NoAuthenticatingAuthority({}))),
  accept: () => Effect.fail(new SecurityError.NoCredentials({})),
  deleteContext: () => Effect.void,
  queryAttribute: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  makeSignature: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  verifySignature: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  encryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  decryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({}))
})

export const negotiateLayer = (kerberos?: SecurityPackage.AnySecurityPackage) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(
      Effect.map(Ntlm.withUserStore(), (ntlm) => Negotiate.make({ ntlm, kerberos })),
      Ntlm.withUserStore()
    )),
    Layer.provide(UserStore.layerMemory(users))
  )

export const credentials = (packageName: string, use: Flags.CredentialUse, authData: unknown = {}) =>
  Credentials.acquire({ packageName, credentialUse: use, authData })

export const negotiatePair = (clientAuth: unknown = alice, clientPackage = "Negotiate") =>
  Effect.gen(function*() {
    const initiator = yield* SecurityContext.initiator(
      yield* credentials(clientPackage, Flags.CredentialUse.OUTBOUND, clientAuth),
      { targetName: "HTTP/localhost" }
    )
    const acceptor = yield* SecurityContext.acceptor(yield* credentials("Negotiate", Flags.CredentialUse.INBOUND))
    return { initiator, acceptor }
  })
