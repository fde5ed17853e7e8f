/**
 * The pages of `sspi serve`: `GET /whoami` answers JSON (issue 11 item 2),
 * every other path `hello <principal> (<scheme>)`. Fields that are not known
 * are absent: the SID, groups, UPN and domain come from the logon identity
 * (core's `LogonInfo` context attribute: the Kerberos PAC, or the domain's
 * validation info for NTLM), which the HTTP `Principal` carries as `logon`
 * (absent with a local user file or an MIT KDC).
 */
import { Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { Principal, type PrincipalInfo } from "@effect-sspi/http"

/** The `/whoami` document. */
export interface Whoami {
  readonly principal: string
  readonly package: string
  readonly scheme: string
  readonly sid?: string
  readonly groups?: ReadonlyArray<{ readonly sid: string }>
  readonly upn?: string
  readonly domain?: string
}

/** The `/whoami` answer for `principal`. */
export const whoamiOf = (principal: PrincipalInfo): Whoami => {
  const logon = principal.logon
  const domain = logon?.dnsDomain ?? logon?.logonDomain
  return {
    principal: principal.name,
    package: principal.packageName,
    scheme: principal.scheme,
    ...(logon !== undefined ? { sid: logon.userSid, groups: logon.groupSids.map((g) => ({ sid: g.sid })) } : {}),
    ...(logon?.upn !== undefined ? { upn: logon.upn } : {}),
    ...(domain !== undefined ? { domain } : {})
  }
}

/** The app behind the middleware. */
export const app = Effect.gen(function*() {
  const principal = yield* Principal
  const request = yield* HttpServerRequest.HttpServerRequest
  const path = request.url.split("?")[0]
  return path === "/whoami"
    ? HttpServerResponse.jsonUnsafe(whoamiOf(principal))
    : HttpServerResponse.text(`hello ${principal.name} (${principal.scheme})\n`)
})
