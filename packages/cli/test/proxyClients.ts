/**
 * NTLM-over-HTTP handshakes from real clients for the proxy tests: a token
 * stepper (our initiator, python3-ntlm-auth) carried over one keep-alive
 * connection, and curl --ntlm as a whole.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Layer, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Command, Drivers, Ours, Paths } from "@effect-sspi/interop-harness"
import { runtimeLayer } from "../src/internal/packages.ts"

export const user = { domain: "EXAMPLE", user: "alice", password: "Passw0rd!" }

/** An NTLM_USER_FILE holding {@link user}, in a temporary directory (`sspi-cli-<name>-…`) removed with the scope. */
export const usersFile = (name: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), `sspi-cli-${name}-`))
      writeFileSync(join(dir, "users"), `${user.domain}:${user.user}:${user.password}\n`)
      return { dir, file: join(dir, "users") }
    }),
    ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
export const hello = "hello EXAMPLE\\alice (NTLM)\n"

/** The outcome of one handshake: the final status and body. */
export interface Outcome {
  readonly status: number
  readonly body: string
}

/** One request over `agent` (a session's single keep-alive connection). */
export const get = (url: string, agent: Agent, headers: Record<string, string> = {}) =>
  Effect.callback<{ status: number; body: string; authenticate: string | undefined }, Error>((resume) => {
    const req = request(url, { agent, headers }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (c) => (body += c))
      res.on("end", () => {
        const h = res.headers["www-authenticate"]
        resume(Effect.succeed({ status: res.statusCode ?? 0, body, authenticate: Array.isArray(h) ? h[0] : h }))
      })
    })
    req.setTimeout(20_000, () => req.destroy(new Error("time-out")))
    req.once("error", (e) => resume(Effect.fail(e)))
    req.end()
    return Effect.sync(() => req.destroy())
  })

/** NEGOTIATE → 401 + CHALLENGE → AUTHENTICATE → the page. */
export const handshake = <E>(url: string, agent: Agent, stepper: Drivers.Stepper<E>): Effect.Effect<Outcome, E | Error> =>
  Effect.gen(function*() {
    const first = yield* stepper.step(null)
    const challenge = yield* get(url, agent, { authorization: `NTLM ${Drivers.toBase64(first.token!)}` })
    const token = challenge.authenticate?.startsWith("NTLM ") === true ? Drivers.fromBase64(challenge.authenticate.slice(5)) : undefined
    if (challenge.status !== 401 || token === undefined) return { status: challenge.status, body: challenge.body }
    const last = yield* stepper.step(token)
    const final = yield* get(url, agent, { authorization: `NTLM ${Drivers.toBase64(last.token!)}` })
    return { status: final.status, body: final.body }
  })

/** A client machine's SSPI runtime with our NTLM package. */
export const clientRuntime = Effect.map(Layer.build(runtimeLayer({ negotiate: false })), (c) => Context.get(c, SspiRuntime.SspiRuntime))

/** One handshake by our initiator (a fresh context each time). */
export const ours = (runtime: SspiRuntime.SspiRuntime["Service"], url: string, agent: Agent) =>
  Effect.scoped(Effect.gen(function*() {
    const credentials = yield* Credentials.acquire({
      packageName: "NTLM",
      credentialUse: Flags.CredentialUse.OUTBOUND,
      authData: { domain: user.domain, user: user.user, password: Redacted.make(user.password) }
    })
    const context = yield* SecurityContext.initiator(credentials, { targetName: "HTTP/localhost" })
    return yield* handshake(url, agent, yield* Ours.ourStepper(context))
  })).pipe(Effect.provideService(SspiRuntime.SspiRuntime, runtime))

/** One handshake by python3-ntlm-auth (a driver process per handshake). */
export const python = (url: string, agent: Agent) =>
  Effect.scoped(Effect.gen(function*() {
    const peer = yield* Drivers.ntlmAuthClient({ user: user.user, domain: user.domain, password: user.password })
    return yield* handshake(url, agent, Drivers.stepper(peer))
  }))

/** One `curl --ntlm` run (MD4 through OpenSSL's legacy provider). */
export const curl = (url: string) =>
  Command.run(
    "/usr/bin/curl",
    ["-sS", "--ntlm", "-K", "-", "-w", "\n%{http_code}", "--max-time", "20", url],
    { env: { OPENSSL_CONF: Paths.opensslLegacyConf }, input: `user = "${user.domain}\\\\${user.user}:${user.password}"\n`, timeout: "30 seconds" }
  ).pipe(Effect.map((r): Outcome => {
    const at = r.stdout.lastIndexOf("\n")
    return { status: Number(r.stdout.slice(at + 1)), body: r.stdout.slice(0, at) }
  }))

/** A session: its own keep-alive connection (one socket) to the proxy. */
export const session = () => new Agent({ keepAlive: true, maxSockets: 1 })
