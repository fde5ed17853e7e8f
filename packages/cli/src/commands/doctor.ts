/**
 * `sspi doctor [URL] [-p principal] [--keytab FILE]`: checks what Negotiate
 * and Kerberos need and says, in plain sentences, what to fix.
 */
import { Console, Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { checkHost } from "../internal/doctor/host.ts"
import { checkConfig, checkKdc, checkKdcSource } from "../internal/doctor/kdc.ts"
import { checkServer, checkService } from "../internal/doctor/service.ts"
import { type Finding, formatFinding, ok, warning } from "../internal/doctor/finding.ts"
import { CliFailure, usage } from "../internal/failure.ts"
import { loadKerberos } from "../internal/kerberosModule.ts"

/** The `doctor` command. */
export const doctor = Command.make(
  "doctor",
  {
    url: Argument.String("url").pipe(Argument.withDescription("the service's URL (its host gives the SPN)"), Argument.optional),
    principal: Flag.String("principal").pipe(Flag.withAlias("p"), Flag.withDescription("the user to check (default: the ccache's principal)"), Flag.optional),
    keytab: Flag.String("keytab").pipe(Flag.withDescription("the service's keytab to compare with the KDC (default: none)"), Flag.optional),
    serviceName: Flag.String("service-name").pipe(Flag.withDescription("the service of the SPN (default: HTTP)"), Flag.withDefault("HTTP"))
  },
  (args) =>
    Effect.gen(function*() {
      const url = Option.map(args.url, (u) => Result.try(() => new URL(u)))
      if (Option.isSome(url) && Result.isFailure(url.value)) return yield* usage(`${Option.getOrElse(args.url, () => "")}: not a URL`)
      const { CredentialCache } = yield* loadKerberos
      const findings: Array<Finding> = [checkConfig(process.env)]
      const ccache = CredentialCache.defaultName()
      const cached = yield* Effect.option(CredentialCache.read(ccache))
      const principal = Option.getOrUndefined(args.principal) ??
        Option.getOrUndefined(Option.map(cached, (c) => CredentialCache.principalName(c.defaultPrincipal)))
      if (Option.isSome(cached)) CredentialCache.wipe(cached.value)
      findings.push(
        Option.isSome(cached)
          ? ok(`credential cache ${ccache} holds tickets of ${principal}`)
          : warning(`no credential cache at ${ccache}`, "sspi kinit user@REALM")
      )
      if (principal !== undefined) {
        // where the KDC of the principal's realm comes from (krb5.conf or DNS SRV), then whether it answers
        const at = principal.lastIndexOf("@")
        findings.push(...yield* checkKdcSource(at < 0 ? undefined : principal.slice(at + 1)))
        findings.push(...yield* checkKdc(principal))
      }
      if (Option.isSome(url) && Result.isSuccess(url.value)) {
        const target = url.value.success
        const server = yield* checkServer(target)
        findings.push(server.finding)
        // the host name the SPN comes from; DNS as Kerberos' discovery asks it (SSPI_KRB5_DNS_SERVERS, else the system's)
        const nameServers = (process.env["SSPI_KRB5_DNS_SERVERS"] ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
        findings.push(yield* checkHost(target, args.serviceName, nameServers))
        const spn = `${args.serviceName}/${target.hostname}`
        const service = yield* checkService(spn, { keytab: Option.getOrUndefined(args.keytab), ccache })
        findings.push(...service.findings)
        if (server.negotiate) {
          findings.push(
            service.fallback === undefined
              ? ok("Negotiate will use Kerberos")
              : warning(`Negotiate would fall back to NTLM (if the server allows it): ${service.fallback}`)
          )
        }
      }
      yield* Console.log(findings.map(formatFinding).join("\n"))
      const errors = findings.filter((f) => f.level === "error").length
      if (errors > 0) return yield* new CliFailure({ message: `${errors} problem${errors === 1 ? "" : "s"} found` })
    })
).pipe(
  Command.withDescription("Check krb5.conf, the KDC, the clock, the SPN, the keytab and the server, and say what to fix"),
  Command.withExamples([
    { command: "sspi doctor http://web.example.com/", description: "the user of KRB5CCNAME against the service" },
    { command: "sspi doctor -p alice@EXAMPLE.COM --keytab /etc/krb5.keytab http://web.example.com/", description: "and the service's keytab" }
  ])
)
