/**
 * The NTLM acceptor verified by the REAL Samba DC: the glue Layer from
 * NetlogonClient to DomainVerifier (the same one-liner the cli uses, see
 * src/DomainVerifier.ts), and an SSPI runtime whose NTLM package announces
 * the machine account's names (WEB1 / CORP), which the DC checks.
 */
import { Duration, Effect, Layer, Redacted } from "effect"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import type { SambaDc } from "@effect-sspi/interop-harness"
import { NetlogonClient } from "@effect-sspi/netlogon"
import { DomainVerifier, Ntlm } from "@effect-sspi/ntlm"

/** NetlogonClient → DomainVerifier: the whole glue. */
export const netlogonVerifier: Layer.Layer<DomainVerifier.DomainVerifier, never, NetlogonClient.NetlogonClient> = Layer.effect(
  DomainVerifier.DomainVerifier,
  Effect.map(Effect.service(NetlogonClient.NetlogonClient), (c) => ({ verify: c.verifyNetworkLogon }))
)

/** The machine account's names, as the CHALLENGE must announce them for the DC. */
export const web1Names = { netbiosComputer: "WEB1", netbiosDomain: "CORP", dnsComputer: "web1.corp.test", dnsDomain: "corp.test" }

/** Netlogon settings for WEB1$ against the DC on 127.0.0.1 (or `dc` overridden: a host where no DC listens). */
export const settings = (dc: SambaDc.SambaDc, override: Partial<NetlogonClient.NetlogonSettings> = {}): NetlogonClient.NetlogonSettings => ({
  dc: "127.0.0.1",
  domain: dc.domain,
  machineAccount: dc.web1.account,
  machinePassword: Redacted.make(dc.web1.password),
  timeout: Duration.seconds(10),
  ...override
})

/** An SSPI runtime whose NTLM acceptor is verified by the domain through `netlogon`. */
export const domainRuntime = (netlogon: NetlogonClient.NetlogonSettings, options: Parameters<typeof Ntlm.withDomainVerifier>[0] = {}) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(Ntlm.withDomainVerifier({ serverNames: web1Names, ...options }))),
    Layer.provide(netlogonVerifier),
    Layer.provide(NetlogonClient.layer(netlogon))
  )
