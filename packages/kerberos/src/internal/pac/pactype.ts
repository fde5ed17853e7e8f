/**
 * PACTYPE (MS-PAC 2.3) and its PAC_INFO_BUFFERs (2.4): the buffers located,
 * checked and decoded. Malformed input is SEC_E_INVALID_TOKEN.
 *
 * @since 0.1.0
 */
import { SecurityError } from "@effect-sspi/core"
import { NdrReader, type NdrError } from "@effect-sspi/ndr"
import { Result } from "effect"
import { copyBytes } from "../bytes.ts"
import { decodeClientInfo, decodeSignature, decodeUpnDnsInfo } from "./buffers.ts"
import { decodeLogonInfo } from "./logonInfo.ts"
import { BufferType, type Pac, type PacBuffer } from "./types.ts"

/** The buffers of a PACTYPE, each bounds-checked against the PAC. */
const readBuffers = (bytes: Uint8Array) =>
  NdrReader.decode(bytes, (r) => {
    const count = r.u32()
    // MS-PAC 2.3: Version MUST be 0.
    if (r.u32() !== 0) r.fail("PACTYPE: Version is not 0")
    if (count === 0) r.fail("PACTYPE: no buffers")
    r.fits(count, 16, "PACTYPE: cBuffers")
    const headerEnd = 8 + 16 * count
    const buffers: Array<PacBuffer> = []
    for (let i = 0; i < count; i++) {
      const type = r.u32()
      const size = r.u32()
      const offset64 = r.u64()
      // MS-PAC 2.3: every element on an 8-byte boundary, after the header, inside the PAC.
      if (offset64 % 8n !== 0n) r.fail(`PAC_INFO_BUFFER ${type}: offset not 8-aligned`)
      if (offset64 < BigInt(headerEnd) || offset64 + BigInt(size) > BigInt(bytes.length)) {
        r.fail(`PAC_INFO_BUFFER ${type}: outside the PAC`)
      }
      const offset = Number(offset64)
      buffers.push({ type, offset, data: bytes.subarray(offset, offset + size) })
    }
    return buffers
  })

const invalid = (what: string, e?: NdrError) =>
  new SecurityError.InvalidToken({ detail: e === undefined ? `PAC: ${what}` : `PAC ${what}: ${e.reason} at ${e.offset}` })

/**
 * Decodes a PAC (the ad-data of AD-WIN2K-PAC). The client information and
 * both signatures are required, each exactly once (a second
 * copy of a buffer could say something the checksums do not cover the same
 * way: refused, as MIT does); the logon information (KERB_VALIDATION_INFO,
 * absent from MIT KDCs' PACs) and UPN_DNS_INFO are optional, at most once; other buffers are
 * kept undecoded. The PAC holds a copy of `input` (the acceptor wipes the
 * ticket's plaintext it came from). Never throws.
 *
 * @since 0.1.0
 */
export const decodePac = (input: Uint8Array): Result.Result<Pac, SecurityError.InvalidToken> => {
  const bytes = copyBytes(input)
  const located = readBuffers(bytes)
  if (Result.isFailure(located)) return Result.fail(invalid("PACTYPE", located.failure))
  const buffers = located.success
  const one = (type: number, what: string, required: boolean): Result.Result<PacBuffer | undefined, SecurityError.InvalidToken> => {
    const found = buffers.filter((b) => b.type === type)
    if (found.length > 1) return Result.fail(invalid(`${what} appears ${found.length} times`))
    if (found.length === 0 && required) return Result.fail(invalid(`no ${what}`))
    return Result.succeed(found[0])
  }
  const decoded = <A>(buffer: PacBuffer, what: string, decode: (b: PacBuffer) => Result.Result<A, NdrError>) =>
    Result.mapError(decode(buffer), (e) => invalid(what, e))
  return Result.gen(function*() {
    // optional: MIT krb5kdc 1.20+ issues PACs with client info, UPN_DNS_INFO and the
    // signatures but no KERB_VALIDATION_INFO (it has no AD account data); MIT's
    // acceptor verifies them and accepts, so do we (the identity is then none)
    const logon = yield* one(BufferType.LOGON_INFO, "KERB_VALIDATION_INFO", false)
    const client = (yield* one(BufferType.CLIENT_INFO, "PAC_CLIENT_INFO", true))!
    const server = (yield* one(BufferType.SERVER_CHECKSUM, "server signature", true))!
    const kdc = (yield* one(BufferType.PRIVSVR_CHECKSUM, "KDC signature", true))!
    const upn = yield* one(BufferType.UPN_DNS_INFO, "UPN_DNS_INFO", false)
    return {
      buffers,
      logonInfo: logon === undefined ? undefined : yield* decoded(logon, "KERB_VALIDATION_INFO", (b) => decodeLogonInfo(b.data)),
      clientInfo: yield* decoded(client, "PAC_CLIENT_INFO", (b) => decodeClientInfo(b.data)),
      upnDnsInfo: upn === undefined ? undefined : yield* decoded(upn, "UPN_DNS_INFO", (b) => decodeUpnDnsInfo(b.data)),
      serverChecksum: yield* decoded(server, "server signature", (b) => decodeSignature(b.data, b.offset)),
      kdcChecksum: yield* decoded(kdc, "KDC signature", (b) => decodeSignature(b.data, b.offset)),
      bytes
    }
  })
}
