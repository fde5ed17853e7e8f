/**
 * `sspi serve --dc HOST --machine-keytab FILE` (or `--machine-account
 * NAME$@REALM` with the password from Config `SSPI_MACHINE_PASSWORD`,
 * Redacted): NTLM verified by the domain (issue 11 item 3). The machine account (`NAME$@REALM`) and its NT hash
 * (the RC4-HMAC key, enctype 23, of a keytab exported for the account) come
 * from the keytab; `NetlogonClient` (`@effect-sspi/netlogon`, MS-NRPC secure
 * channel to the DC) is glued to the NTLM package's `DomainVerifier`. The
 * CHALLENGE announces the machine account's names, which the DC checks.
 */
import { Config, Effect, Layer, Redacted } from "effect"
import { NetlogonClient } from "@effect-sspi/netlogon"
import { DomainVerifier, type Ntlm } from "@effect-sspi/ntlm"
import { CliFailure, explained } from "../failure.ts"
import { loadKerberos } from "../kerberosModule.ts"

/** What `--dc` gives the packages. */
export interface Domain {
  readonly verifier: Layer.Layer<DomainVerifier.DomainVerifier, unknown>
  readonly serverNames: NonNullable<Ntlm.NtlmOptions["serverNames"]>
  /** `WEB1$@CORP.TEST`, for the start-up line. */
  readonly account: string
}

/** NetlogonClient → DomainVerifier: the whole glue. */
export const verifierOf: Layer.Layer<DomainVerifier.DomainVerifier, never, NetlogonClient.NetlogonClient> = Layer.effect(
  DomainVerifier.DomainVerifier,
  Effect.map(Effect.service(NetlogonClient.NetlogonClient), (c) => ({ verify: c.verifyNetworkLogon }))
)

/** The Config key of the machine account's password for `--machine-account`. */
export const machinePasswordName = "SSPI_MACHINE_PASSWORD"

/** What the CHALLENGE announces and the start-up line prints, for `NAME$` of `realm`. */
const namesOf = (account: string, realm: string, domain: string | undefined) => {
  const netbiosDomain = (domain ?? realm.split(".")[0]!).toUpperCase()
  const computer = account.slice(0, -1)
  return {
    netbiosDomain,
    serverNames: {
      netbiosComputer: computer.toUpperCase(),
      netbiosDomain,
      dnsComputer: `${computer.toLowerCase()}.${realm.toLowerCase()}`,
      dnsDomain: realm.toLowerCase()
    },
    account: `${account}@${realm}`
  }
}

/**
 * `--machine-account NAME$@REALM` (the `$` may be left out) with the password
 * from Config {@link machinePasswordName} (Redacted, never on the command
 * line): NetlogonClient derives the NT hash itself.
 */
export const fromPassword = (dc: string, principal: string, domain?: string): Effect.Effect<Domain, CliFailure> =>
  Effect.gen(function*() {
    const m = /^([^@/\\\s]+)@([^@\s]+)$/.exec(principal)
    if (m === null) return yield* new CliFailure({ message: `--machine-account ${principal}: expected NAME$@REALM (e.g. WEB1$@CORP.TEST)`, exitCode: 2 })
    const account = m[1]!.endsWith("$") ? m[1]! : `${m[1]}$`
    const missing = new CliFailure({ message: `--machine-account needs ${machinePasswordName}: the machine account's password`, exitCode: 2 })
    const password = yield* Effect.mapError(Config.Redacted(machinePasswordName), () => missing)
    if (Redacted.value(password).length === 0) return yield* missing
    const names = namesOf(account, m[2]!.toUpperCase(), domain)
    return {
      verifier: verifierOf.pipe(Layer.provide(NetlogonClient.layer({ dc, domain: names.netbiosDomain, machineAccount: account, machinePassword: password }))),
      serverNames: names.serverNames,
      account: names.account
    }
  })

/**
 * Reads the machine account and its NT hash from `keytab` (the newest kvno
 * of an RC4-HMAC key of a one-component principal ending in `$`); the
 * NetBIOS domain is `domain`, else the realm's first label.
 */
export const make = (dc: string, keytab: string, domain?: string): Effect.Effect<Domain, CliFailure> =>
  Effect.gen(function*() {
    const { Keytab } = yield* loadKerberos
    const entries = yield* explained(Keytab.read(keytab))
    const candidates = entries
      .filter((e) => e.enctype === 23 && e.principal.name.components.length === 1 && e.principal.name.components[0]!.endsWith("$"))
      .sort((a, b) => b.kvno - a.kvno)
    const entry = candidates[0]
    if (entry === undefined) {
      const names = [...new Set(entries.map((e) => `${e.principal.name.components.join("/")}@${e.principal.realm} (enctype ${e.enctype})`))]
      Keytab.wipe(entries)
      return yield* new CliFailure({
        message: `--machine-keytab ${keytab}: no RC4-HMAC (23) key of a machine account (NAME$): ${names.length === 0 ? "the keytab is empty" : names.join(", ")}`
      })
    }
    const account = entry.principal.name.components[0]!
    const realm = entry.principal.realm
    const ntHash = Redacted.make(Uint8Array.from(entry.key))
    Keytab.wipe(entries)
    const names = namesOf(account, realm, domain)
    return {
      verifier: verifierOf.pipe(Layer.provide(NetlogonClient.layer({ dc, domain: names.netbiosDomain, machineAccount: account, machineNtHash: ntHash }))),
      serverNames: names.serverNames,
      account: names.account
    }
  })
