/**
 * Fuzz targets for the Active Directory parsers: the PAC as the Kerberos
 * acceptor reads it (AD-IF-RELEVANT → PACTYPE → buffers → server signature →
 * PAC_CLIENT_INFO), the PAC buffer decoders one by one (KERB_VALIDATION_INFO,
 * PAC_CLIENT_INFO, UPN_DNS_INFO, signatures), DCE/RPC fragments as the
 * Netlogon transport and binding read them, the endpoint mapper's ept_map
 * reply and the Netlogon replies. Seeds: the MS-PAC section 3 example
 * (fixtures/ms-pac-example.authdata.bin) and that PAC re-signed with a known
 * AES256 service key by the project's own encoders; the Samba DC's
 * NetrLogonSamLogonWithFlags replies (packages/netlogon/test/*.hex) in
 * fragments from the project's PDU encoder. The parsers are internal to
 * their packages (the public API does not reach them): imported by path.
 */
import { readFileSync } from "node:fs"
import { Option, Result } from "effect"
import { Filetime } from "@effect-sspi/ndr"
import { Pac } from "@effect-sspi/kerberos"
import { enctype } from "../../../kerberos/src/internal/crypto/encryptionType.ts"
import { decodeClientInfo, decodeSignature, decodeUpnDnsInfo } from "../../../kerberos/src/internal/pac/buffers.ts"
import { encodePacType, encodeUpnDnsInfo } from "../../../kerberos/src/internal/pac/encode.ts"
import { decodeLogonInfo } from "../../../kerberos/src/internal/pac/logonInfo.ts"
import { decodeAuthenticate3, decodeReqChallenge, decodeSamLogonWithFlags, NETLOGON } from "../../../netlogon/src/internal/nrpc/calls.ts"
import { AUTH_LEVEL_PRIVACY, AUTH_TYPE_SCHANNEL } from "../../../netlogon/src/internal/nrpc/schannel.ts"
import { decodeEptMapResponse, tcpTower } from "../../../netlogon/src/internal/rpc/epm.ts"
import { type AuthVerifier, decodePdu, encodePdu, fragmentLength, HEADER_LENGTH, type Pdu, PfcFlags } from "../../../netlogon/src/internal/rpc/pdu.ts"
import type { Outcome, Target } from "./runner.ts"

const result = (r: Result.Result<unknown, unknown>): Outcome => Result.isSuccess(r) ? "ok" : "typed"
const bytesOf = (b: ArrayLike<number>) => new Uint8Array(b)

/** MS-PAC section 3: AuthorizationData (inside AD-IF-RELEVANT) holding one AD-WIN2K-PAC. */
const msPacExample = (): Uint8Array => bytesOf(readFileSync(new URL("fixtures/ms-pac-example.authdata.bin", import.meta.url)))
/** Its PACTYPE: after the DER prefix (AuthorizationData, element, ad-type 128, ad-data OCTET STRING header). */
const PACTYPE_AT = 0x16

/** A Samba DC reply (packages/netlogon/test), unsealed stub data. */
const sambaReply = (name: string): Uint8Array =>
  bytesOf(Buffer.from(readFileSync(new URL(`../../../netlogon/test/${name}`, import.meta.url), "utf8").trim(), "hex"))

/** DER definite length (< 64 KiB). */
const derLength = (n: number) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff])
const tlv = (tag: number, content: ArrayLike<number>) => [tag, ...derLength(content.length), ...Array.from(content)]

/** AuthorizationData ::= SEQUENCE OF { ad-type [0] INTEGER (128), ad-data [1] OCTET STRING (the PAC) } (RFC 4120 5.2.6). */
const authDataHolding = (pac: Uint8Array): Uint8Array =>
  bytesOf(tlv(0x30, tlv(0x30, [...tlv(0xa0, [0x02, 0x02, 0x00, 0x80]), ...tlv(0xa1, tlv(0x04, pac))])))


/** The service key the re-signed PAC verifies with (aes256-cts-hmac-sha1-96; test key, not a secret). */
const serviceKey: Pac.ServiceKey = { enctype: 18, key: bytesOf(Array.from({ length: 32 }, (_, i) => i)) }
/** MS-PAC section 3's client: PAC_CLIENT_INFO names lzhu at ClientId 0x01c66a650ed94900. */
const exampleClient: Pac.TicketClient = {
  cname: { nameType: 1, components: ["lzhu"] },
  authtime: Filetime.toEpochMillis(0x01c66a650ed94900n)
}

/**
 * The example's KERB_VALIDATION_INFO and PAC_CLIENT_INFO with a UPN_DNS_INFO
 * (SAM name and SID extension), signed with {@link serviceKey} as a KDC
 * signs (MS-PAC 2.8.1: the server checksum over the PAC with both
 * signatures zeroed; the KDC checksum over the server's).
 */
const resignedPac = (example: Pac.Pac): Uint8Array => {
  const profile = Option.getOrThrow(enctype(serviceKey.enctype))
  const buffer = (type: number) => example.buffers.find((b) => b.type === type)!.data
  const signature = () => {
    const b = new Uint8Array(4 + profile.checksumSize)
    new DataView(b.buffer).setUint32(0, profile.checksumType, true)
    return b
  }
  const pac = encodePacType([
    { type: Pac.BufferType.LOGON_INFO, data: buffer(Pac.BufferType.LOGON_INFO) },
    { type: Pac.BufferType.CLIENT_INFO, data: buffer(Pac.BufferType.CLIENT_INFO) },
    {
      type: Pac.BufferType.UPN_DNS_INFO,
      data: encodeUpnDnsInfo({
        upn: "lzhu@ntdev.microsoft.com",
        dnsDomainName: "NTDEV.MICROSOFT.COM",
        samName: "lzhu",
        sid: `${example.logonInfo!.logonDomainId}-${example.logonInfo!.userId}`
      })
    },
    { type: Pac.BufferType.SERVER_CHECKSUM, data: signature() },
    { type: Pac.BufferType.PRIVSVR_CHECKSUM, data: signature() }
  ])
  const layout = Result.getOrThrow(Pac.decode(pac))
  const server = profile.checksum(serviceKey.key, 17, pac)
  pac.set(server, layout.serverChecksum.offset)
  pac.set(profile.checksum(serviceKey.key, 17, server), layout.kdcChecksum.offset)
  Result.getOrThrow(Pac.verifyServerChecksum(Result.getOrThrow(Pac.decode(pac)), serviceKey))
  return pac
}

/** An ept_map reply (MS-RPCE 2.2.1.2.5) with one ncacn_ip_tcp tower for Netlogon on 127.0.0.1:49153, as Samba answers. */
const eptMapReply = (): Uint8Array => {
  const tower = tcpTower(NETLOGON, 49153, [127, 0, 0, 1])
  const padded = Math.ceil(tower.length / 4) * 4
  const out = new Uint8Array(20 + 4 + 12 + 4 + 8 + padded + 4)
  const v = new DataView(out.buffer)
  let at = 20 // entry_handle: zero
  for (const u of [1, 4, 0, 1, 0x00020000, tower.length, tower.length]) {
    v.setUint32(at, u, true) // num_towers; max_count, offset, actual_count; referent; twr_t conformance, tower_length
    at += 4
  }
  out.set(tower, at)
  return out // status 0 (the last u32)
}

/** The fragment the transport reads (its header's length), then decodePdu, as binding.ts receives; a response's stub to the SamLogon decoder. */
const readFragment = (input: Uint8Array): Outcome => {
  if (input.length < HEADER_LENGTH) return "typed"
  const length = fragmentLength(input.subarray(0, HEADER_LENGTH))
  if (Result.isFailure(length)) return "typed"
  if (input.length < length.success) return "typed" // the transport waits for the rest
  const pdu = decodePdu(input.subarray(0, length.success))
  if (Result.isFailure(pdu)) return "typed"
  if (pdu.success.type === "response") decodeSamLogonWithFlags(pdu.success.stub)
  return "ok"
}

/** Every fuzz target of the AD parsers (no peer needed). */
export const adTargets = (): Array<Target> => {
  const authData = msPacExample()
  const example = Result.getOrThrow(Pac.decode(authData.subarray(PACTYPE_AT)))
  const resigned = resignedPac(example)
  const pacSeeds = [authData, authDataHolding(resigned)]
  const pacBuffers = [...example.buffers, ...Result.getOrThrow(Pac.decode(resigned)).buffers].map((b) => b.data)

  const replies = [sambaReply("samlogon-response.hex"), sambaReply("samlogon-response-info4.hex")]
  for (const r of replies) if (Result.getOrThrow(decodeSamLogonWithFlags(r)).status !== 0) throw new Error("fixture")
  const ept = eptMapReply()
  if (Result.getOrThrow(decodeEptMapResponse(ept, NETLOGON)) !== 49153) throw new Error("ept_map seed")

  const schannel = (padLength: number) => ({
    authType: AUTH_TYPE_SCHANNEL,
    authLevel: AUTH_LEVEL_PRIVACY,
    padLength,
    contextId: 1,
    value: new Uint8Array(56).fill(0xa5)
  })
  /** A whole response fragment carrying `body` (`stub`, padded when sealed) for call 3. */
  const response = (stub: Uint8Array, body: Uint8Array, auth: AuthVerifier | undefined): Pdu => ({
    type: "response",
    callId: 3,
    flags: PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG,
    allocHint: stub.length,
    contextId: 0,
    stub: body,
    auth
  })
  const pdus: Array<Pdu> = [
    { type: "bind_ack", callId: 1, maxXmit: 5840, maxRecv: 5840, assocGroup: 0x12345, result: 0, reason: 0, auth: schannel(0) },
    { type: "bind_ack", callId: 1, maxXmit: 5840, maxRecv: 5840, assocGroup: 0x12345, result: 0, reason: 0, auth: undefined },
    { type: "bind_nak", callId: 1, reason: 4 },
    { type: "fault", callId: 2, flags: 3, status: 0x1c010002 },
    ...replies.map((stub) => response(stub, stub, undefined)),
    ...replies.map((stub) => {
      const pad = (16 - (stub.length % 16)) % 16
      return response(stub, bytesOf([...stub, ...new Uint8Array(pad)]), schannel(pad))
    }),
    { type: "response", callId: 2, flags: 3, allocHint: ept.length, contextId: 0, stub: ept, auth: undefined }
  ]
  const fragments = pdus.map(encodePdu)
  for (const f of fragments) if (readFragment(f) !== "ok") throw new Error("PDU seed")

  return [
    {
      name: "PAC in a ticket (Pac.fromTicket: AD-IF-RELEVANT, PACTYPE, signature, client info)",
      seeds: pacSeeds,
      run: (b) => {
        const r = Pac.fromTicket([{ adType: 1, adData: b }], serviceKey, exampleClient)
        if (Result.isSuccess(r) && Option.isSome(r.success)) Pac.principalOf(r.success.value)
        return result(r)
      }
    },
    {
      name: "PAC decoder (Pac.decode, principalOf)",
      seeds: [authData.subarray(PACTYPE_AT), resigned],
      run: (b) => {
        const r = Pac.decode(b)
        if (Result.isSuccess(r)) Pac.principalOf(r.success)
        return result(r)
      }
    },
    {
      name: "PAC buffers (KERB_VALIDATION_INFO, CLIENT_INFO, UPN_DNS_INFO, signature)",
      seeds: pacBuffers,
      run: (b) => {
        const rs: Array<Result.Result<unknown, unknown>> = [decodeLogonInfo(b), decodeClientInfo(b), decodeUpnDnsInfo(b), decodeSignature(b, 0)]
        return rs.some((r) => Result.isSuccess(r)) ? "ok" : "typed"
      }
    },
    { name: "DCE/RPC fragment (fragmentLength, decodePdu, SamLogon stub)", seeds: fragments, run: readFragment },
    { name: "DCE/RPC ept_map reply (decodeEptMapResponse)", seeds: [ept], run: (b) => result(decodeEptMapResponse(b, NETLOGON)) },
    {
      // the fixed-size ReqChallenge and Authenticate3 replies get every input too (for defects); the outcome is SamLogon's
      name: "Netlogon reply (decodeSamLogonWithFlags; ReqChallenge, Authenticate3)",
      seeds: replies,
      run: (b) => {
        decodeReqChallenge(b)
        decodeAuthenticate3(b)
        return result(decodeSamLogonWithFlags(b))
      }
    }
  ]
}
