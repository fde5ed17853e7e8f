/**
 * `sspi get URL`: an authenticated HTTP request with curl's options
 * (`-u`, `--negotiate`, `--ntlm`, `-H`, `-X`, `-d`, `-o`, `-i`, `-k`, `-v`,
 * `--fail`) and curl's exit codes where they apply.
 */
import * as Fs from "node:fs"
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, Layer, Option, Predicate, Redacted, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { HttpClient } from "effect/http"
import { Flags } from "@effect-sspi/core"
import { Connector, SspiClient } from "@effect-sspi/http"
import { ExitCode, exitCodeOf } from "../internal/exitCodes.ts"
import { CliFailure, explain, usage } from "../internal/failure.ts"
import { toggle } from "../internal/flags.ts"
import { buildRequest } from "../internal/getRequest.ts"
import { kerberosPrincipal, parseUser, schemesFor } from "../internal/getUser.ts"
import { traced, tracedConnector } from "../internal/httpTrace.ts"
import { runtimeLayer } from "../internal/packages.ts"
import { readPassword } from "../internal/password.ts"
import { clientLeg } from "../internal/print.ts"

const repeated = (name: string, alias: string, description: string) =>
  Flag.String(name).pipe(Flag.withAlias(alias), Flag.withDescription(description), Flag.atLeast(0))

/** The `get` command. */
export const get = Command.make(
  "get",
  {
    url: Argument.String("url").pipe(Argument.withDescription("http:// or https:// URL (use the host name of the service's principal)")),
    user: Flag.String("user").pipe(
      Flag.withAlias("u"),
      Flag.withDescription("USER[:PASSWORD]: DOMAIN\\user or user@REALM; -u : uses the Kerberos tickets of KRB5CCNAME (default: no -u = tickets, Negotiate only)"),
      Flag.optional
    ),
    negotiate: toggle("negotiate", undefined, "answer only Negotiate (SPNEGO: Kerberos, NTLM) (default: answer what the server offers, Negotiate first)"),
    ntlm: toggle("ntlm", undefined, "answer only NTLM (default: answer what the server offers, Negotiate first)"),
    delegation: Flag.Literals("delegation", ["none", "policy", "always"]).pipe(
      Flag.withDescription("delegate Kerberos credentials: none, policy (to services the realm marks OK-AS-DELEGATE; needs a forwardable TGT), always (forward the TGT whatever the realm says; needs a forwardable TGT) (default: none)"),
      Flag.withDefault("none")
    ),
    serviceName: Flag.String("service-name").pipe(Flag.withDescription("the service of the SPN, or a whole SPN svc/host (default: HTTP → HTTP/<url host>)"), Flag.optional),
    header: repeated("header", "H", "extra request header \"Name: value\" (repeatable)"),
    request: Flag.String("request").pipe(Flag.withAlias("X"), Flag.withDescription("HTTP method (default: GET, POST with -d)"), Flag.optional),
    data: repeated("data", "d", "request body; @file reads a file, @- stdin; several are joined with & (default: none)"),
    output: Flag.String("output").pipe(Flag.withAlias("o"), Flag.withDescription("write the body to this file (default: stdout)"), Flag.optional),
    include: toggle("include", "i", "print the status line and headers before the body (default: no)"),
    insecure: toggle("insecure", "k", "accept any TLS certificate (default: verify)"),
    verbose: toggle("verbose", "v", "print the requests, responses, handshake legs and the mechanism chosen on stderr (default: no)"),
    fail: toggle("fail", "f", "exit 22 without the body when the server answers HTTP 400 or more (default: exit 0)")
  },
  (args) =>
    Effect.gen(function*() {
      const url = Result.try(() => new URL(args.url))
      if (Result.isFailure(url) || !/^https?:$/.test(url.success.protocol)) {
        return yield* new CliFailure({ message: `${args.url}: not an http:// or https:// URL`, exitCode: ExitCode.URL_MALFORMAT })
      }
      const user = parseUser(Option.getOrUndefined(args.user))
      const schemes = schemesFor(args, user)
      if (Result.isFailure(schemes)) return yield* usage(schemes.failure)
      if (args.delegation !== "none" && !schemes.success.includes("Negotiate")) {
        return yield* usage(`--delegation ${args.delegation} needs Negotiate (Kerberos); NTLM cannot delegate`)
      }
      const asksStdin = user.user !== undefined && user.password === undefined && process.env["SSPI_PASSWORD"] === undefined &&
        process.stdin.isTTY !== true
      if (asksStdin && args.data.includes("@-")) {
        return yield* usage("the password and -d @- cannot both come from stdin: give -u USER:PASSWORD or SSPI_PASSWORD")
      }
      const request = yield* buildRequest(url.success, { method: Option.getOrUndefined(args.request), headers: args.header, data: args.data })
      const secret = user.user === undefined
        ? undefined
        : user.password !== undefined
        ? Redacted.make(user.password)
        : yield* readPassword(user.user)
      const ntlm = user.user === undefined || secret === undefined ? undefined : SspiClient.password(user.user, secret)
      const credentials = (packageName: string): SspiClient.ClientCredentials =>
        packageName === "Negotiate"
          ? {
            authData: {
              // without a user, Kerberos uses the tickets of the credential cache (KRB5CCNAME), as curl --negotiate -u :
              kerberos: user.user === undefined || secret === undefined
                ? { ccache: process.env["KRB5CCNAME"] }
                : { principal: kerberosPrincipal(user.user), password: secret },
              ntlm: ntlm?.authData
            }
          }
          : ntlm ?? {}
      const service = Option.getOrUndefined(args.serviceName)
      const tls = args.insecure ? { rejectUnauthorized: false } : {}
      const negotiate = schemes.success.includes("Negotiate")
      const attempt = (answer: ReadonlyArray<"Negotiate" | "NTLM">) =>
        Effect.gen(function*() {
          const base = yield* HttpClient.HttpClient
          const client = (args.verbose ? traced(base) : base).pipe(SspiClient.withAuthentication({
            schemes: answer,
            credentials,
            // policy: Kerberos forwards the TGT only when the service's ticket is OK-AS-DELEGATE (RFC 4120 2.8), as Windows;
            // always: whatever the realm says, as curl --delegation always (GSS_C_DELEG_FLAG); both ask ISC_REQ_DELEGATE
            delegation: args.delegation,
            ...(args.delegation === "none" ? {} : { contextReq: Flags.IscReq.CONNECTION | Flags.IscReq.DELEGATE }),
            ...(service === undefined ? {} : { targetName: (u: URL) => service.includes("/") ? service : `${service}/${u.hostname}` }),
            onLeg: (leg) => args.verbose ? Console.error(`* ${clientLeg(leg)}`) : Effect.void
          }))
          const response = yield* client.execute(request)
          const body = new Uint8Array(yield* response.arrayBuffer)
          return { status: response.status, headers: response.headers, body }
        }).pipe(
          Effect.timeout("2 minutes"),
          Effect.scoped,
          Effect.provide(Layer.mergeAll(
            // Kerberos (inside Negotiate) reads krb5.conf: KRB5_CONFIG, else /etc/krb5.conf.
            runtimeLayer({ negotiate, kerberos: negotiate ? {} : undefined }),
            NodeHttpClient.layerNodeHttpOptions(tls),
            args.verbose ? Layer.succeed(Connector.Connector, tracedConnector(tls)) : Connector.layerNode(tls)
          ))
        )
      // as curl --anyauth: when Negotiate fails and NTLM may answer too, NTLM gets its turn (if the server offers it)
      const fallBack = schemes.success.length > 1
      const response = yield* attempt(schemes.success).pipe(
        Effect.catch((first) =>
          !fallBack
            ? Effect.fail(first)
            : Effect.andThen(
              args.verbose ? Console.error(`* Negotiate failed (${explain(first)}); trying NTLM`) : Effect.void,
              attempt(["NTLM"]).pipe(
                Effect.flatMap((r) => r.status === 401 ? Effect.fail(first) : Effect.succeed(r)),
                Effect.catch(() => Effect.fail(first))
              )
            )
        ),
        Effect.mapError((error) => {
          const code = exitCodeOf(error)
          const noTickets = user.user === undefined && (Predicate.isTagged(error, "NoCredentials") || Predicate.isTagged(error, "ContextExpired") ||
            Predicate.isTagged(error, "UnknownCredentials"))
          return new CliFailure({
            message: noTickets ? `no usable Kerberos tickets in KRB5CCNAME (run kinit, or give -u USER@REALM): ${explain(error)}` : explain(error),
            exitCode: code
          })
        })
      )
      if (args.fail && response.status >= 400) {
        return yield* new CliFailure({ message: `(22) The requested URL returned error: ${response.status}`, exitCode: ExitCode.HTTP_RETURNED_ERROR })
      }
      const head = args.include
        ? `HTTP/1.1 ${response.status}\r\n${Object.entries(response.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`
        : ""
      const out = Buffer.concat([Buffer.from(head), response.body])
      const output = Option.getOrUndefined(args.output)
      yield* Effect.try({
        try: () => output === undefined ? void process.stdout.write(out) : Fs.writeFileSync(output, out),
        catch: () => new CliFailure({ message: `-o ${output}: cannot write the file`, exitCode: ExitCode.WRITE_ERROR })
      })
    })
).pipe(
  Command.withDescription("An HTTP request with Negotiate (Kerberos, NTLM) / NTLM authentication, with curl's options and exit codes"),
  Command.withExamples([
    { command: "sspi get -u : http://web.example.com/", description: "Kerberos tickets of KRB5CCNAME (as curl --negotiate -u :)" },
    { command: "sspi get -u 'EXAMPLE\\alice' --ntlm http://web/", description: "NTLM; the password is prompted, read from stdin, or SSPI_PASSWORD" },
    { command: "sspi get -v -u alice@EXAMPLE.COM:pw -X POST -d @body.json -H 'Content-Type: application/json' https://web/api", description: "POST, verbose" }
  ])
)
