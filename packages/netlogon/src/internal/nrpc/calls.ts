/**
 * Stub data of the three Netlogon calls used here (MS-NRPC 3.5.4.4.1,
 * 3.5.4.4.2, 3.5.4.5.1), NDR20: NetrServerReqChallenge (opnum 4),
 * NetrServerAuthenticate3 (26) and NetrLogonSamLogonWithFlags (45) with a
 * network logon (NETLOGON_NETWORK_INFO, 2.2.1.4.6).
 *
 * @since 0.1.0
 */
import type { Result } from "effect"
import { type NdrError, NdrReader, NdrWriter } from "@effect-sspi/ndr"
import { writeCountedBytes, writeStringz } from "../ndrStrings.ts"
import { uuidBytes } from "../rpc/pdu.ts"
import type { Authenticator } from "./credential.ts"
import { decodeValidation, type ValidationInfo } from "./validation.ts"

/** The Netlogon interface 12345678-1234-abcd-ef00-01234567cffb v1.0. */
export const NETLOGON = { uuid: uuidBytes("12345678-1234-abcd-ef00-01234567cffb"), major: 1, minor: 0 }

export const Opnum = { ReqChallenge: 4, Authenticate3: 26, SamLogonWithFlags: 45 } as const

/** WorkstationSecureChannel (MS-NRPC 2.2.1.3.13). */
const WORKSTATION_SECURE_CHANNEL = 2
/** NetlogonNetworkInformation (2.2.1.4.16). */
const NETWORK_INFORMATION = 2
/** NetlogonValidationSamInfo2 (2.2.1.4.17): SAM_INFO plus the extra SIDs. */
export const VALIDATION_SAM_INFO2 = 3
/** NetlogonValidationSamInfo4: SAM_INFO2 plus the DNS domain and UPN (asked for; needs a sealed channel). */
export const VALIDATION_SAM_INFO4 = 6

/**
 * Negotiate flags we ask for (MS-NRPC 3.1.4.2): what Samba's own client
 * sends (0x610fffff: the NT4/AD feature bits, strong keys, AES, secure RPC).
 */
export const REQUESTED_FLAGS = 0x610fffff
/** NETLOGON_NEG_SUPPORTS_AES (W). */
export const NEG_SUPPORTS_AES = 0x01000000
/** NETLOGON_NEG_AUTHENTICATED_RPC (Y): schannel. */
export const NEG_AUTHENTICATED_RPC = 0x40000000

const decode = NdrReader.decode
const newWriter = () => new NdrWriter.NdrWriter()

/** `[in, unique, string] LOGONSRV_HANDLE` / `wchar_t*`. */
const uniqueString = (w: NdrWriter.NdrWriter, name: string) => w.pointer(name, writeStringz)

/** NetrServerReqChallenge request (3.5.4.4.1). */
export const reqChallengeRequest = (dc: string, computer: string, clientChallenge: Uint8Array): Uint8Array => {
  const w = newWriter()
  uniqueString(w, `\\\\${dc}`)
  writeStringz(w, computer)
  w.bytes(clientChallenge)
  return w.finish()
}

/** The answer of a call: its NTSTATUS and, on success, the out values. */
export type Answer<A> = { readonly status: number; readonly value: A | undefined }

/** NetrServerReqChallenge response: ServerChallenge and status. */
export const decodeReqChallenge = (stub: Uint8Array): Result.Result<Answer<Uint8Array>, NdrError> =>
  decode(stub, (r) => {
    const challenge = r.bytes(8).slice()
    const status = r.u32()
    return { status, value: status === 0 ? challenge : undefined }
  })

/** NetrServerAuthenticate3 request (3.5.4.4.2). */
export const authenticate3Request = (
  dc: string,
  account: string,
  computer: string,
  clientCredential: Uint8Array,
  flags: number
): Uint8Array => {
  const w = newWriter()
  uniqueString(w, `\\\\${dc}`)
  writeStringz(w, account)
  w.u16(WORKSTATION_SECURE_CHANNEL)
  writeStringz(w, computer)
  w.bytes(clientCredential)
  w.u32(flags)
  return w.finish()
}

/** NetrServerAuthenticate3 response: ServerCredential, negotiated flags, account RID. */
export const decodeAuthenticate3 = (
  stub: Uint8Array
): Result.Result<Answer<{ credential: Uint8Array; flags: number; rid: number }>, NdrError> =>
  decode(stub, (r) => {
    const credential = r.bytes(8).slice()
    const flags = r.u32()
    const rid = r.u32()
    const status = r.u32()
    return { status, value: status === 0 ? { credential, flags, rid } : undefined }
  })

/** What a network logon passes to the DC (2.2.1.4.5, 2.2.1.4.6). */
export interface NetworkLogon {
  readonly domain: string
  readonly user: string
  readonly workstation: string
  readonly parameterControl: number
  readonly serverChallenge: Uint8Array
  readonly ntResponse: Uint8Array
  readonly lmResponse: Uint8Array
}

const authenticator = (w: NdrWriter.NdrWriter, a: Authenticator) => {
  w.bytes(a.credential).u32(a.timestamp)
}

/** NetrLogonSamLogonWithFlags request (3.5.4.5.1), network logon, validation level 6 (SAM_INFO4). */
export const samLogonWithFlagsRequest = (
  dc: string,
  computer: string,
  auth: Authenticator,
  logon: NetworkLogon
): Uint8Array => {
  const w = newWriter()
  uniqueString(w, `\\\\${dc}`)
  uniqueString(w, computer)
  w.pointer(auth, authenticator)
  w.pointer({ credential: new Uint8Array(8), timestamp: 0 }, authenticator)
  w.u16(NETWORK_INFORMATION)
  // NETLOGON_LEVEL: the union's discriminant (aligned as itself in NDR20), then the arm, a unique pointer
  w.u16(NETWORK_INFORMATION)
  w.pointer(logon, (w, logon) => {
    // NETLOGON_NETWORK_INFO (its buffers deferred to its end)
    w.unicodeString(logon.domain)
    w.u32(logon.parameterControl)
    w.u32(0).u32(0) // Reserved (OLD_LARGE_INTEGER)
    w.unicodeString(logon.user)
    w.unicodeString(logon.workstation)
    w.bytes(logon.serverChallenge)
    writeCountedBytes(w, logon.ntResponse)
    writeCountedBytes(w, logon.lmResponse)
  })
  w.u16(VALIDATION_SAM_INFO4)
  w.u32(0) // ExtraFlags
  return w.finish()
}

/** The out values of NetrLogonSamLogonWithFlags. */
export interface SamLogonResult {
  readonly returnAuthenticator: Uint8Array | undefined
  readonly validation: ValidationInfo | undefined
  readonly authoritative: number
}

const readAuthenticator = (r: NdrReader.NdrReader): Uint8Array => {
  const credential = r.bytes(8).slice()
  r.u32()
  return credential
}

/** NetrLogonSamLogonWithFlags response. */
export const decodeSamLogonWithFlags = (stub: Uint8Array): Result.Result<Answer<SamLogonResult>, NdrError> =>
  decode(stub, (r) => {
    const returnAuthenticator = r.pointer(readAuthenticator).value
    // NETLOGON_VALIDATION: the union's discriminant, then the arm (a unique pointer)
    const level = r.u16()
    const validation = r.pointer((r) => {
      if (level !== VALIDATION_SAM_INFO2 && level !== VALIDATION_SAM_INFO4) r.fail(`unexpected validation level ${level}`)
      return decodeValidation(r, level === VALIDATION_SAM_INFO4)
    }).value
    const authoritative = r.u8()
    r.u32() // ExtraFlags
    const status = r.u32()
    r.end()
    return { status, value: { returnAuthenticator, validation, authoritative } }
  })

