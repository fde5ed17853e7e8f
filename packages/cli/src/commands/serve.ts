/**
 * `sspi serve`: a Negotiate/NTLM-protected HTTP server on loopback that
 * answers `hello <principal>`. `--users` (else `NTLM_USER_FILE`) gives NTLM
 * its user file, `--keytab` gives Negotiate's Kerberos mechanism its service
 * keys; at least one of them is needed. `--redis URL` shares the replay cache
 * and the pending NTLM handshakes between processes; `--workers N` runs N
 * processes on one port (node:cluster), which share them through Redis with
 * `--redis`, else through the primary process over the cluster IPC channel
 * (never one replay cache per worker: an AP-REQ replayed to another worker
 * would be accepted).
 */
import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Config, Console, Effect, Layer, Option, Predicate } from "effect"
import { Command, Flag } from "effect/cli"
import { HttpServer, type HttpServerResponse } from "effect/http"
import { Credentials, Flags } from "@effect-sspi/core"
import { UserStore } from "@effect-sspi/ntlm"
import { Connector, SspiServer } from "@effect-sspi/http"
import { CliFailure, explain, explained, usage } from "../internal/failure.ts"
import { negotiateMechanisms, type Packages, runtimeLayer } from "../internal/packages.ts"
import { serverLeg } from "../internal/print.ts"
import * as Cluster from "../internal/serve/cluster.ts"
import * as Domain from "../internal/serve/domain.ts"
import * as Forward from "../internal/serve/forward.ts"
import * as IpcWorker from "../internal/serve/ipcWorker.ts"
import * as SharedState from "../internal/serve/sharedState.ts"
import * as Whoami from "../internal/serve/whoami.ts"

/** The app behind the middleware: `/whoami` JSON, else `hello <principal> (<scheme>)`. */
export const whoami = Whoami.app

/** Reads the keytab once through the Kerberos package, so that a bad one stops the server at start-up. */
const checkKeytab = (keytab: string) =>
  explained(
    Effect.scoped(Credentials.acquire({ packageName: "Kerberos", credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab } })),
    `--keytab ${keytab}`
  )

const listenErrors: Readonly<Record<string, string>> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available on this machine"
}

/** The code of a Node system error anywhere in a `cause` chain. */
const systemCode = (error: unknown): string | undefined => {
  for (let e = error, depth = 0; Predicate.hasProperty(e, "cause") || Predicate.hasProperty(e, "code"); depth++) {
    if (Predicate.hasProperty(e, "code") && Predicate.isString(e.code)) return e.code
    if (depth > 5 || !Predicate.hasProperty(e, "cause")) return undefined
    e = e.cause
  }
  return undefined
}

/** `cannot listen on 127.0.0.1:8080: address already in use (EADDRINUSE)` */
const cannotListen = (host: string, port: number) => (error: unknown) => {
  const code = systemCode(error)
  const reason = code !== undefined && listenErrors[code] !== undefined
    ? `${listenErrors[code]} (${code})`
    : explain(Predicate.hasProperty(error, "cause") ? error.cause : error)
  return new CliFailure({ message: `cannot listen on ${host}:${port}: ${reason}` })
}

/** The `serve` command. */
export const serve = Command.make(
  "serve",
  {
    users: Flag.String("users").pipe(Flag.withDescription("NTLM_USER_FILE: DOMAIN:USER:PASSWORD per line, enables NTLM (default: none)"), Flag.optional),
    keytab: Flag.String("keytab").pipe(
      Flag.withDescription("Kerberos keytab with the HTTP/<host> service keys, enables Kerberos through Negotiate (default: none)"),
      Flag.optional
    ),
    acceptorPrincipal: Flag.String("acceptor-principal").pipe(
      Flag.withDescription("with --keytab: the service principals tickets are accepted for, comma-separated (e.g. HTTP/web1.corp.test@CORP.TEST), or \"any\" principal of the keytab (default: the keytab's first principal)"),
      Flag.optional
    ),
    port: Flag.Int("port").pipe(Flag.withDescription("TCP port, 0 for any (default: 8080)"), Flag.withDefault(8080)),
    host: Flag.String("host").pipe(Flag.withDescription("listen address (default: 127.0.0.1)"), Flag.withDefault("127.0.0.1")),
    dc: Flag.String("dc").pipe(
      Flag.withDescription("domain controller (host): NTLM verified by the domain over Netlogon, needs --machine-keytab or --machine-account (default: none)"),
      Flag.optional
    ),
    machineKeytab: Flag.String("machine-keytab").pipe(
      Flag.withDescription("keytab of the machine account (NAME$@REALM) with its RC4-HMAC key, for --dc (default: none)"),
      Flag.optional
    ),
    machineAccount: Flag.String("machine-account").pipe(
      Flag.withDescription(`machine account NAME$@REALM for --dc, its password from ${Domain.machinePasswordName} (instead of --machine-keytab) (default: none)`),
      Flag.optional
    ),
    redis: Flag.String("redis").pipe(
      Flag.withDescription(
        `redis://HOST:PORT: replay cache and pending NTLM handshakes shared by every process (needs ${SharedState.handshakeKeyName}) (default: none, this process's memory; with --workers > 1, the primary process's)`
      ),
      Flag.optional
    ),
    authenticatedConnections: Flag.Literals("authenticated-connections", ["ntlm", "all", "none"]).pipe(
      Flag.withDescription(
        "which finished handshakes keep their TCP connection authenticated for later requests without Authorization (IIS' behaviour): ntlm, all, none (default: ntlm; none with --redis, because a proxy that pools upstream connections would hand one client's authenticated connection to others)"
      ),
      Flag.optional
    ),
    forwardTo: Flag.String("forward-to").pipe(
      Flag.withDescription("URL of a Negotiate-protected back-end: GET /forward calls it as the authenticated user (the TGT the client delegated, else --s4u) and answers its status and body; 403 when the server cannot act for the user (default: none)"),
      Flag.optional
    ),
    forwardSpn: Flag.String("forward-spn").pipe(
      Flag.withDescription("the back-end's service principal for --forward-to (default: HTTP/<host of the URL>)"),
      Flag.optional
    ),
    s4u: Flag.Boolean("s4u").pipe(
      Flag.withDescription("with --forward-to and --keytab: a user who delegated nothing is forwarded through S4U2Self + S4U2Proxy to HTTP/<host of the URL> with the keytab's service keys (the realm must allow it) (default: no)"),
      Flag.withDefault(false)
    ),
    workers: Flag.Int("workers").pipe(
      Flag.withDescription(
        "processes sharing the port (node:cluster); with more than 1 the replay cache and pending NTLM handshakes are shared: in Redis with --redis, else held by the primary process and reached over IPC (default: 1)"
      ),
      Flag.withDefault(1)
    ),
    verbose: Flag.Boolean("verbose").pipe(Flag.withAlias("v"), Flag.withDescription("print each handshake leg (default: no)"), Flag.withDefault(false))
  },
  (args) =>
    Effect.gen(function*() {
      // --users, else NTLM_USER_FILE (effect Config)
      const users = Option.getOrUndefined(args.users) ??
        Option.getOrUndefined(yield* Effect.orElseSucceed(Config.option(Config.NonEmptyString("NTLM_USER_FILE")), () => Option.none()))
      const keytab = Option.getOrUndefined(args.keytab)
      const redis = Option.getOrUndefined(args.redis)
      const dc = Option.getOrUndefined(args.dc)
      const machineKeytab = Option.getOrUndefined(args.machineKeytab)
      const machineAccount = Option.getOrUndefined(args.machineAccount)
      if (machineKeytab !== undefined && machineAccount !== undefined) return yield* usage("--machine-keytab FILE and --machine-account NAME$@REALM: give one of them")
      if ((dc === undefined) !== (machineKeytab === undefined && machineAccount === undefined)) {
        return yield* usage(machineAccount === undefined ? "--dc HOST and --machine-keytab FILE go together" : "--dc HOST and --machine-account NAME$@REALM go together")
      }
      if (dc !== undefined && Option.isSome(args.users)) return yield* usage("--dc verifies NTLM by the domain; --users is a local user file: give one of them")
      if (users === undefined && keytab === undefined && dc === undefined) {
        return yield* usage("--users FILE (or NTLM_USER_FILE; format DOMAIN:USER:PASSWORD) or --keytab FILE (Kerberos) is required")
      }
      const forwardTo = Option.getOrUndefined(args.forwardTo)
      if (forwardTo !== undefined && !URL.canParse(forwardTo)) return yield* usage(`--forward-to ${forwardTo}: not a URL`)
      if (Option.isSome(args.acceptorPrincipal) && keytab === undefined) return yield* usage("--acceptor-principal needs --keytab FILE")
      if (args.s4u && (forwardTo === undefined || keytab === undefined)) return yield* usage("--s4u needs --forward-to URL and --keytab FILE (the service's keys)")
      if (args.workers < 1) return yield* usage("--workers must be at least 1")
      // several workers without Redis: the primary process holds the replay cache and
      // handshake store of them all (never one per worker: a Kerberos token replayed to
      // another worker would be accepted, an NTLM handshake could not finish there)
      const sharedInPrimary = args.workers > 1 && redis === undefined
      // checked before any worker starts
      if (redis !== undefined) yield* SharedState.handshakeKey
      const domain = dc === undefined
        ? undefined
        : machineAccount !== undefined
        ? yield* Domain.fromPassword(dc, machineAccount)
        : yield* Domain.make(dc, machineKeytab!)
      const ntlmUsers = dc === undefined ? users : undefined
      const packages: Packages = {
        domain,
        negotiate: true,
        // krb5.conf, KRB5_CONFIG: read for the clock skew; an acceptor with a keytab needs no KDC.
        kerberos: keytab === undefined ? undefined : Option.match(args.acceptorPrincipal, {
          onNone: () => ({}),
          onSome: (p) => ({ acceptorPrincipals: p === "any" ? "any" as const : p.split(",").map((n) => n.trim()).filter((n) => n !== "") })
        }),
        negotiateWithoutNtlm: ntlmUsers === undefined && domain === undefined,
        // the HTTP server deletes a connection's pending context when the connection
        // closes; with a shared store the client's AUTHENTICATE may still come on
        // another connection or node, so the stored handshake is left to its TTL
        ntlm: redis === undefined && !sharedInPrimary ? undefined : { onDeletePending: "keep" }
      }
      const schemes = ntlmUsers === undefined && domain === undefined ? ["Negotiate"] : ["Negotiate", "NTLM"]
      const offer = schemes.map((s) => s === "Negotiate" ? `Negotiate (${negotiateMechanisms(packages).join(", ")})` : s)
      // Behind a proxy that shares its upstream keep-alive connections between clients
      // (nginx `keepalive`, the set-up --redis is for), a connection authenticated by
      // one client's handshake would serve the next client's requests as that client.
      // --workers without Redis keeps one process's default: node:cluster hands a whole
      // connection to one worker, so a connection's authentication stays where it was made.
      const authenticatedConnections = Option.getOrElse(args.authenticatedConnections, () => redis === undefined ? "ntlm" as const : "none" as const)
      const offerLine = `${offer.join(", ")}${domain === undefined ? "" : `, NTLM verified by ${dc} as ${domain.account}`}${
        redis !== undefined ? `, shared state in Redis at ${SharedState.redisLabel(redis)}` : sharedInPrimary ? ", shared state in the primary process" : ""
      }${
        forwardTo === undefined ? "" : `; /forward calls ${forwardTo} as the user (delegated TGT${args.s4u ? ", else S4U" : ""})`
      }`
      if (args.workers > 1 && !Cluster.isWorker()) {
        if (keytab !== undefined) yield* checkKeytab(keytab).pipe(Effect.provide(runtimeLayer(packages)))
        return yield* Cluster.primary(
          args.workers,
          (port) => Console.log(`listening on http://${args.host}:${port} (${offerLine}; ${args.workers} workers); Ctrl-C stops`),
          { shareState: sharedInPrimary }
        )
      }
      let address = ""
      const server = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) => HttpServer.serve(app, SspiServer.middleware).pipe(
        Layer.provideMerge(SspiServer.layer({
          schemes,
          authenticatedConnections,
          credentials: (name) =>
            keytab === undefined
              ? {}
              : name === "Negotiate"
              ? { authData: { kerberos: { keytab }, ntlm: undefined } }
              : name === "Kerberos"
              ? { authData: { keytab } }
              : {},
          onLeg: (leg) => !args.verbose ? Effect.void : Cluster.isWorker() ? Cluster.workerLog(serverLeg(leg)) : Console.log(serverLeg(leg))
        })),
        Layer.provideMerge(NodeHttpServer.layer(() => {
          const s = createServer()
          s.once("listening", () => {
            const a = s.address()
            address = typeof a === "object" && a !== null ? `http://${args.host}:${a.port}` : String(a)
          })
          return s
        }, { port: args.port, host: args.host }))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        // the shared state first (closed last): the packages and the server are built over it
        const shared = redis !== undefined
          ? Layer.succeedContext(yield* SharedState.build(redis))
          : sharedInPrimary
          ? Layer.succeedContext(yield* Layer.build(IpcWorker.layer()))
          : undefined
        yield* Effect.scoped(Effect.gen(function*() {
          if (keytab !== undefined) yield* checkKeytab(keytab)
          const app = forwardTo === undefined ? whoami : Forward.app(
            { url: forwardTo, spn: Option.getOrElse(args.forwardSpn, () => Forward.backendSpn(forwardTo)), s4uKeytab: args.s4u ? keytab : undefined },
            yield* Effect.context<Forward.ClientServices>().pipe(
              Effect.provide(Layer.mergeAll(NodeHttpClient.layerNodeHttp, Connector.layerNode()))
            ),
            whoami
          )
          yield* Layer.build(server(app)).pipe(Effect.mapError((e) => Predicate.isTagged(e, "ServeError") ? cannotListen(args.host, args.port)(e) : e))
          if (!Cluster.isWorker()) yield* Console.log(`listening on ${address} (${offerLine}); Ctrl-C stops`)
          return yield* Effect.never
        })).pipe(Effect.provide(runtimeLayer({ ...packages, shared }, ntlmUsers === undefined ? UserStore.layerMemory([]) : UserStore.layerFile(ntlmUsers))))
      })).pipe(explained)
    })
).pipe(
  Command.withDescription("Serve a Negotiate (Kerberos, NTLM) / NTLM-protected page on loopback"),
  Command.withExamples([
    { command: "sspi serve --users users.txt", description: "NTLM (and Negotiate over NTLM) for the users of the file, on 127.0.0.1:8080" },
    { command: "sspi serve --keytab /etc/krb5.keytab --users users.txt --port 0 -v", description: "Kerberos and NTLM, any free port, each leg printed" },
    {
      command: "SSPI_HANDSHAKE_KEY=$(openssl rand -hex 32) sspi serve --users users.txt --redis redis://127.0.0.1:6379 --workers 2",
      description: "two processes on port 8080 sharing the replay cache and NTLM handshakes through Redis"
    },
    {
      command: "sspi serve --users users.txt --workers 4",
      description: "four processes on port 8080; the primary process holds their replay cache and NTLM handshakes"
    }
  ])
)
