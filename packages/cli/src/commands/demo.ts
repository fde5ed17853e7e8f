/**
 * `sspi demo`: a loopback HTTP server protected by Negotiate/NTLM with an
 * embedded user, a client that authenticates to it through the
 * Windows-shaped async API (every call shown), then once more through the
 * client middleware; the async delete's status; no context left. No
 * configuration, no external server; exits 0 by itself.
 */
import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Console, Deferred, Effect, Layer, Redacted } from "effect"
import { Command } from "effect/cli"
import { HttpClientRequest, HttpServer } from "effect/http"
import {
  AsyncCallResult,
  Flags,
  SecBuffer,
  SecurityStatus,
  Sspi,
  SspiRuntime
} from "@effect-sspi/core"
import { UserStore } from "@effect-sspi/ntlm"
import { AuthHeader, Connector, SspiClient, SspiServer } from "@effect-sspi/http"
import { explained } from "../internal/failure.ts"
import { runtimeLayer } from "../internal/packages.ts"
import { clientLeg, serverLeg } from "../internal/print.ts"
import { whoami } from "./serve.ts"

/**
 * The one-line switch: "Negotiate" (SPNEGO over NTLM; Kerberos is left out,
 * the demo needs no KDC), or "NTLM".
 */
export const demoPackage = "Negotiate" as "Negotiate" | "NTLM"

const user = { domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }

const status = (code: number) => SecurityStatus.format(code)

/** One async call: queue, peek at its status, await it. */
const asyncCall = <T extends AsyncCallResult.AsyncCallResult["_tag"]>(
  asyncContext: Sspi.SspiAsyncContext,
  name: string,
  tag: T,
  queue: Effect.Effect<void, unknown, SspiRuntime.SspiRuntime>
) =>
  Effect.gen(function*() {
    yield* Sspi.reinitAsyncContext(asyncContext)
    yield* queue
    const pending = yield* Sspi.getAsyncCallStatus(asyncContext)
    const result = yield* Sspi.awaitAsyncCall(asyncContext)
    yield* Console.log(`  ${name}: queued; getAsyncCallStatus → ${SecurityStatus.nameOf(pending)}; awaited → ${status(result.status)}`)
    return result as Extract<AsyncCallResult.AsyncCallResult, { readonly _tag: T }>
  })

/** The client side through the Windows-shaped API, over one pinned connection. */
const windowsShapedClient = (url: string, scheme: string, packageName: string) =>
  Effect.scoped(Effect.gen(function*() {
    const connection = yield* Connector.Connector.use((c) => c.open)
    const ac = yield* Effect.acquireRelease(Sspi.createAsyncContext, (ac) => Effect.ignore(Sspi.freeAsyncContext(ac)))
    const acquired = yield* asyncCall(ac, "SspiAcquireCredentialsHandleAsync", "CredentialsAcquired", Sspi.acquireCredentialsHandleAsync(ac, {
      packageName,
      credentialUse: Flags.CredentialUse.OUTBOUND,
      authData: user
    }))
    let context: Sspi.CtxtHandle | undefined
    let input: Uint8Array | undefined
    let answer = ""
    for (let leg = 1; leg <= 8; leg++) {
      const step = yield* asyncCall(ac, `SspiInitializeSecurityContextAsync #${leg}`, "ContextStep", Sspi.initializeSecurityContextAsync(ac, {
        credential: acquired.credential,
        context,
        targetName: `HTTP/${new URL(url).hostname}`,
        contextReq: Flags.IscReq.CONNECTION,
        input: input === undefined ? [] : [SecBuffer.token(input)]
      }))
      context = step.context
      const found = SecBuffer.find(step.output, SecBuffer.BufferType.TOKEN)?.data
      const token = found !== undefined && found.length > 0 ? found : undefined
      yield* Console.log(`    ${step.statusName}, sent ${token?.length ?? 0} B, flags ${Flags.flagNames(Flags.IscRet, step.attributes).join("|") || "-"}`)
      if (token === undefined) break
      const response = yield* connection.client.execute(
        HttpClientRequest.get(url).pipe(HttpClientRequest.setHeader("authorization", AuthHeader.format(scheme, token)))
      )
      const challenge = AuthHeader.parseChallenges(response.headers["www-authenticate"]).find((c) => AuthHeader.sameScheme(c.scheme, scheme))
      const body = yield* response.text
      yield* Console.log(`    HTTP ${response.status}${challenge?.token !== undefined ? `, server token ${challenge.token.length} B` : ""}`)
      if (response.status !== 401) {
        answer = body.trim()
        break
      }
      input = challenge?.token
      if (input === undefined) break
    }
    yield* Console.log(`  server says: ${answer || "(nothing)"}; connections opened: ${connection.connectionsOpened()}`)
    if (context !== undefined) {
      // The async delete, its completion seen through a callback, then its status.
      const done = yield* Deferred.make<void>()
      yield* Sspi.reinitAsyncContext(ac)
      yield* Sspi.setAsyncNotifyCallback(ac, () => Deferred.succeed(done, undefined))
      yield* Sspi.deleteSecurityContextAsync(ac, context)
      const pending = yield* Sspi.getAsyncCallStatus(ac)
      yield* Deferred.await(done)
      const final = yield* Sspi.getAsyncCallStatus(ac)
      yield* Console.log(`  SspiDeleteSecurityContextAsync: queued; getAsyncCallStatus → ${SecurityStatus.nameOf(pending)}; callback ran; getAsyncCallStatus → ${status(final)}`)
      yield* Sspi.setAsyncNotifyCallback(ac, null)
    }
    yield* asyncCall(ac, "SspiFreeCredentialsHandleAsync", "Released", Sspi.freeCredentialsHandleAsync(ac, acquired.credential))
  }))

/** The `demo` command. */
export const demo = Command.make("demo", {}, () => run(demoPackage === "Negotiate")).pipe(
  Command.withDescription("Authenticate a client to a Negotiate/NTLM-protected loopback server, showing each leg (no options; exits by itself)"),
  Command.withExamples([{ command: "sspi demo", description: "every Sspi*Async call and leg, both sides" }])
)

const run = (negotiate: boolean) =>
  Effect.gen(function*() {
    const scheme = negotiate ? "Negotiate" : "NTLM"
    yield* Console.log(`sspi demo — ${negotiate ? "Negotiate (SPNEGO over NTLM)" : "NTLM"} over loopback HTTP`)
    yield* Effect.scoped(Effect.gen(function*() {
      let origin = ""
      yield* Layer.build(HttpServer.serve(whoami, SspiServer.middleware).pipe(
        Layer.provideMerge(SspiServer.layer({ schemes: [scheme], onLeg: (leg) => Console.log(`    ${serverLeg(leg)}`) })),
        Layer.provideMerge(NodeHttpServer.layer(() => {
          const s = createServer()
          s.once("listening", () => {
            const a = s.address()
            origin = typeof a === "object" && a !== null ? `http://127.0.0.1:${a.port}` : ""
          })
          return s
        }, { port: 0, host: "127.0.0.1", gracefulShutdownTimeout: 1000 }))
      ))
      yield* Console.log(`server: ${origin}/ — user store: ${user.domain}\\${user.user} (embedded; password not shown)`)
      yield* Console.log(`\n1. the Windows-shaped async API, one call at a time:`)
      yield* windowsShapedClient(`${origin}/`, scheme, scheme)
      yield* Console.log(`\n2. the client middleware (SspiClient.withAuthentication):`)
      const base = yield* NodeHttpClient.makeNodeHttp
      const client = base.pipe(SspiClient.withAuthentication({
        schemes: [scheme],
        credentials: SspiClient.password(`${user.domain}\\${user.user}`, user.password),
        onLeg: (leg) => Console.log(`    ${clientLeg(leg)}`)
      }))
      const response = yield* client.get(`${origin}/`)
      yield* Console.log(`  HTTP ${response.status}: ${(yield* response.text).trim()}`)
      const open = yield* SspiRuntime.stats
      // the server keeps an authenticated keep-alive connection's context (IIS' connection-bound authentication)
      yield* Console.log(`\nlive contexts with the connections open: ${open.contexts} (an authenticated connection keeps its context)`)
    }))
    // the server is closed: its connections, and with them their contexts, are gone
    const stats = yield* SspiRuntime.stats
    yield* Console.log(`server closed — live contexts: ${stats.contexts}, pending async calls: ${stats.calls}`)
  }).pipe(
    Effect.timeout("60 seconds"),
    Effect.provide(Layer.mergeAll(
      runtimeLayer({ negotiate }, UserStore.layerMemory([user])),
      NodeHttpClient.layerAgent,
      Connector.layerNode()
    )),
    explained
  )
