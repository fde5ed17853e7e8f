/**
 * The PAC buffers that are not NDR: PAC_CLIENT_INFO (MS-PAC 2.7),
 * UPN_DNS_INFO (2.10) and PAC_SIGNATURE_DATA (2.8), all little-endian.
 *
 * @since 0.1.0
 */
import { NdrReader, type NdrError, Sid } from "@effect-sspi/ndr"
import type { Result } from "effect"
import type { ClientInfo, Signature, UpnDnsInfo } from "./types.ts"

const utf16 = new TextDecoder("utf-16le")

/**
 * PAC_CLIENT_INFO: ClientId (FILETIME), NameLength (bytes), Name (UTF-16LE).
 *
 * @since 0.1.0
 */
export const decodeClientInfo = (bytes: Uint8Array): Result.Result<ClientInfo, NdrError> =>
  NdrReader.decode(bytes, (r) => {
    const clientId = r.filetime()
    const length = r.u16()
    if (length % 2 !== 0) r.fail("PAC_CLIENT_INFO: odd NameLength")
    return { clientId, name: utf16.decode(r.bytes(length)) }
  })

/** `length` bytes at `offset` of `bytes` (both from the structure), bounds-checked. */
const slice = (r: NdrReader.NdrReader, bytes: Uint8Array, offset: number, length: number, what: string): Uint8Array => {
  if (offset + length > bytes.length) r.fail(`UPN_DNS_INFO: ${what} outside the buffer`)
  return bytes.subarray(offset, offset + length)
}

/** A SID in its binary form (MS-DTYP 2.4.2.2), the whole of `bytes`. */
const binarySid = (bytes: Uint8Array) =>
  NdrReader.decode(bytes, (r) => {
    const revision = r.u8()
    const count = r.u8()
    if (revision !== 1 || count > Sid.MAX_SUB_AUTHORITIES) r.fail("SID: bad revision or count")
    const authority = r.bytes(6).reduce((acc, b) => acc * 256 + b, 0)
    const subAuthorities: Array<number> = []
    for (let i = 0; i < count; i++) subAuthorities.push(r.u32())
    r.end()
    return Sid.format({ revision, authority, subAuthorities })
  })

/** UPN_DNS_INFO Flags bits (MS-PAC 2.10). */
const UPN_CONSTRUCTED = 0x1
const SAM_NAME_AND_SID = 0x2

/**
 * UPN_DNS_INFO: UPN and DNS domain name (lengths and offsets from the start
 * of the structure), Flags, and with flag S the SAM name and the SID.
 *
 * @since 0.1.0
 */
export const decodeUpnDnsInfo = (bytes: Uint8Array): Result.Result<UpnDnsInfo, NdrError> =>
  NdrReader.decode(bytes, (r) => {
    const upnLength = r.u16()
    const upnOffset = r.u16()
    const dnsLength = r.u16()
    const dnsOffset = r.u16()
    const flags = r.u32()
    const text = (offset: number, length: number, what: string) => {
      if (length % 2 !== 0) r.fail(`UPN_DNS_INFO: odd ${what} length`)
      return utf16.decode(slice(r, bytes, offset, length, what))
    }
    let samName: string | undefined
    let sid: string | undefined
    if ((flags & SAM_NAME_AND_SID) !== 0) {
      const samLength = r.u16()
      const samOffset = r.u16()
      const sidLength = r.u16()
      const sidOffset = r.u16()
      samName = text(samOffset, samLength, "SamName")
      const decoded = binarySid(slice(r, bytes, sidOffset, sidLength, "Sid"))
      sid = decoded._tag === "Success" ? decoded.success : r.fail(`UPN_DNS_INFO: ${decoded.failure.reason}`)
    }
    return {
      upn: text(upnOffset, upnLength, "Upn"),
      dnsDomainName: text(dnsOffset, dnsLength, "DnsDomainName"),
      flags,
      upnConstructed: (flags & UPN_CONSTRUCTED) !== 0,
      samName,
      sid
    }
  })

/** Signature lengths by checksum type (MS-PAC 2.8). */
const signatureLength: ReadonlyMap<number, number> = new Map([
  [-138, 16], // KERB_CHECKSUM_HMAC_MD5
  [15, 12], // HMAC_SHA1_96_AES128
  [16, 12], // HMAC_SHA1_96_AES256
  [19, 16], // HMAC_SHA256_128_AES128 (RFC 8009)
  [20, 24] // HMAC_SHA384_192_AES256 (RFC 8009)
])

/**
 * PAC_SIGNATURE_DATA: SignatureType, then the Signature (its length set by
 * the type), then an optional RODCIdentifier. `base` is the buffer's offset
 * in the PAC, so that the result says where the Signature bytes are.
 *
 * @since 0.1.0
 */
export const decodeSignature = (bytes: Uint8Array, base: number): Result.Result<Signature, NdrError> =>
  NdrReader.decode(bytes, (r) => {
    const type = r.i32()
    const length = signatureLength.get(type) ?? r.fail(`PAC_SIGNATURE_DATA: unknown SignatureType ${type}`)
    const offset = base + r.offset
    const signature = r.bytes(length)
    return { type, signature, offset }
  })
