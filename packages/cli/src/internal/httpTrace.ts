/**
 * `sspi get -v`: every request and response line and header on stderr, as
 * curl's `>` / `<` / `*` lines. Authentication tokens are shown as their size
 * and what they are (SPNEGO mechanisms, NTLM message type), never their bytes;
 * the mechanism Negotiate chose is named, with the reason.
 */
import { Console, Effect, Result } from "effect"
import { HttpClient } from "effect/http"
import { AuthHeader, Connector } from "@effect-sspi/http"
import { SpnegoToken } from "@effect-sspi/negotiate"
import { isNtlm } from "./decodeNtlm.ts"

const ntlmTypes: Readonly<Record<number, string>> = { 1: "NEGOTIATE", 2: "CHALLENGE", 3: "AUTHENTICATE" }

const mechName = (oid: { toString(): string } | undefined) =>
  oid === undefined ? "none" : SpnegoToken.mechanismName(oid as never) ?? oid.toString()

/** What an authentication header's token is, in words. */
export const describeToken = (scheme: string, token: Uint8Array): string => {
  if (isNtlm(token)) return `NTLM ${ntlmTypes[token[8] ?? 0] ?? "message"}`
  const t = SpnegoToken.decode(token)
  if (Result.isFailure(t)) return token[0] === 0x60 ? "GSS token (Kerberos)" : `${scheme} token`
  const s = t.success
  if (s._tag === "NegTokenResp") {
    return `SPNEGO NegTokenResp${s.negState === undefined ? "" : ` ${SpnegoToken.negStateName(s.negState)}`}${
      s.supportedMech === undefined ? "" : `, server chose ${mechName(s.supportedMech)}`
    }`
  }
  const mechs = s.mechTypes ?? []
  return `SPNEGO ${s._tag} offering ${mechs.map(mechName).join(", ") || "nothing"}${s.mechToken === undefined ? "" : `, optimistic ${mechName(mechs[0])} token`}`
}

const headerValue = (name: string, value: string): string => {
  if (!/^(?:proxy-)?(?:authorization|www-authenticate)$/i.test(name)) return value
  return AuthHeader.parseChallenges(value).map((c) =>
    c.token === undefined ? c.scheme : `${c.scheme} <${c.token.length} bytes: ${describeToken(c.scheme, c.token)}>`
  ).join(", ")
}

/** Why Negotiate ended where it did, from the client's first token and the server's answer. */
const explainNegotiate = (offered: ReadonlyArray<string>, chosen: string | undefined, accepted: boolean): string | undefined => {
  if (offered.length === 0) return undefined
  if (!offered.includes("Kerberos V5") && !offered.includes("Kerberos V5 (Microsoft)")) {
    return `* Negotiate uses ${offered[0]}: Kerberos was not offered (no usable tickets in the credential cache, no password for user@REALM, or no KDC for the realm)`
  }
  if (chosen !== undefined && chosen !== offered[0]) {
    return `* Negotiate fell back to ${chosen}: the server does not accept ${offered[0]} (no key for the SPN in its keytab?)`
  }
  return `* Negotiate uses ${chosen ?? offered[0]}${chosen === undefined && !accepted ? " (optimistic token)" : ", accepted by the server"}`
}

/** Wraps a client so that every exchange is traced on stderr. */
export const traced = (client: HttpClient.HttpClient): HttpClient.HttpClient => {
  let offered: ReadonlyArray<string> = []
  let reported = false
  return HttpClient.transform(client, (effect, request) =>
    Effect.gen(function*() {
      const url = new URL(request.url)
      yield* Console.error(`> ${request.method} ${url.pathname}${url.search} HTTP/1.1`)
      yield* Console.error(`> host: ${url.host}`)
      for (const [k, v] of Object.entries(request.headers)) {
        yield* Console.error(`> ${k}: ${headerValue(k, v)}`)
        if (k === "authorization" && /^negotiate /i.test(v) && offered.length === 0) {
          const token = AuthHeader.parseChallenges(v)[0]?.token
          const t = token === undefined ? undefined : SpnegoToken.decode(token)
          if (t !== undefined && Result.isSuccess(t) && t.success._tag !== "NegTokenResp") offered = (t.success.mechTypes ?? []).map(mechName)
        }
      }
      const response = yield* effect
      yield* Console.error(`< HTTP/1.1 ${response.status}`)
      for (const [k, v] of Object.entries(response.headers)) yield* Console.error(`< ${k}: ${headerValue(k, v)}`)
      const challenge = AuthHeader.parseChallenges(response.headers["www-authenticate"]).find((c) => /^negotiate$/i.test(c.scheme))
      if (offered.length > 0 && !reported && (challenge?.token !== undefined || response.status !== 401)) {
        const t = challenge?.token === undefined ? undefined : SpnegoToken.decode(challenge.token)
        const chosen = t !== undefined && Result.isSuccess(t) && t.success._tag === "NegTokenResp" && t.success.supportedMech !== undefined
          ? mechName(t.success.supportedMech)
          : undefined
        const line = explainNegotiate(offered, chosen, response.status !== 401)
        if (line !== undefined) yield* Console.error(line)
        reported = true
      }
      return response
    }))
}

/** A node Connector whose pinned connections are traced. */
export const tracedConnector = (options: Connector.NodeConnectorOptions) => {
  const base = Connector.makeNode(options)
  return Connector.Connector.of({
    ...base,
    open: Effect.map(base.open, (c) => ({ ...c, client: traced(c.client) }))
  })
}
