/**
 * The client driver of the HTTP bench, the same for every server: a child
 * process (pinned by the bench with `taskset`) that takes rounds over IPC and
 * answers requests/s, failures and its own CPU use.
 *
 * Lean on purpose, so that the server is what is measured: each client is one
 * raw keep-alive TCP connection with a minimal HTTP/1.1 reader, and tokens come
 * straight from the packages (no runtime, no handle table):
 * - `kerberos`: one leg per request, a fresh AP-REQ (MUTUAL_AUTH, as browsers
 *   ask; the AP-REP is not checked) from the cached service ticket, as a bare
 *   Kerberos GSS token after `Negotiate`;
 * - `ntlm`: two legs per handshake (`NTLM` scheme, NTLMv2 with MIC), each
 *   handshake on a new connection (mod_auth_gssapi 1.6.4 answers a second
 *   NTLM handshake on an authenticated connection with 401; browsers run one
 *   NTLM handshake per connection anyway);
 * - `authconn-kerberos` / `authconn-ntlm`: one handshake per connection, then
 *   plain requests on it (the server keeps the connection authenticated);
 * - `none`: plain requests to the public path.
 */
import { connect, type Socket } from "node:net"
import { Effect, Redacted } from "effect"
import { Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Kerberos } from "@effect-sspi/kerberos"
import { Ntlm } from "@effect-sspi/ntlm"

/** What the bench asks for. */
export interface Round {
  readonly port: number
  readonly mode: "kerberos" | "ntlm" | "authconn-kerberos" | "authconn-ntlm" | "none"
  readonly authPath: string
  readonly publicPath: string
  readonly concurrency: number
  readonly ms: number
}

/** What the driver answers. */
export interface RoundResult {
  readonly requests: number
  readonly failures: number
  readonly firstFailure: string | undefined
  readonly elapsedMs: number
  /** CPU time of the driver process over the round (user + system), ms. */
  readonly cpuMs: number
}

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)
const request = (input: ReadonlyArray<SecBuffer.SecBuffer>, contextReq: number): SecurityPackage.HandshakeRequest =>
  ({ targetName: "HTTP/localhost", contextReq, dataRep: 0x10, input, now: Date.now() })

// Kerberos from the realm's ccache (KRB5_CONFIG, KRB5CCNAME in the environment)
const kerberos = await Effect.runPromise(Kerberos.make({}))
const krbCred = (await Effect.runPromise(kerberos.acquireCredentials({
  principal: undefined,
  credentialUse: Flags.CredentialUse.OUTBOUND,
  authData: undefined,
  now: Date.now()
}))).credential
const mutual = Flags.IscReq.MUTUAL_AUTH
// the first initialize asks the KDC for the service ticket; the credential keeps it
const prime = await Effect.runPromise(kerberos.initialize(krbCred, undefined, request([], mutual)))
run(kerberos.deleteContext(prime.state))

const ntlm = Ntlm.make({})
const ntlmCred = run(ntlm.acquireCredentials({
  principal: undefined,
  credentialUse: Flags.CredentialUse.OUTBOUND,
  authData: { user: "alice", domain: "EXAMPLE", password: Redacted.make(process.env["BENCH_NTLM_PASSWORD"] ?? "Passw0rd!") },
  now: 0
})).credential

const b64 = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64")

/** A fresh AP-REQ. */
const kerberosHeader = (): string => {
  const step = run(kerberos.initialize(krbCred, undefined, request([], mutual)))
  run(kerberos.deleteContext(step.state))
  return `Negotiate ${b64(step.output[0]!.data)}`
}

interface Response {
  readonly status: number
  readonly authenticate: string | undefined
}

/** One keep-alive HTTP/1.1 connection; requests one at a time. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0)
  private waiting: ((r: Response | Error) => void) | undefined
  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
      this.parse()
    })
    const fail = (e: Error) => {
      const w = this.waiting
      this.waiting = undefined
      w?.(e)
    }
    socket.on("error", fail)
    socket.on("close", () => fail(new Error("connection closed")))
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => resolve(new Connection(socket)))
      socket.once("error", reject)
    })
  }

  private parse() {
    const end = this.buffer.indexOf("\r\n\r\n")
    if (end < 0 || this.waiting === undefined) return
    const head = this.buffer.toString("latin1", 0, end)
    const status = Number(head.slice(9, 12))
    let length = 0
    let authenticate: string | undefined
    let chunked = false
    for (const line of head.split("\r\n")) {
      const colon = line.indexOf(":")
      const name = line.slice(0, colon).toLowerCase()
      if (name === "content-length") length = Number(line.slice(colon + 1))
      else if (name === "transfer-encoding") chunked = line.slice(colon + 1).includes("chunked")
      else if (name === "www-authenticate" && authenticate === undefined) authenticate = line.slice(colon + 1).trim()
    }
    let total: number
    if (chunked) {
      const last = this.buffer.indexOf("0\r\n\r\n", end + 4)
      if (last < 0) return
      total = last + 5
    } else {
      total = end + 4 + length
      if (this.buffer.length < total) return
    }
    this.buffer = this.buffer.subarray(total)
    const w = this.waiting
    this.waiting = undefined
    w({ status, authenticate })
  }

  get(path: string, authorization?: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      this.waiting = (r) => r instanceof Error ? reject(r) : resolve(r)
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${authorization === undefined ? "" : `Authorization: ${authorization}\r\n`}\r\n`
      )
    })
  }

  close() {
    this.socket.destroy()
  }
}

const expect200 = (r: Response, what: string) => {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status}`)
}

/** NTLM: NEGOTIATE → 401 CHALLENGE → AUTHENTICATE → 200, on one connection. */
const ntlmHandshake = async (c: Connection, path: string) => {
  const first = run(ntlm.initialize(ntlmCred, undefined, request([], 0)))
  const challenge = await c.get(path, `NTLM ${b64(first.output[0]!.data)}`)
  if (challenge.status !== 401 || challenge.authenticate?.startsWith("NTLM ") !== true) {
    run(ntlm.deleteContext(first.state))
    throw new Error(`NTLM leg 1: HTTP ${challenge.status} ${challenge.authenticate ?? ""}`)
  }
  const token = Buffer.from(challenge.authenticate.slice(5), "base64")
  const second = run(ntlm.initialize(ntlmCred, first.state, request([SecBuffer.token(token)], 0)))
  run(ntlm.deleteContext(second.state))
  expect200(await c.get(path, `NTLM ${b64(second.output[0]!.data)}`), "NTLM leg 2")
}

const kerberosRequest = async (c: Connection, path: string) => expect200(await c.get(path, kerberosHeader()), "Kerberos")

/** A new connection; in the `authconn-*` modes authenticated by one handshake. */
const open = async (round: Round): Promise<Connection> => {
  const c = await Connection.open(round.port)
  if (round.mode === "authconn-kerberos") await kerberosRequest(c, round.authPath)
  if (round.mode === "authconn-ntlm") await ntlmHandshake(c, round.authPath)
  return c
}

/** One client: its own connection (`first`, opened before the clock started), requests until the deadline. */
const client = async (round: Round, first: Connection, deadline: number, counts: { requests: number; failures: number; first?: string }) => {
  let c: Connection | undefined = first
  while (performance.now() < deadline) {
    try {
      c ??= await open(round)
      switch (round.mode) {
        case "kerberos":
          await kerberosRequest(c, round.authPath)
          break
        case "ntlm":
          await ntlmHandshake(c, round.authPath)
          c.close()
          c = undefined
          break
        case "authconn-kerberos":
        case "authconn-ntlm":
          expect200(await c.get(round.authPath), "authenticated connection")
          break
        case "none":
          expect200(await c.get(round.publicPath), "no auth")
      }
      counts.requests++
    } catch (e) {
      counts.failures++
      counts.first ??= e instanceof Error ? e.message : String(e)
      c?.close()
      c = undefined
    }
  }
  c?.close()
}

const runRound = async (round: Round): Promise<RoundResult> => {
  const counts: { requests: number; failures: number; first?: string } = { requests: 0, failures: 0 }
  // connections (and the authenticated connections' handshakes) are made before the clock starts
  const connections = await Promise.all(Array.from({ length: round.concurrency }, () => open(round)))
  const cpu = process.cpuUsage()
  const start = performance.now()
  await Promise.all(connections.map((c) => client(round, c, start + round.ms, counts)))
  const elapsedMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { requests: counts.requests, failures: counts.failures, firstFailure: counts.first, elapsedMs, cpuMs: (used.user + used.system) / 1000 }
}

process.on("message", (message: Round) => {
  runRound(message).then((result) => process.send!(result), (e) => process.send!({ error: String(e) }))
})
process.send!({ ready: true })
