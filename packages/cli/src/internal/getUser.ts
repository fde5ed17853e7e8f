/**
 * curl's `-u USER[:PASSWORD]` for `sspi get`: `DOMAIN\user`, `user@REALM`,
 * `:` (no user: Kerberos tickets of the credential cache), and which
 * schemes that allows with `--negotiate` / `--ntlm`.
 */
import { Result } from "effect"

/** What `-u` said. */
export interface UserOption {
  /** undefined: no -u, or `-u :` (use the ticket cache). */
  readonly user: string | undefined
  /** undefined: ask (prompt / stdin / SSPI_PASSWORD). */
  readonly password: string | undefined
}

/** Splits `-u` at its first `:` (as curl). */
export const parseUser = (text: string | undefined): UserOption => {
  if (text === undefined) return { user: undefined, password: undefined }
  const colon = text.indexOf(":")
  const user = colon < 0 ? text : text.slice(0, colon)
  const password = colon < 0 ? undefined : text.slice(colon + 1)
  return user === "" ? { user: undefined, password: undefined } : { user, password }
}

/**
 * The schemes to answer, in preference order: the ones asked for (both when
 * neither is), Negotiate first; NTLM needs a user name. Fails with a usage
 * message for combinations that cannot work.
 */
export const schemesFor = (
  flags: { readonly negotiate: boolean; readonly ntlm: boolean },
  user: UserOption
): Result.Result<ReadonlyArray<"Negotiate" | "NTLM">, string> => {
  const any = !flags.negotiate && !flags.ntlm
  if (flags.ntlm && !flags.negotiate && user.user === undefined) {
    return Result.fail("--ntlm needs -u DOMAIN\\user[:password] (NTLM cannot use Kerberos tickets; -u : is for --negotiate)")
  }
  const schemes: Array<"Negotiate" | "NTLM"> = []
  if (flags.negotiate || any) schemes.push("Negotiate")
  if ((flags.ntlm || any) && user.user !== undefined) schemes.push("NTLM")
  return Result.succeed(schemes)
}

/** `DOMAIN\user` → `user@DOMAIN`; `user@REALM` and `user` as they are (the default realm comes from krb5.conf). */
export const kerberosPrincipal = (user: string): string => {
  const slash = user.indexOf("\\")
  return slash >= 0 ? `${user.slice(slash + 1)}@${user.slice(0, slash)}` : user
}
