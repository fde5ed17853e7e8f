/**
 * The host name the SPN comes from (`sspi doctor`): the client asks for
 * `SVC/<the URL's host as written>` — no DNS canonicalisation (as MIT with
 * dns_canonicalize_hostname = false). An address gives an SPN no KDC
 * knows (Windows uses NTLM for addresses); an alias (CNAME) gives the
 * alias' SPN, where browsers that canonicalise ask for the canonical name's.
 * Each case comes with its one-line fix.
 */
import * as Dns from "node:dns"
import * as Net from "node:net"
import { Effect } from "effect"
import { type Finding, ok, warning } from "./finding.ts"

/** The name an address resolves back to (getnameinfo: /etc/hosts, then DNS), if any. */
const nameOf = (address: string) =>
  Effect.tryPromise(() => Dns.promises.lookupService(address, 0)).pipe(
    Effect.timeout("5 seconds"),
    Effect.map((r) => Net.isIP(r.hostname) === 0 ? r.hostname : undefined),
    Effect.orElseSucceed(() => undefined)
  )

/** The CNAME of `host` (from `nameServers` when given, else the system's resolver), if it is an alias. */
const canonicalOf = (host: string, nameServers: ReadonlyArray<string>) =>
  Effect.tryPromise(() => {
    const resolver = new Dns.promises.Resolver({ timeout: 3000, tries: 1 })
    if (nameServers.length > 0) resolver.setServers([...nameServers])
    return resolver.resolveCname(host)
  }).pipe(
    Effect.timeout("8 seconds"),
    Effect.map((names) => names[0]?.replace(/\.$/, "")),
    Effect.orElseSucceed(() => undefined)
  )

/** The finding about the host name of `url` that `spn` was made from. */
export const checkHost = (url: URL, service: string, nameServers: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const host = url.hostname.replace(/^\[|\]$/g, "")
    const spn = `${service}/${host}`
    const port = url.port === "" ? "" : `:${url.port}`
    if (Net.isIP(host) !== 0) {
      const name = yield* nameOf(host)
      return warning(
        `the URL names the host by its address ${host}: the client asks for ${spn}, an SPN KDCs rarely have (Windows uses NTLM for addresses)`,
        name === undefined
          ? `use the host's name in the URL (the one its SPN is registered under, ${service}/<host name>)`
          : `use the host's name: ${url.protocol}//${name}${port}${url.pathname} (${host} resolves back to ${name})`
      )
    }
    const canonical = yield* canonicalOf(host, nameServers)
    if (canonical !== undefined && canonical.toLowerCase() !== host.toLowerCase()) {
      return warning(
        `${host} is an alias (CNAME) of ${canonical}: this client asks for ${spn} as written; clients that canonicalise (browsers, MIT by default) ask for ${service}/${canonical}`,
        `register both SPNs on the service's account (setspn -S ${spn} ACCOUNT, or kadmin addprinc + ktadd), or use ${url.protocol}//${canonical}${port}/ in the URL`
      )
    }
    return ok(`the SPN ${spn} comes from the URL's host name as written (${host}: a name, not an alias)`)
  })
