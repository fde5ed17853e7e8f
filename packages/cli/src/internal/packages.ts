/**
 * The security packages the CLI installs: NTLM always; Negotiate and
 * Kerberos by name when their packages exist and export a working package
 * (found at run time, so this file needs no change when they land).
 */
import { Effect, Layer, Predicate } from "effect"
import { SecurityPackage, SspiRuntime } from "@effect-sspi/core"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"

/** Where the optional packages live. */
const specifiers = {
  Negotiate: "@effect-sspi/negotiate",
  Kerberos: "@effect-sspi/kerberos"
} as const

/** An optional package's name. */
export type OptionalName = keyof typeof specifiers

const isPackage = (u: unknown, name: string): u is SecurityPackage.AnySecurityPackage =>
  Predicate.hasProperty(u, "info") && Predicate.hasProperty(u.info, "name") &&
  Predicate.isString(u.info.name) && u.info.name.toLowerCase() === name.toLowerCase() &&
  Predicate.hasProperty(u, "accept") && Predicate.isFunction(u.accept) &&
  Predicate.hasProperty(u, "initialize") && Predicate.isFunction(u.initialize)

/** What an optional package is built from: the inner packages it may wrap (Negotiate wraps NTLM). */
export interface Inner {
  readonly ntlm: SecurityPackage.AnySecurityPackage
}

/** Builds an optional package from the inner packages. */
export type Factory = (inner: Inner) => SecurityPackage.AnySecurityPackage

/**
 * Looks through a module's exports (and their namespaces) for the package,
 * or a synchronous `make(inner)` that builds it; checked by building it once.
 */
const findFactory = (module: unknown, name: string, probe: Inner): Factory | undefined => {
  if (!Predicate.isObject(module)) return undefined
  for (const value of Object.values(module)) {
    if (isPackage(value, name)) return () => value
    if (!Predicate.isObject(value)) continue
    for (const inner of Object.values(value)) if (isPackage(inner, name)) return () => inner
    if (Predicate.hasProperty(value, "make") && Predicate.isFunction(value.make)) {
      const make = value.make as (inner: Inner) => unknown
      try {
        if (isPackage(make(probe), name)) {
          return (inner) => make(inner) as SecurityPackage.AnySecurityPackage
        }
      } catch {
        // not buildable this way
      }
    }
  }
  return undefined
}

/** The optional package's factory, or `undefined` when it is absent or exports nothing usable. */
export const loadOptional = (name: OptionalName): Effect.Effect<Factory | undefined> =>
  Effect.promise(async () => {
    const specifier: string = specifiers[name]
    try {
      return findFactory(await import(specifier), name, { ntlm: Ntlm.make() })
    } catch {
      return undefined
    }
  })

/** The SSPI runtime with NTLM (over `users`) and the given extra packages. */
export const runtimeLayer = (
  extra: ReadonlyArray<Factory> = [],
  users: Layer.Layer<UserStore.UserStore, unknown> = UserStore.layerMemory([])
) =>
  SspiRuntime.SspiRuntime.layer.pipe(
    Layer.provide(SecurityPackage.SecurityPackages.layer(
      Ntlm.withUserStore(),
      ...extra.map((factory) => Effect.map(Ntlm.withUserStore(), (ntlm) => factory({ ntlm })))
    )),
    Layer.provide(users)
  )
