/**
 * An NTLM handshake whose AUTHENTICATE the REAL DC verifies: our NTLM
 * package's acceptor issues the CHALLENGE (announcing the machine account's
 * names, which the DC checks in the NTLMv2 response: MsvAvNbComputerName and
 * MsvAvNbDomainName must be the secure channel's computer and domain), the
 * client under test answers, and the AUTHENTICATE's fields go to
 * NetlogonClient. Gives the session key the client must hold.
 */
import { Effect, Layer, Redacted, Result } from "effect"
import { Credentials, Flags, SecurityContext, SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import type { Drivers, SambaDc } from "@effect-sspi/interop-harness"
import { Rc4 } from "@effect-sspi/legacy-crypto"
import { Ntlm, NtlmMessage, UserStore } from "@effect-sspi/ntlm"
import { NetlogonClient } from "../../src/index.ts"

/** The runtime of our NTLM package, announcing `names` (WEB1 / CORP by default). */
export const runtime = (names: NonNullable<Ntlm.NtlmOptions["serverNames"]> = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withUserStore({
      serverNames: { netbiosComputer: "WEB1", netbiosDomain: "CORP", dnsComputer: "web1.corp.test", dnsDomain: "corp.test", ...names }
    }))),
    Layer.provide(UserStore.layerMemory([]))
  )

/** A payload field (length, max length, offset) of an AUTHENTICATE_MESSAGE ([MS-NLMP] 2.2.1.3). */
const field = (message: Uint8Array, at: number): Uint8Array => {
  const v = new DataView(message.buffer, message.byteOffset, message.byteLength)
  const offset = v.getUint32(at + 4, true)
  return message.slice(offset, offset + v.getUint16(at, true))
}

/** Runs `client` against our acceptor's CHALLENGE, has the DC verify it; the DC's answer and the exported session key. */
export const throughDc = <E>(dc: SambaDc.SambaDc, client: Drivers.Stepper<E>) =>
  Effect.gen(function*() {
    const acceptor = yield* SecurityContext.acceptor(
      yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
    )
    const negotiate = yield* client.step(null)
    const challenge = yield* acceptor.step(negotiate.token!)
    const authenticate = (yield* client.step(challenge.token!)).token!
    const c = Result.getOrThrow(NtlmMessage.decode(challenge.token!))
    const a = Result.getOrThrow(NtlmMessage.decode(authenticate))
    if (c._tag !== "Challenge" || a._tag !== "Authenticate") return yield* Effect.die("unexpected NTLM messages")
    const netlogon = yield* NetlogonClient.make({
      dc: "127.0.0.1",
      domain: dc.domain,
      machineAccount: dc.web1.account,
      machinePassword: Redacted.make(dc.web1.password)
    })
    const result = yield* netlogon.verifyNetworkLogon({
      domain: a.domain,
      user: a.user,
      workstation: a.workstation,
      serverChallenge: c.serverChallenge,
      lmResponse: field(authenticate, 12),
      ntResponse: field(authenticate, 20)
    })
    const keyExchange = (a.flags & NtlmMessage.NegotiateFlags.KEY_EXCH) !== 0
    const exported = keyExchange ? new Rc4(result.userSessionKey).process(a.encryptedRandomSessionKey!) : result.userSessionKey
    return { exported, result, authenticate: a }
  })
