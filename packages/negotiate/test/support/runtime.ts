/** Runtimes with Negotiate over NTLM (and Kerberos when given), and scoped contexts. */
import { Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SecurityError, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Negotiate } from "@effect-sspi/negotiate"
import { Kerberos } from "@effect-sspi/kerberos"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"

export const users: ReadonlyArray<UserStore.UserEntry> = [
  { domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }
]
export const alice = { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }

/**
 * Negotiate over NTLM and, when given, a Kerberos package (or the options to
 * build the real one). NTLM takes core's `HandshakeStore` from the context
 * when the layer is given one.
 */
export const negotiateLayer = (
  kerberos?: SecurityPackage.AnySecurityPackage | Kerberos.KerberosOptions,
  options: Omit<Negotiate.NegotiateOptions, "ntlm" | "kerberos"> = {},
  ntlmOptions: Omit<Ntlm.NtlmOptions, "userStore"> = {}
) => {
  const kerberosPackage: Effect.Effect<SecurityPackage.AnySecurityPackage | undefined, SecurityError.SspiError> = kerberos === undefined
    ? Effect.succeed(undefined)
    : "info" in kerberos
    ? Effect.succeed(kerberos as SecurityPackage.AnySecurityPackage)
    : Kerberos.make(kerberos as Kerberos.KerberosOptions)
  return SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Layer.unwrap(Effect.gen(function*() {
      const ntlm = yield* Ntlm.withUserStore(ntlmOptions)
      const krb = yield* kerberosPackage
      return SecurityPackage.SecurityPackages.layer(Negotiate.make({ ...options, ntlm, kerberos: krb }), ntlm, ...(krb ? [krb] : []))
    }))),
    Layer.provide(UserStore.layerMemory(users))
  )
}

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
