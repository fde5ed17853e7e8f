/**
 * @effect-sspi/kerberos: the Kerberos V5 security package (RFC 4120 with
 * RFC 4121 GSS-API tokens) in pure TypeScript.
 *
 * ```ts
 * const runtime = SspiRuntime.SspiRuntime.layer.pipe(Layer.provide(Kerberos.layer({ krb5Config: "/etc/krb5.conf" })))
 * // acquire with { principal: "alice@EXAMPLE.COM", password: Redacted.make("…") },
 * // { keytab: "/etc/krb5.keytab" } or { ccache: "FILE:/tmp/krb5cc_1000" }
 * ```
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Kerberos from "./Kerberos.ts"
export type {
  CcacheAuthData,
  KerberosAuthData,
  KerberosOptions,
  KeytabAuthData,
  PasswordAuthData
} from "./Kerberos.ts"

/** @since 0.1.0 */
export * as CredentialCache from "./CredentialCache.ts"

/** @since 0.1.0 */
export * as Keytab from "./Keytab.ts"

/** @since 0.1.0 */
export * as Pac from "./Pac.ts"

/** @since 0.2.0 */
export * as Delegation from "./Delegation.ts"
