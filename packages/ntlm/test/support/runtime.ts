/** A runtime with the NTLM package over an in-memory user store, and scoped contexts for tests. */
import { Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"

export const users: ReadonlyArray<UserStore.UserEntry> = [
  { domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") },
  { domain: "", user: "bob", password: Redacted.make("hunter2") }
]

/**
 * One package instance plays both sides, so the tests' target
 * (HTTP/server.example) is one of its own names: a loopback handshake, which
 * the initiator's reflection check lets through.
 */
export const ntlmLayer = (options: Omit<Ntlm.NtlmOptions, "userStore"> = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore({
      ...options,
      serverNames: { dnsComputer: "server.example", ...options.serverNames }
    }))),
    Layer.provide(UserStore.layerMemory(users))
  )

export const clientCredentials = (auth: Ntlm.NtlmAuthData) =>
  Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.OUTBOUND, authData: auth })

export const serverCredentials = (auth: Ntlm.NtlmAuthData = {}) =>
  Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND, authData: auth })

export const alice: Ntlm.NtlmAuthData = { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }

export const pair = (client: Ntlm.NtlmAuthData, options: SecurityContext.ContextOptions = {}, serverOptions: SecurityContext.ContextOptions = {}) =>
  Effect.gen(function*() {
    const initiator = yield* SecurityContext.initiator(yield* clientCredentials(client), {
      targetName: "HTTP/server.example",
      contextReq: Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT,
      ...options
    })
    const acceptor = yield* SecurityContext.acceptor(yield* serverCredentials(), {
      contextReq: Flags.AscReq.CONFIDENTIALITY | Flags.AscReq.INTEGRITY | Flags.AscReq.REPLAY_DETECT,
      ...serverOptions
    })
    return { initiator, acceptor }
  })
