/**
 * NTLM verified by the domain: a client of a domain controller's Netlogon
 * service (MS-NRPC) that passes a client's NTLM response to the DC
 * (NetrLogonSamLogonWithFlags, network logon, MS-APDS 3.1.5.1) and answers
 * the user's session key and SIDs.
 *
 * One secure channel (MS-NRPC 3.1.4) is set up on first use with the
 * machine account and shared by every logon; calls on it are serialized
 * (the authenticator chain of 3.1.4.5 admits one call at a time). When the
 * DC drops the channel (connection closed, chain refused, reply that does not
 * verify), the channel is set up again. A logon is asked again (once) only
 * when the DC cannot have run it: the channel could not be set up, the DC had
 * closed the idle connection before the request was written, the DC refused
 * the call's authenticator (sealed STATUS_ACCESS_DENIED), or, on a channel's
 * first call, could not unseal it. A reply lost after the request went out is
 * SEC_E_NO_AUTHENTICATING_AUTHORITY, not a second try: the DC may have
 * counted a bad password already, and a man in the middle must not make it
 * count twice.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Exit, Layer, Redacted, Scope, Semaphore } from "effect"
import { SecurityError } from "@effect-sspi/core"
import { md4 } from "@effect-sspi/legacy-crypto"
import type { NetworkLogon } from "./internal/nrpc/calls.ts"
import { aesCfb8 } from "./internal/nrpc/credential.ts"
import type { SealMode } from "./internal/nrpc/schannel.ts"
import { type ChannelError, establish, type SecureChannel } from "./internal/nrpc/secureChannel.ts"
import { logonError, NtStatus } from "./internal/nrpc/status.ts"
import type { ValidationInfo } from "./internal/nrpc/validation.ts"

/**
 * How to reach the DC and as which machine account.
 *
 * @since 0.1.0
 */
export interface NetlogonSettings {
  /** Host name or address of the domain controller. */
  readonly dc: string
  /** NetBIOS name of the domain (`CORP`). */
  readonly domain: string
  /** The machine account, with its trailing `$` (`WEB1$`). */
  readonly machineAccount: string
  /** The machine account's password … */
  readonly machinePassword?: Redacted.Redacted<string> | undefined
  /** … or its NT hash (the RC4-HMAC key of a keytab exported for the account). */
  readonly machineNtHash?: Redacted.Redacted<Uint8Array> | undefined
  /** Bound on every wait (connect, each reply); default 10 seconds. */
  readonly timeout?: Duration.Input | undefined
  /** The DC's endpoint mapper port; default 135. */
  readonly endpointMapperPort?: number | undefined
}

/**
 * What the NTLM acceptor passes on: the names and responses of the client's
 * AUTHENTICATE message and the server challenge of its CHALLENGE message.
 *
 * @since 0.1.0
 */
export interface NetworkLogonRequest {
  readonly domain: string
  readonly user: string
  readonly workstation: string
  readonly serverChallenge: Uint8Array
  readonly ntResponse: Uint8Array
  readonly lmResponse: Uint8Array
}

/**
 * A SID and its SE_GROUP_* attributes.
 *
 * @since 0.1.0
 */
export interface GroupSid {
  readonly sid: string
  readonly attributes: number
}

/**
 * The DC's answer for a successful logon.
 *
 * @since 0.1.0
 */
export interface NetworkLogonResult {
  /**
   * The user session key (MS-NRPC 2.2.1.4.11; for NTLMv2 the session base
   * key). A copy: the caller zeroes it after use.
   */
  readonly userSessionKey: Uint8Array
  readonly validation: {
    /** The account name as the DC has it. */
    readonly user: string
    readonly fullName: string
    readonly logonDomain: string
    /** The DNS name of the logon domain and the user's UPN (absent when the DC gives none). */
    readonly dnsDomain?: string | undefined
    readonly upn?: string | undefined
    readonly logonServer: string
    readonly domainSid: string
    readonly userSid: string
    readonly primaryGroupSid: string
    /** Global groups (domain SID + RID) then the extra SIDs, as the DC lists them. */
    readonly groupSids: ReadonlyArray<GroupSid>
    readonly userFlags: number
  }
}

/**
 * The errors of a network logon: SEC_E_LOGON_DENIED (wrong password and
 * unknown user alike; account conditions), SEC_E_NO_AUTHENTICATING_AUTHORITY
 * (the DC cannot be reached or refuses the secure channel),
 * SEC_E_INVALID_TOKEN (a response or name too long for one request, or one
 * the DC calls malformed), SEC_E_INVALID_PARAMETER (a server challenge that
 * is not 8 bytes) and SEC_E_INTERNAL_ERROR (a reply we cannot decode).
 *
 * @since 0.1.0
 */
export type NetlogonError =
  | SecurityError.InvalidParameter
  | SecurityError.LogonDenied
  | SecurityError.NoAuthenticatingAuthority
  | SecurityError.InvalidToken
  | SecurityError.InternalError

/**
 * The Netlogon client service.
 *
 * @since 0.1.0
 */
export class NetlogonClient extends Context.Service<NetlogonClient, {
  readonly verifyNetworkLogon: (request: NetworkLogonRequest) => Effect.Effect<NetworkLogonResult, NetlogonError>
}>()("@effect-sspi/netlogon/NetlogonClient") {}

/** RPC fault nca_s_fault_sec_pkg_error (0x721): the DC could not unseal our PDU. */
const FAULT_SEC_PKG_ERROR = 0x721
const DEFAULT_TIMEOUT = Duration.seconds(10)
/** Bounds that keep a request in one fragment (MAX_FRAGMENT 5840 with the 56-byte signature). */
export const MAX_RESPONSE_BYTES = 4096
export const MAX_NAME_CHARS = 128

/** Input checks, before anything is sent: the request must fit one PDU. */
const checkRequest = (request: NetworkLogonRequest): NetlogonError | undefined => {
  if (request.serverChallenge.length !== 8) {
    return new SecurityError.InvalidParameter({ detail: "the server challenge is not 8 bytes" })
  }
  if (request.ntResponse.length > MAX_RESPONSE_BYTES || request.lmResponse.length > MAX_RESPONSE_BYTES) {
    return new SecurityError.InvalidToken({ detail: "challenge response too long" })
  }
  if ([request.domain, request.user, request.workstation].some((n) => n.length > MAX_NAME_CHARS)) {
    return new SecurityError.InvalidToken({ detail: "name too long" })
  }
  return undefined
}

const noAuthority = (dc: string, reason: string) =>
  new SecurityError.NoAuthenticatingAuthority({ detail: `domain controller ${dc}: ${reason}` })

/** A channel-level failure as the typed error of the logon. */
const channelFailure = (dc: string, error: ChannelError): NetlogonError => {
  switch (error._tag) {
    case "RpcTransportError":
      return noAuthority(dc, `${error.host}:${error.port} ${error.reason}`)
    case "RpcFault":
      return noAuthority(dc, `RPC fault 0x${error.status.toString(16)}`)
    case "RpcProtocolError":
      return new SecurityError.InternalError({ detail: `domain controller ${dc}: malformed reply (${error.reason})` })
    case "RpcSecurityError":
      return noAuthority(dc, `reply failed verification (${error.reason})`)
    case "SecureChannelError":
      return noAuthority(dc, `secure channel: ${error.reason}`)
  }
}

const sid = (domainSid: string, rid: number) => `${domainSid}-${rid}`

/**
 * MS-NRPC 3.2.4.1 / 2.2.1.4.11: in SAM_INFO2 the user session key is
 * AES-CFB8-encrypted with the session key (when not all zero); SAM_INFO4
 * carries it in the clear (the channel is sealed).
 */
const result = (validation: ValidationInfo, sessionKey: Uint8Array): NetworkLogonResult => {
  const received = validation.userSessionKey
  const userSessionKey = !validation.userSessionKeyEncrypted || received.every((b) => b === 0)
    ? received.slice()
    : aesCfb8(sessionKey, new Uint8Array(16), received, true)
  received.fill(0)
  const domainSid = validation.logonDomainSid
  return {
    userSessionKey,
    validation: {
      user: validation.effectiveName,
      fullName: validation.fullName,
      logonDomain: validation.logonDomain,
      ...(validation.dnsLogonDomain ? { dnsDomain: validation.dnsLogonDomain } : {}),
      ...(validation.upn ? { upn: validation.upn } : {}),
      logonServer: validation.logonServer,
      domainSid,
      userSid: sid(domainSid, validation.userId),
      primaryGroupSid: sid(domainSid, validation.primaryGroupId),
      groupSids: [
        ...validation.groups.map((g) => ({ sid: sid(domainSid, g.relativeId), attributes: g.attributes })),
        ...validation.extraSids
      ],
      userFlags: validation.userFlags
    }
  }
}

const ntHashOf = (settings: NetlogonSettings): Uint8Array | undefined => {
  if (settings.machineNtHash !== undefined) return Redacted.value(settings.machineNtHash).slice()
  if (settings.machinePassword !== undefined) {
    return md4(new Uint8Array(Buffer.from(Redacted.value(settings.machinePassword), "utf16le")))
  }
  return undefined
}

/**
 * Builds the service over `settings`; the channel's connection and keys
 * live in the scope (closing it closes the connection and zeroes the keys).
 * A missing machine secret is SEC_E_NO_CREDENTIALS.
 *
 * @since 0.1.0
 */
export const make = (
  settings: NetlogonSettings
): Effect.Effect<NetlogonClient["Service"], SecurityError.NoCredentials, Scope.Scope> =>
  Effect.gen(function*() {
    const ntHash = ntHashOf(settings)
    if (ntHash === undefined) {
      return yield* new SecurityError.NoCredentials({ detail: "no machine account password or NT hash" })
    }
    const layerScope = yield* Effect.scope
    yield* Effect.addFinalizer(() => Effect.sync(() => ntHash.fill(0)))
    const timeout = Duration.fromInputUnsafe(settings.timeout ?? DEFAULT_TIMEOUT)
    const lock = yield* Semaphore.make(1)
    let current: { readonly channel: SecureChannel; readonly scope: Scope.Closeable; used: boolean } | undefined
    // Windows and current Samba seal each part from the IV; Samba 4.17 streams: learnt on first use
    let sealMode: SealMode = "perPart"

    const drop = Effect.suspend(() => {
      const old = current
      current = undefined
      return old === undefined ? Effect.void : Scope.close(old.scope, Exit.void)
    })
    yield* Effect.addFinalizer(() => drop)

    const open = Effect.gen(function*() {
      // a DC that closed the idle connection: nothing was sent on it, set up a new one
      if (current !== undefined && !current.channel.isOpen()) yield* drop
      if (current !== undefined) return current
      const scope = yield* Scope.fork(layerScope)
      const channel = yield* establish({
        host: settings.dc,
        domain: settings.domain,
        account: settings.machineAccount,
        ntHash,
        timeout,
        sealMode,
        endpointMapperPort: settings.endpointMapperPort
      }).pipe(Scope.provide(scope), Effect.onError(() => Scope.close(scope, Exit.void)))
      current = { channel, scope, used: false }
      return current
    })

    /** One try; a failure says whether the DC cannot have run the logon (then a second try is safe). */
    const attempt = (logon: NetworkLogon) =>
      Effect.gen(function*() {
        const entry = yield* Effect.mapError(open, (error) => ({ error, notRun: true }))
        const answer = yield* entry.channel.samLogon(logon).pipe(
          Effect.mapError((error) => {
            // the DC could not unseal our first PDU: it uses the other AES-CFB8 variant, and ran nothing
            if (error._tag === "RpcFault" && error.status === FAULT_SEC_PKG_ERROR && !entry.used) {
              sealMode = sealMode === "perPart" ? "stream" : "perPart"
              return { error, notRun: true }
            }
            return { error, notRun: error._tag === "SecureChannelError" && error.notRun === true }
          })
        )
        entry.used = true
        return answer
      }).pipe(Effect.onError(() => drop))

    const verifyNetworkLogon = (request: NetworkLogonRequest): Effect.Effect<NetworkLogonResult, NetlogonError> => {
      const bad = checkRequest(request)
      if (bad !== undefined) return Effect.fail(bad)
      const logon: NetworkLogon = { ...request, parameterControl: 0 }
      return attempt(logon).pipe(
        // a dropped or refused channel is set up again once (MS-NRPC 3.4.5.2.3 / 3.1.4.5),
        // and the logon asked again only when the DC cannot have run it
        Effect.catch((failure) => failure.notRun ? attempt(logon) : Effect.fail(failure)),
        Effect.mapError((failure) => channelFailure(settings.dc, failure.error)),
        Effect.flatMap((answer): Effect.Effect<NetworkLogonResult, NetlogonError> => {
          const validation = answer.result.validation
          if (answer.status !== NtStatus.SUCCESS) return Effect.fail(logonError(answer.status, settings.dc))
          if (validation === undefined) {
            return Effect.fail(new SecurityError.InternalError({ detail: `domain controller ${settings.dc}: no validation information` }))
          }
          return Effect.succeed(result(validation, answer.sessionKey))
        }),
        lock.withPermits(1)
      )
    }
    return NetlogonClient.of({ verifyNetworkLogon })
  })

/**
 * The service as a Layer: `NetlogonClient.layer({ dc, domain, machineAccount, machinePassword })`.
 *
 * @since 0.1.0
 */
export const layer = (settings: NetlogonSettings): Layer.Layer<NetlogonClient, SecurityError.NoCredentials> =>
  Layer.effect(NetlogonClient, make(settings))
