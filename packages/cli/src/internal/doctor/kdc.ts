/**
 * The KDC checks of `sspi doctor`: krb5.conf, where the realm's KDCs come
 * from (`Kerberos.discoverKdcs`: krb5.conf or DNS SRV), the realm's KDC answering,
 * the clock against the KDC's (KRB-ERROR stime, RFC 4120 section 5.9.1,
 * compared with Effect's Clock), whether the principal exists, and its key
 * types (ETYPE-INFO2).
 */
import * as Fs from "node:fs"
import { Effect } from "effect"
import type { Kerberos, KerberosOptions } from "@effect-sspi/kerberos"
import { explain } from "../failure.ts"
import { enctypeName } from "../kerberosNames.ts"
import { loadKerberos } from "../kerberosModule.ts"
import { error, type Finding, ok, warning } from "./finding.ts"

/** krb5.conf: which file, which default realm. */
export const checkConfig = (env: Readonly<Record<string, string | undefined>>): Finding => {
  const path = env["KRB5_CONFIG"]?.split(":")[0] ?? "/etc/krb5.conf"
  if (!Fs.existsSync(path)) {
    return warning(`no krb5.conf at ${path}`, "set KRB5_CONFIG, or write /etc/krb5.conf with [libdefaults] default_realm and [realms] REALM = { kdc = host }")
  }
  const realm = /^\s*default_realm\s*=\s*(\S+)/m.exec(Fs.readFileSync(path, "utf8"))?.[1]
  return realm === undefined
    ? warning(`krb5.conf ${path} has no default_realm`, "add default_realm = YOUR.REALM under [libdefaults], or give principals as user@REALM")
    : ok(`krb5.conf ${path}, default realm ${realm}`)
}

/** "host:port", with the SRV target and its priority/weight when DNS named it. */
const kdcText = (k: Kerberos.DiscoveredKdc) =>
  k.source === "SRV"
    ? `${k.srv.target}:${k.port}${k.host !== k.srv.target ? ` (${k.host})` : ""} priority ${k.srv.priority} weight ${k.srv.weight}${k.transport === "tcp" ? " TCP only" : ""}`
    : `${k.host}:${k.port}${k.transport === "tcp" ? " TCP only" : ""}`

/**
 * Where the KDCs of `realm` (default: the default realm) come from: the
 * `kdc` option, krb5.conf `[realms]`, or DNS SRV `_kerberos._udp/_tcp.REALM`
 * (RFC 4120 section 7.2.3.2) with the targets; a warning when krb5.conf
 * names none and DNS gives none.
 */
export const checkKdcSource = (realm: string | undefined, kerberos: KerberosOptions = {}) =>
  Effect.gen(function*() {
    const { Kerberos } = yield* loadKerberos
    const found = yield* Effect.result(Kerberos.discoverKdcs(realm, kerberos))
    if (found._tag === "Failure") return [warning(`cannot tell where the KDCs come from: ${explain(found.failure)}`, "give the principal as user@REALM or set default_realm in krb5.conf")]
    const d = found.success
    const conf = d.confFiles.join(", ") || "no krb5.conf read"
    const findings: Array<Finding> = []
    const bySource = (source: Kerberos.DiscoveredKdc["source"]) => d.kdcs.filter((k) => k.source === source)
    if (bySource("options").length > 0) findings.push(ok(`KDC of ${d.realm} from the kdc option: ${bySource("options").map(kdcText).join(", ")}`))
    if (bySource("krb5.conf").length > 0) findings.push(ok(`KDC of ${d.realm} from krb5.conf (${conf}): ${bySource("krb5.conf").map(kdcText).join(", ")}`))
    const srv = bySource("SRV")
    if (srv.length > 0) {
      const records = [...new Set(srv.flatMap((k) => k.source === "SRV" ? k.srv.records : []))].join(", ")
      findings.push(ok(`KDC of ${d.realm} from DNS SRV ${records}${bySource("krb5.conf").length === 0 ? ` (krb5.conf names none)` : ""}: ${srv.map(kdcText).join(", ")}`))
    }
    if (d.kdcs.length === 0) {
      findings.push(warning(
        d.dnsAsked
          ? `no KDC for ${d.realm}: krb5.conf (${conf}) names none and DNS SRV _kerberos._udp/_tcp.${d.realm} gave none (${d.dnsFailure ?? "no record"})`
          : `no KDC for ${d.realm}: krb5.conf (${conf}) names none and dns_lookup_kdc = false`,
        `add [realms] ${d.realm} = { kdc = host:88 } to krb5.conf, or publish SRV records _kerberos._tcp.${d.realm} (SSPI_KRB5_DNS_SERVERS names the DNS server to ask)`
      ))
    } else if (d.dnsFailure !== undefined) {
      findings.push(warning(`DNS SRV _kerberos._udp/_tcp.${d.realm} (dns_lookup_kdc = true) gave nothing: ${d.dnsFailure}`))
    }
    return findings
  })

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

/** The KDC of the principal's realm: reachable, clock, principal known, key types. */
export const checkKdc = (principal: string, kerberos: KerberosOptions = {}) =>
  Effect.gen(function*() {
    const { CredentialCache } = yield* loadKerberos
    const findings: Array<Finding> = []
    const answer = yield* Effect.result(CredentialCache.askKdc(principal, kerberos))
    if (answer._tag === "Failure") {
      findings.push(error(
        `the KDC for ${principal} did not answer: ${explain(answer.failure)}`,
        "check [realms] REALM = { kdc = host:port } in krb5.conf (or DNS SRV _kerberos._tcp.REALM) and that port 88 (TCP and UDP) is open"
      ))
      return findings
    }
    const a = answer.success
    findings.push(ok(`the KDC of ${a.realm} answers`))
    // the clock: from this answer, else from one for a principal that cannot exist (always a KRB-ERROR with stime)
    const timed = a.kdcTime !== undefined ? a : yield* Effect.orElseSucceed(CredentialCache.askKdc(`sspi-doctor-clock-probe@${a.realm}`, kerberos), () => a)
    if (timed.kdcTime !== undefined) {
      const skew = timed.localTime - timed.kdcTime
      const text = `this clock is ${seconds(Math.abs(skew))} ${skew >= 0 ? "ahead of" : "behind"} the KDC's (allowed: ${seconds(a.clockSkewMs)})`
      findings.push(
        Math.abs(skew) > a.clockSkewMs
          ? error(text, "synchronise the clock with NTP (timedatectl set-ntp true, or w32tm /resync); Kerberos refuses tickets with KRB_AP_ERR_SKEW")
          : Math.abs(skew) > 60_000
          ? warning(text, "synchronise the clock with NTP before it drifts past the allowed skew")
          : ok(text)
      )
    }
    if (a.errorCode === 6) {
      findings.push(error(`the KDC does not know ${principal} (KDC_ERR_C_PRINCIPAL_UNKNOWN)`, "check the user name and the realm (user@REALM, REALM in capitals)"))
    } else if (a.errorCode === undefined || a.errorCode === 25) {
      findings.push(ok(`the KDC knows ${principal}${a.errorCode === 25 ? " (pre-authentication required)" : ""}`))
    } else {
      findings.push(warning(`the KDC answered ${principal} with error ${a.errorCode}`))
    }
    if (a.etypeInfo.length > 0) {
      const names = a.etypeInfo.map((e) => enctypeName(e.etype))
      findings.push(
        a.etypeInfo.every((e) => e.etype === 23)
          ? warning(`${principal} has only an RC4 key (${names.join(", ")})`, "give the account AES keys: reset its password after enabling AES (msDS-SupportedEncryptionTypes)")
          : ok(`${principal}'s keys: ${names.join(", ")}`)
      )
    }
    return findings
  })
