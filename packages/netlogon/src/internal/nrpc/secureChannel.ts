/**
 * Establishing a Netlogon secure channel (MS-NRPC 3.1.4.1, 3.1.4.3) and the
 * one call made over it, NetrLogonSamLogonWithFlags (3.5.4.5.1):
 *
 * 1. the endpoint mapper gives Netlogon's TCP port;
 * 2. on an unauthenticated binding, NetrServerReqChallenge then
 *    NetrServerAuthenticate3 with AES; the server's credential is checked
 *    (3.1.4.3.1), the negotiated flags must include AES and secure RPC;
 * 3. a second connection is bound with schannel at packet privacy, and the
 *    logons go over it with the authenticator chain (3.1.4.5).
 *
 * @since 0.1.0
 */
import { randomBytes, timingSafeEqual } from "node:crypto"
import { Clock, Data, Duration, Effect, Result } from "effect"
import type { Scope } from "effect"
import { bind, type Binding, type CallError } from "../rpc/binding.ts"
import { mapEndpoint } from "../rpc/epm.ts"
import { RpcProtocolError } from "../rpc/pdu.ts"
import { connect, type RpcTransportError } from "../rpc/transport.ts"
import {
  authenticate3Request,
  decodeAuthenticate3,
  decodeReqChallenge,
  decodeSamLogonWithFlags,
  NEG_AUTHENTICATED_RPC,
  NEG_SUPPORTS_AES,
  NETLOGON,
  type NetworkLogon,
  Opnum,
  reqChallengeRequest,
  REQUESTED_FLAGS,
  samLogonWithFlagsRequest as samLogonRequest,
  type SamLogonResult
} from "./calls.ts"
import { computeNetlogonCredential, CredentialChain, sessionKey } from "./credential.ts"
import { type SealMode, schannelProvider } from "./schannel.ts"
import { NtStatus, statusName } from "./status.ts"

/**
 * The secure channel could not be set up, or broke (the DC refused our
 * credentials or authenticator, or the chain went out of step).
 *
 * @since 0.1.0
 */
export class SecureChannelError extends Data.TaggedError("SecureChannelError")<{
  readonly reason: string
  /**
   * The DC refused the call's authenticator (a sealed STATUS_ACCESS_DENIED
   * without a return authenticator, MS-NRPC 3.5.4.5.1 / 3.1.4.5): it did not
   * run the logon, so asking again on a new channel counts nothing twice.
   */
  readonly notRun?: boolean
}> {}

/** Where and as whom to set up the channel. */
export interface ChannelSettings {
  /** Host name or address of the DC. */
  readonly host: string
  /** NetBIOS domain name (`CORP`). */
  readonly domain: string
  /** The machine account (`WEB1$`). */
  readonly account: string
  /** NT hash (MD4 of the UTF-16LE password) of the machine account; the caller keeps and wipes it. */
  readonly ntHash: Uint8Array
  /** Bound on every wait (connect, each reply). */
  readonly timeout: Duration.Duration
  /** The endpoint mapper's port (135 unless a test says otherwise). */
  readonly endpointMapperPort?: number | undefined
  /** How the DC applies AES-CFB8 when sealing (see `schannelProvider`). */
  readonly sealMode: SealMode
  /** Test hook: the client challenge (random otherwise). */
  readonly clientChallenge?: Uint8Array | undefined
}

export type ChannelError = SecureChannelError | CallError | RpcTransportError

/** A call's answer: its NTSTATUS and the decoded out values. */
export interface LogonAnswer {
  readonly status: number
  readonly result: SamLogonResult
  /** The channel's session key (to decrypt the user session key). */
  readonly sessionKey: Uint8Array
}

/** An established channel. `samLogon` is not concurrent: the caller serializes. */
export interface SecureChannel {
  readonly negotiatedFlags: number
  /** False once the DC closed the sealed connection (seen while idle). */
  readonly isOpen: () => boolean
  readonly samLogon: (logon: NetworkLogon) => Effect.Effect<LogonAnswer, ChannelError>
}

const broken = (reason: string) => new SecureChannelError({ reason })

const fromAnswer = <A>(what: string, answer: { status: number; value: A | undefined }): Effect.Effect<A, SecureChannelError> =>
  answer.status === 0 && answer.value !== undefined
    ? Effect.succeed(answer.value)
    : Effect.fail(broken(`${what}: ${statusName(answer.status)}`))

const decoded = <A>(what: string, r: Result.Result<A, { readonly reason: string }>) =>
  Effect.fromResult(r).pipe(Effect.mapError((e) => new RpcProtocolError({ reason: `${what}: ${e.reason}` })))

/** Steps 1-2: challenge exchange and mutual proof of the machine password. */
const authenticate = (settings: ChannelSettings, binding: Binding, computer: string) =>
  Effect.gen(function*() {
    const clientChallenge = settings.clientChallenge ?? new Uint8Array(randomBytes(8))
    const challengeStub = yield* binding.call(
      Opnum.ReqChallenge,
      reqChallengeRequest(settings.host, computer, clientChallenge)
    )
    const serverChallenge = yield* fromAnswer(
      "NetrServerReqChallenge",
      yield* decoded("NetrServerReqChallenge", decodeReqChallenge(challengeStub))
    )
    const key = sessionKey(settings.ntHash, clientChallenge, serverChallenge)
    const clientCredential = computeNetlogonCredential(clientChallenge, key)
    const authStub = yield* binding.call(
      Opnum.Authenticate3,
      authenticate3Request(settings.host, settings.account, computer, clientCredential, REQUESTED_FLAGS)
    )
    const answer = yield* decoded("NetrServerAuthenticate3", decodeAuthenticate3(authStub))
    if (answer.status !== 0) key.fill(0)
    const server = yield* fromAnswer("NetrServerAuthenticate3", answer)
    // MS-NRPC 3.1.4.3.1: the server proves it knows the machine password too
    const expected = computeNetlogonCredential(serverChallenge, key)
    if (!timingSafeEqual(expected, server.credential)) {
      key.fill(0)
      return yield* Effect.fail(broken("the server's credential does not verify"))
    }
    // MS-NRPC 3.1.4.2: we require AES and secure RPC; a DC that negotiates less is refused (downgrade)
    const required = NEG_SUPPORTS_AES | NEG_AUTHENTICATED_RPC
    if ((server.flags & required) !== required) {
      key.fill(0)
      return yield* Effect.fail(broken(`negotiated flags 0x${server.flags.toString(16)} lack AES or secure RPC`))
    }
    return { key, chain: new CredentialChain(key, clientCredential), flags: server.flags }
  })

/**
 * Sets up a secure channel to `settings.host`; its connection lives in the
 * caller's scope, and closing the scope wipes the session key.
 */
export const establish = (settings: ChannelSettings): Effect.Effect<SecureChannel, ChannelError, Scope.Scope> =>
  Effect.gen(function*() {
    const computer = settings.account.replace(/\$$/, "")
    const port = yield* mapEndpoint(settings.host, NETLOGON, settings.timeout, settings.endpointMapperPort)
    const { chain, flags, key } = yield* Effect.scoped(
      Effect.flatMap(
        connect(settings.host, port, settings.timeout),
        (conn) => Effect.flatMap(bind(conn, NETLOGON), (binding) => authenticate(settings, binding, computer))
      )
    )
    yield* Effect.addFinalizer(() => Effect.sync(() => chain.wipe()))
    const conn = yield* connect(settings.host, port, settings.timeout)
    const provider = schannelProvider({ sessionKey: key, domain: settings.domain, computer, seal: true, sealMode: settings.sealMode })
    yield* Effect.addFinalizer(() => Effect.sync(() => provider.wipe()))
    const sealed = yield* bind(conn, NETLOGON, provider)
    const samLogon = (logon: NetworkLogon): Effect.Effect<LogonAnswer, ChannelError> =>
      Effect.gen(function*() {
        const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const step = chain.next(now)
        const stub = yield* sealed.call(
          Opnum.SamLogonWithFlags,
          samLogonRequest(settings.host, computer, step.authenticator, logon)
        )
        const answer = yield* decoded("NetrLogonSamLogonWithFlags", decodeSamLogonWithFlags(stub))
        // MS-NRPC 3.1.4.5: the return authenticator must verify, else the chain is broken
        const returned = answer.value!.returnAuthenticator
        if (returned === undefined || !step.verify(returned)) {
          return yield* Effect.fail(
            new SecureChannelError({
              reason: `return authenticator does not verify (${statusName(answer.status)})`,
              notRun: answer.status === NtStatus.ACCESS_DENIED
            })
          )
        }
        return { status: answer.status, result: answer.value!, sessionKey: key }
      })
    return { negotiatedFlags: flags, isOpen: conn.isOpen, samLogon }
  })
