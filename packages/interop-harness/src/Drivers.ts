/**
 * Typed helpers over the JSON-lines peer drivers (`scripts/peers/drivers/`):
 * start a driver, step a handshake token by token, protect messages.
 *
 * Protocol summary (one request line → exactly one reply line):
 *
 * | request | reply |
 * |---|---|
 * | (on start) | `{"ready":true,"driver","role","mech","pid"}` |
 * | `{"token": b64 \| null}` | `{"token": b64 \| null, "done": bool, "status"?: {...}}` |
 * | `{"wrap": b64, "conf"?: bool}` | `{"wrapped": b64, "conf": bool}` |
 * | `{"unwrap": b64}` | `{"unwrapped": b64, "conf": bool, "qop": int}` |
 * | `{"get_mic": b64}` | `{"mic": b64}` |
 * | `{"verify_mic": b64, "mic": b64}` | `{"verified": true, "qop": int}` |
 * | `{"status": true}` | `{"status": {...}}` |
 * | `{"close": true}` | `{"closed": true}` then exit 0 |
 *
 * Any request may carry an `"id"`, echoed in its reply. Failures answer
 * `{"error", "kind", "fatal", "stage", "major"?, "minor"?, "token"?}`; after a
 * fatal one (a failed handshake step, start-up) the driver exits with status 1.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect } from "effect"
import type { Duration, Scope } from "effect"
import { gssPeerScript, ntlmAuthClientScript, opensslLegacyConf, python } from "./Paths.ts"
import { type Peer, PeerError, type PeerMessage, spawn } from "./Peer.ts"

/** What a driver reports about an established context (fields vary by driver/mechanism). */
export interface ContextStatus {
  readonly established: boolean
  readonly role: "initiate" | "accept"
  readonly mech?: string | null
  readonly initiator_name?: string | null
  readonly target_name?: string | null
  readonly lifetime?: number | null
  readonly flags?: number
  readonly flag_names?: ReadonlyArray<string>
  /** GSS_C_INQ_SSPI_SESSION_KEY, base64. */
  readonly session_key?: string | null
  /** ntlm_auth_client.py only: NEGOTIATE flags sent and AUTHENTICATE flags used. */
  readonly negotiate_flags?: number
  readonly final_flags?: number | null
  readonly [key: string]: unknown
}

/** The result of one handshake step. */
export interface StepResult {
  readonly token: Uint8Array | null
  readonly done: boolean
  readonly status?: ContextStatus | undefined
}

/** Anything that can take part in a handshake: a driver, or our own context under test. */
export interface Stepper<E = PeerError> {
  readonly step: (token: Uint8Array | null) => Effect.Effect<StepResult, E>
}

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64")
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"))

const field = (peer: Peer, reply: PeerMessage, key: string): Effect.Effect<string, PeerError> => {
  const value = reply[key]
  return typeof value === "string"
    ? Effect.succeed(value)
    : Effect.fail(
      new PeerError({ reason: "Protocol", peer: peer.name, message: `reply lacks "${key}"`, reply })
    )
}

/** Wait for the driver's `{"ready": true}` line (or its start-up error). */
export const awaitReady = (peer: Peer, timeout?: Duration.Input): Effect.Effect<PeerMessage, PeerError> =>
  peer.receive(timeout).pipe(
    Effect.flatMap((reply) =>
      reply["ready"] === true
        ? Effect.succeed(reply)
        : Effect.fail(
          new PeerError({
            reason: "error" in reply ? "Remote" : "Protocol",
            peer: peer.name,
            message: `${peer.name} did not start: ${JSON.stringify(reply)}`,
            reply
          })
        )
    )
  )

/** One handshake step: send `token` (null for an initiator's first step). */
export const step = (peer: Peer, token: Uint8Array | null): Effect.Effect<StepResult, PeerError> =>
  peer.request({ token: token === null ? null : toBase64(token) }).pipe(
    Effect.map((reply) => ({
      token: typeof reply["token"] === "string" ? fromBase64(reply["token"]) : null,
      done: reply["done"] === true,
      status: reply["status"] as ContextStatus | undefined
    }))
  )

/** A {@link Stepper} over a driver. */
export const stepper = (peer: Peer): Stepper => ({ step: (token) => step(peer, token) })

/** Seal (conf = true, default) or sign-only wrap. */
export const wrap = (
  peer: Peer,
  data: Uint8Array,
  conf = true
): Effect.Effect<{ readonly token: Uint8Array; readonly conf: boolean }, PeerError> =>
  peer.request({ wrap: toBase64(data), conf }).pipe(
    Effect.flatMap((reply) =>
      Effect.map(field(peer, reply, "wrapped"), (w) => ({ token: fromBase64(w), conf: reply["conf"] === true }))
    )
  )

/** Unwrap (and verify) a token produced by the other side's wrap. */
export const unwrap = (
  peer: Peer,
  token: Uint8Array
): Effect.Effect<{ readonly message: Uint8Array; readonly conf: boolean; readonly qop: number }, PeerError> =>
  peer.request({ unwrap: toBase64(token) }).pipe(
    Effect.flatMap((reply) =>
      Effect.map(field(peer, reply, "unwrapped"), (m) => ({
        message: fromBase64(m),
        conf: reply["conf"] === true,
        qop: typeof reply["qop"] === "number" ? reply["qop"] : 0
      }))
    )
  )

/** GSS_GetMIC. */
export const getMic = (peer: Peer, message: Uint8Array): Effect.Effect<Uint8Array, PeerError> =>
  peer.request({ get_mic: toBase64(message) }).pipe(
    Effect.flatMap((reply) => Effect.map(field(peer, reply, "mic"), fromBase64))
  )

/** GSS_VerifyMIC; fails with reason `Remote` when the MIC is bad. */
export const verifyMic = (peer: Peer, message: Uint8Array, mic: Uint8Array): Effect.Effect<void, PeerError> =>
  Effect.asVoid(peer.request({ verify_mic: toBase64(message), mic: toBase64(mic) }))

/** Ask for the context status. */
export const status = (peer: Peer): Effect.Effect<ContextStatus, PeerError> =>
  peer.request({ status: true }).pipe(Effect.map((reply) => reply["status"] as ContextStatus))

/** Result of {@link handshake}. */
export interface HandshakeResult {
  /** Number of tokens exchanged. */
  readonly legs: number
  readonly tokens: ReadonlyArray<{ readonly from: "initiator" | "acceptor"; readonly token: Uint8Array }>
  readonly initiator: ContextStatus | undefined
  readonly acceptor: ContextStatus | undefined
}

/**
 * Run a complete handshake between an initiator and an acceptor, token by
 * token (at most `maxLegs`, default 10): the initiator steps first with no
 * token; each output token goes to the other side; it ends when both are done.
 */
export const handshake = <E1, E2>(
  initiator: Stepper<E1>,
  acceptor: Stepper<E2>,
  maxLegs = 10
): Effect.Effect<HandshakeResult, E1 | E2 | PeerError> =>
  Effect.gen(function*() {
    interface Side {
      readonly name: "initiator" | "acceptor"
      readonly s: Stepper<E1 | E2>
      done: boolean
      status: ContextStatus | undefined
    }
    const sides: readonly [Side, Side] = [
      { name: "initiator", s: initiator, done: false, status: undefined },
      { name: "acceptor", s: acceptor, done: false, status: undefined }
    ]
    const tokens: Array<{ from: "initiator" | "acceptor"; token: Uint8Array }> = []
    let token: Uint8Array | null = null
    let turn = 0
    const fail = (message: string) =>
      Effect.fail(new PeerError({ reason: "Protocol", peer: "handshake", message }))
    for (let i = 0; i < maxLegs + 1; i++) {
      const side = sides[turn]!
      const other = sides[1 - turn]!
      if (side.done) {
        if (token !== null) return yield* fail(`${side.name} is done but got another token`)
        break
      }
      const r: StepResult = yield* side.s.step(token)
      side.done = r.done
      if (r.done) side.status = r.status
      token = r.token
      if (token !== null) tokens.push({ from: side.name, token })
      else if (!(side.done && other.done)) {
        return yield* fail(`${side.name} produced no token but the handshake is not complete`)
      }
      if (side.done && other.done && token === null) break
      turn = 1 - turn
    }
    if (!sides[0].done || !sides[1].done) return yield* fail(`handshake not complete after ${maxLegs} legs`)
    return { legs: tokens.length, tokens, initiator: sides[0].status, acceptor: sides[1].status }
  })

// ---------------------------------------------------------------------------
// Starting drivers
// ---------------------------------------------------------------------------

/** Options of {@link gssPeer} (see `gss_peer.py --help`). */
export interface GssPeerOptions {
  readonly role: "initiate" | "accept"
  /** `ntlm`, `krb5`, `spnego`, or a dotted OID. */
  readonly mech: "ntlm" | "krb5" | "spnego" | (string & {})
  /** Initiator: host-based service name of the acceptor (default `HTTP@localhost`). */
  readonly target?: string | undefined
  /** Acceptor: host-based service name to accept as (default: any). */
  readonly acceptorName?: string | undefined
  /** Initiator: with `password`, credentials come from gss_acquire_cred_with_password. */
  readonly user?: string | undefined
  readonly domain?: string | undefined
  /** Passed through the environment (GSS_PEER_PASSWORD), not the command line. */
  readonly password?: string | undefined
  /** Request flags: `"mutual,replay,sequence,conf,integ"` (default), `"none"`, or a number. */
  readonly flags?: string | number | undefined
  /** With mech spnego: `"ntlm"`, `"krb5"`, `"krb5,ntlm"`… */
  readonly spnegoMechs?: string | undefined
  /** Channel-binding application data. */
  readonly channelBindings?: Uint8Array | undefined
  readonly lifetime?: number | undefined
  /** Extra environment: KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, NTLM_USER_FILE… */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly name?: string | undefined
  readonly receiveTimeout?: Duration.Input | undefined
  /** Driver watchdog in seconds (default 300). */
  readonly watchdogSeconds?: number | undefined
}

const opt = (flag: string, value: string | number | undefined): Array<string> =>
  value === undefined ? [] : [flag, String(value)]

/** Start `gss_peer.py` (python3-gssapi) and wait until it is ready. */
export const gssPeer = (options: GssPeerOptions): Effect.Effect<Peer, PeerError, Scope.Scope> =>
  Effect.gen(function*() {
    const args = [
      gssPeerScript,
      "--role",
      options.role,
      "--mech",
      options.mech,
      ...opt("--target", options.target),
      ...opt("--acceptor-name", options.acceptorName),
      ...opt("--user", options.user),
      ...opt("--domain", options.domain),
      ...opt("--flags", options.flags),
      ...opt("--spnego-mechs", options.spnegoMechs),
      ...opt("--channel-bindings", options.channelBindings && toBase64(options.channelBindings)),
      ...opt("--lifetime", options.lifetime),
      ...opt("--timeout", options.watchdogSeconds ?? 300)
    ]
    const peer = yield* spawn(
      python,
      args,
      { ...options.env, ...(options.password !== undefined ? { GSS_PEER_PASSWORD: options.password } : {}) },
      { name: options.name ?? `gss_peer(${options.role},${options.mech})`, receiveTimeout: options.receiveTimeout }
    )
    yield* awaitReady(peer)
    return peer
  })

/** Options of {@link ntlmAuthClient} (see `ntlm_auth_client.py --help`). */
export interface NtlmAuthClientOptions {
  readonly user: string
  readonly domain?: string | undefined
  readonly password: string
  readonly workstation?: string | undefined
  /** LmCompatibilityLevel 0–5 (default 3 = NTLMv2 only). */
  readonly compat?: number | undefined
  /** Replace the NEGOTIATE flags (number). */
  readonly flags?: number | undefined
  /** NegotiateFlags names without `NTLMSSP_` (e.g. `NEGOTIATE_SEAL`) or hex. */
  readonly addFlags?: ReadonlyArray<string> | undefined
  readonly removeFlags?: ReadonlyArray<string> | undefined
  readonly channelBindings?: Uint8Array | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly name?: string | undefined
  readonly receiveTimeout?: Duration.Input | undefined
  readonly watchdogSeconds?: number | undefined
}

/** Start `ntlm_auth_client.py` (python3-ntlm-auth, with the legacy OpenSSL config). */
export const ntlmAuthClient = (options: NtlmAuthClientOptions): Effect.Effect<Peer, PeerError, Scope.Scope> =>
  Effect.gen(function*() {
    const args = [
      ntlmAuthClientScript,
      "--user",
      options.user,
      ...opt("--domain", options.domain),
      ...opt("--workstation", options.workstation),
      ...opt("--compat", options.compat),
      ...opt("--flags", options.flags === undefined ? undefined : `0x${options.flags.toString(16)}`),
      ...opt("--add-flags", options.addFlags?.join(",")),
      ...opt("--remove-flags", options.removeFlags?.join(",")),
      ...opt("--channel-bindings", options.channelBindings && toBase64(options.channelBindings)),
      ...opt("--timeout", options.watchdogSeconds ?? 300)
    ]
    const peer = yield* spawn(
      python,
      args,
      { OPENSSL_CONF: opensslLegacyConf, ...options.env, GSS_PEER_PASSWORD: options.password },
      { name: options.name ?? "ntlm_auth_client", receiveTimeout: options.receiveTimeout }
    )
    yield* awaitReady(peer)
    return peer
  })

/**
 * A temporary `NTLM_USER_FILE` (lines `DOMAIN:USER:PASSWORD`) for
 * gss-ntlmssp acceptors (and default initiator credentials); removed when the
 * scope closes. Returns its path.
 */
export const ntlmUserFile = (
  users: ReadonlyArray<{ readonly domain: string; readonly user: string; readonly password: string }>
): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-sspi-ntlm-"))
      const file = Path.join(dir, "users")
      Fs.writeFileSync(file, users.map((u) => `${u.domain}:${u.user}:${u.password}\n`).join(""), { mode: 0o600 })
      return file
    }),
    (file) => Effect.sync(() => Fs.rmSync(Path.dirname(file), { recursive: true, force: true }))
  )
