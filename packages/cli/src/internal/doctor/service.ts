/**
 * The service checks of `sspi doctor`: what the server offers, the SPN the
 * client asks for and whether the KDC issues tickets for it (kvno and
 * encryption type of the ticket in the client's AP-REQ, through the
 * Kerberos package and the ccache), the keytab against that ticket, and why
 * Negotiate would fall back to NTLM.
 */
import { Effect, Predicate } from "effect"
import { Credentials, Flags, SecurityContext } from "@effect-sspi/core"
import { AuthHeader } from "@effect-sspi/http"
import type { Keytab } from "@effect-sspi/kerberos"
import { decode } from "../decodeInput.ts"
import { explain } from "../failure.ts"
import { enctypeName } from "../kerberosNames.ts"
import { loadKerberos } from "../kerberosModule.ts"
import { runtimeLayer } from "../packages.ts"
import { render } from "../tree.ts"
import { error, type Finding, ok, warning } from "./finding.ts"

/** The schemes the server offers on an unauthenticated request. */
export const checkServer = (url: URL) =>
  Effect.tryPromise({
    try: (signal) => fetch(url, { signal, redirect: "manual" }),
    catch: (e) => e
  }).pipe(
    Effect.timeout("20 seconds"),
    Effect.map((response): { readonly finding: Finding; readonly negotiate: boolean } => {
      const offered = AuthHeader.parseChallenges(response.headers.get("www-authenticate") ?? undefined).map((c) => c.scheme)
      const negotiate = offered.some((s) => /^negotiate$/i.test(s))
      if (response.status !== 401) {
        return { finding: warning(`${url.origin} answered ${response.status} without authentication: it asks for none`), negotiate }
      }
      return offered.length === 0
        ? { finding: error(`${url.origin} answered 401 without a WWW-Authenticate header`), negotiate }
        : { finding: ok(`${url.origin} offers ${offered.join(", ")}`), negotiate }
    }),
    Effect.catch((e) =>
      Effect.succeed({
        finding: error(`${url.origin} cannot be reached: ${Predicate.hasProperty(e, "cause") ? explain(e.cause) : explain(e)}`, "check the URL, the port and that the server runs"),
        negotiate: false
      })
    )
  )

/** The ticket the KDC issues for `spn`: kvno and enctype, read from our AP-REQ. */
const serviceTicket = (spn: string, ccache: string) =>
  Effect.scoped(Effect.gen(function*() {
    const credential = yield* Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ccache } })
    const context = yield* SecurityContext.initiator(credential, { targetName: spn })
    const step = yield* context.step(undefined)
    const tree = step.token === undefined ? undefined : decode(Buffer.from(step.token).toString("hex"))
    const text = tree !== undefined && tree._tag === "Success" ? render(tree.success) : ""
    const m = /ticket\n[\s\S]*?enc-part\n.*etype: \S+ \((\d+)\)\n.*kvno: (\d+)/.exec(text)
    return m === null ? undefined : { etype: Number(m[1]), kvno: Number(m[2]) }
  })).pipe(Effect.provide(runtimeLayer({ negotiate: false, kerberos: {} })))

/** SPN, ticket, keytab; returns the findings and the reason Kerberos would not be used, if any. */
export const checkService = (spn: string, options: { readonly keytab: string | undefined; readonly ccache: string }) =>
  Effect.gen(function*() {
    const { CredentialCache, Keytab } = yield* loadKerberos
    const findings: Array<Finding> = [ok(`the client asks for the SPN ${spn} (from the URL's host name as written; no DNS canonicalisation)`)]
    const ticket = yield* Effect.result(serviceTicket(spn, options.ccache))
    let fallback: string | undefined
    let issued: { readonly etype: number; readonly kvno: number } | undefined
    if (ticket._tag === "Failure") {
      const why = explain(ticket.failure)
      if (/TARGET_UNKNOWN|S_PRINCIPAL_UNKNOWN/.test(why)) {
        findings.push(error(`the KDC does not know ${spn}: ${why}`, `register the SPN: kadmin -q "addprinc -randkey ${spn}" (MIT) or setspn -S ${spn} ACCOUNT (AD)`))
        fallback = `the KDC has no SPN ${spn}`
      } else {
        findings.push(warning(`no service ticket for ${spn}: ${why}`, "get tickets first: sspi kinit user@REALM (or point KRB5CCNAME at a ccache)"))
        fallback = "there are no usable Kerberos tickets"
      }
    } else if (ticket.success !== undefined) {
      issued = ticket.success
      findings.push(ok(`the KDC issues tickets for ${spn}: kvno ${issued.kvno}, ${enctypeName(issued.etype)}`))
    }
    if (options.keytab !== undefined) {
      const entries = yield* Effect.result(Keytab.read(options.keytab))
      if (entries._tag === "Failure") {
        findings.push(error(`keytab ${explain(entries.failure)}`, "give the service's keytab (--keytab FILE, KRB5_KTNAME)"))
      } else {
        const principal = spn.includes("@") ? spn : undefined
        const mine = entries.success.filter((e) => {
          const name = CredentialCache.principalName(e.principal)
          return principal === undefined ? name.startsWith(`${spn}@`) : name === principal
        })
        Keytab.wipe(entries.success)
        const principals = [...new Set(entries.success.map((e) => CredentialCache.principalName(e.principal)))]
        if (mine.length === 0) {
          findings.push(error(`keytab ${options.keytab} has no key for ${spn} (it holds ${principals.join(", ") || "nothing"})`, `export the SPN's keys: kadmin -q "ktadd -k FILE ${spn}" or samba-tool domain exportkeytab FILE --principal=${spn}`))
        } else if (issued !== undefined) {
          const kvnos = [...new Set(mine.map((e) => e.kvno))]
          const sameKvno = mine.filter((e) => e.kvno === issued!.kvno)
          if (sameKvno.length === 0) {
            findings.push(error(`keytab ${options.keytab} has kvno ${kvnos.join(", ")} for ${spn}, the KDC's is ${issued.kvno}`, "the password/keys changed since the keytab was made: export it again (ktadd / exportkeytab)"))
          } else if (!sameKvno.some((e) => e.enctype === issued!.etype)) {
            findings.push(error(`the KDC encrypts tickets for ${spn} with ${enctypeName(issued.etype)}; keytab kvno ${issued.kvno} has only ${sameKvno.map((e) => enctypeName(e.enctype)).join(", ")}`, `export the keytab with ${enctypeName(issued.etype)} keys (or allow that type on the account)`))
          } else {
            findings.push(ok(`keytab ${options.keytab} has ${spn} kvno ${issued.kvno} ${sameKvno.map((e) => enctypeName(e.enctype)).join(", ")}: it can read the KDC's tickets`))
          }
          if (mine.every((e) => e.enctype === 23)) findings.push(warning(`keytab ${options.keytab} has only RC4 keys for ${spn}`, "give the service account AES keys and export the keytab again"))
        } else {
          findings.push(ok(`keytab ${options.keytab} has ${spn} kvno ${kvnos(mine)}`))
        }
      }
    }
    return { findings, fallback }
  })

const kvnos = (entries: ReadonlyArray<Keytab.Entry>) => [...new Set(entries.map((e) => e.kvno))].join(", ")
