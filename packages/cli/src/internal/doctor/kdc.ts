/**
 * The KDC checks of `sspi doctor`: krb5.conf, the realm's KDC answering,
 * the clock against the KDC's (KRB-ERROR stime, RFC 4120 section 5.9.1,
 * compared with Effect's Clock), whether the principal exists, and its key
 * types (ETYPE-INFO2).
 */
import * as Fs from "node:fs"
import { Effect } from "effect"
import type { KerberosOptions } from "@effect-sspi/kerberos"
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
