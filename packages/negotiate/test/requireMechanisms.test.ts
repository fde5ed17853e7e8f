/**
 * A server's Kerberos credential that fails (here: a keytab that does not
 * exist) is never a silent downgrade to NTLM (issue 10): by default the
 * Negotiate credential is acquired without Kerberos and a warning names the
 * mechanism, the status and the keytab's path; with `requireMechanisms:
 * ["Kerberos"]` acquiring fails with Kerberos' own status and detail, so a
 * server layer built on it does not start.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger } from "effect"
import { Credentials, Flags } from "@effect-sspi/core"
import { alice, credentials, negotiateLayer } from "./support/runtime.ts"

const MISSING = "/nonexistent/effect-sspi/http.keytab"
const kerberosOptions = { realm: "TEST.REALM", kdc: ["127.0.0.1:1"], keytab: `FILE:${MISSING}`, krb5Config: "/nonexistent", env: {} }

/** A server's Negotiate credential, as SspiServer acquires it (no authData: the configured keytab). */
const serverCredentials = Credentials.acquire({ packageName: "Negotiate", credentialUse: Flags.CredentialUse.INBOUND })

const withLogs = <A, E>(
  options: Parameters<typeof negotiateLayer>[1],
  body: (logs: ReadonlyArray<string>) => Effect.Effect<A, E, any>
) =>
  Effect.gen(function*() {
    const logs: Array<string> = []
    const collect = Logger.layer([Logger.make((o) => logs.push(`${o.logLevel}: ${String(o.message)}`))])
    return yield* Effect.scoped(body(logs)).pipe(Effect.provide(Layer.merge(negotiateLayer(kerberosOptions, options), collect)))
  })

describe("Negotiate: a failed Kerberos credential on the acceptor", () => {
  it.effect("by default: acquired without Kerberos, with a warning naming Kerberos, its status and the keytab's path", () =>
    withLogs({}, (logs) =>
      Effect.gen(function*() {
        yield* serverCredentials
        const warnings = logs.filter((l) => l.startsWith("Warn: Negotiate: no Kerberos credential"))
        assert.strictEqual(warnings.length, 1)
        assert.include(warnings[0]!, "SEC_E_NO_CREDENTIALS")
        assert.include(warnings[0]!, MISSING)
        assert.include(warnings[0]!, "Kerberos is not offered")
      })))

  it.effect("requireMechanisms: [\"Kerberos\"]: acquiring fails with Kerberos' status, naming the keytab", () =>
    withLogs({ requireMechanisms: ["Kerberos"] }, () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(serverCredentials)
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const error = exit.cause.reasons.find((r) => r._tag === "Fail")
          assert.strictEqual(error?._tag === "Fail" ? error.error.status : undefined, "SEC_E_NO_CREDENTIALS")
          const detail = error?._tag === "Fail" ? error.error.detail ?? "" : ""
          assert.include(detail, "Negotiate requires Kerberos")
          assert.include(detail, MISSING)
        }
      })))

  it.effect("an initiator without Kerberos tickets logs nothing at acquire (its fall-back is reported with the handshake)", () =>
    withLogs({}, (logs) =>
      Effect.gen(function*() {
        yield* credentials("Negotiate", Flags.CredentialUse.OUTBOUND, { ntlm: alice })
        assert.deepStrictEqual(logs.filter((l) => l.includes("Negotiate: no")), [])
      })))
})
