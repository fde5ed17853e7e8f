/** A throwaway MIT realm with NTLM, Kerberos and Negotiate installed on it, for the Kerberos HTTP tests. */
import { Effect, Layer } from "effect"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Kerberos } from "@effect-sspi/kerberos"
import { Negotiate } from "@effect-sspi/negotiate"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { Realm } from "@effect-sspi/interop-harness"
import { clientLayer, users } from "./server.ts"

/** NTLM, Kerberos (on the realm's krb5.conf) and Negotiate over both, as an application would install them. */
export const runtimeFor = (realm: Realm.Realm) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(Layer.unwrap(Effect.gen(function*() {
      const ntlm = yield* Ntlm.withUserStore()
      const kerberos = yield* Kerberos.make({ krb5Config: realm.env["KRB5_CONFIG"], env: realm.env })
      return SecurityPackage.SecurityPackages.layer(ntlm, kerberos, Negotiate.make({ ntlm, kerberos }))
    }))),
    Layer.provide(UserStore.layerMemory(users))
  )

/** Runs `body` with a fresh realm and a runtime on it. */
export const withRealm = <A, E>(body: (realm: Realm.Realm) => Effect.Effect<A, E, any>) =>
  Effect.scoped(Effect.gen(function*() {
    const realm = yield* Realm.start()
    return yield* body(realm).pipe(Effect.provide(Layer.mergeAll(runtimeFor(realm), clientLayer)))
  }))

/** The acceptor's keytab for Negotiate's Kerberos mechanism (NTLM keeps its user store). */
export const keytabCredentials = (realm: Realm.Realm) => (packageName: string) =>
  packageName === "Negotiate"
    ? { authData: { kerberos: { keytab: realm.keytab }, ntlm: undefined } }
    : packageName === "Kerberos"
    ? { authData: { keytab: realm.keytab } }
    : {}

export const portOf = (origin: string) => new URL(origin).port
