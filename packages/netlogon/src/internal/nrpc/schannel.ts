/**
 * The Netlogon secure channel as an RPC security provider ("schannel",
 * auth type 68, MS-NRPC 3.3): NL_AUTH_MESSAGE in the bind (2.2.1.3.1) and
 * an AES NL_AUTH_SHA2_SIGNATURE on every PDU (2.2.1.3.3), built and checked
 * as MS-NRPC 3.3.4.2.1 / 3.3.4.2.2 say, at RPC_C_AUTHN_LEVEL_PKT_PRIVACY
 * (sealed) or PKT_INTEGRITY (signed only).
 *
 * One sequence number counts the PDUs of both directions, the client's with
 * the 0x80 direction bit (3.3.4.2.1 step 3).
 *
 * @since 0.1.0
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { Result } from "effect"
import { RpcSecurityError, type SecurityProvider } from "../rpc/binding.ts"
import { aesCfb8 } from "./credential.ts"

/** RPC_C_AUTHN_NETLOGON (MS-RPCE 2.2.1.1.7). */
export const AUTH_TYPE_SCHANNEL = 68
export const AUTH_LEVEL_INTEGRITY = 5
export const AUTH_LEVEL_PRIVACY = 6

const SIGN_HMAC_SHA256 = 0x0013
const SEAL_AES128 = 0x001a
const SEAL_NONE = 0xffff
/**
 * NL_AUTH_SHA2_SIGNATURE as Windows and Samba send it: header (8),
 * SequenceNumber (8), the first 8 bytes of the checksum, Confounder at
 * offset 24, zeros to 56 bytes (Samba's schannel.c notes Windows uses the
 * old offsets instead of a 32-byte checksum).
 */
const SIGNATURE_LENGTH = 56
const CONFOUNDER_OFFSET = 24

/**
 * NL_AUTH_MESSAGE negotiate request (MS-NRPC 2.2.1.3.1): NetBIOS domain
 * and computer names as OEM strings.
 */
export const nlAuthMessage = (domain: string, computer: string): Uint8Array => {
  const oem = (s: string) => Uint8Array.from([...Buffer.from(s.toUpperCase(), "latin1"), 0])
  const d = oem(domain)
  const c = oem(computer)
  const out = new Uint8Array(8 + d.length + c.length)
  const v = new DataView(out.buffer)
  v.setUint32(0, 0, true) // MessageType: negotiate request
  v.setUint32(4, 0x1 | 0x2, true) // NetbiosOemDomainName | NetbiosOemComputerName
  out.set(d, 8)
  out.set(c, 8 + d.length)
  return out
}

const header = (sealed: boolean): Uint8Array => {
  const h = new Uint8Array(8)
  const v = new DataView(h.buffer)
  v.setUint16(0, SIGN_HMAC_SHA256, true)
  v.setUint16(2, sealed ? SEAL_AES128 : SEAL_NONE, true)
  v.setUint16(4, 0xffff, true)
  v.setUint16(6, 0, true)
  return h
}

/** 3.3.4.2.1 step 3: the sequence number, big-endian, with the direction bit. */
const sequenceBytes = (n: number, fromClient: boolean): Uint8Array => {
  const s = new Uint8Array(8)
  new DataView(s.buffer).setUint32(0, n >>> 0, false)
  s[4] = fromClient ? 0x80 : 0
  return s
}

const checksum = (key: Uint8Array, hdr: Uint8Array, confounder: Uint8Array | undefined, data: Uint8Array): Uint8Array => {
  const h = createHmac("sha256", key).update(hdr)
  if (confounder !== undefined) h.update(confounder)
  return new Uint8Array(h.update(data).digest())
}

/** How the peer applies AES-CFB8 to the confounder and the data (see `schannelProvider`). */
export type SealMode = "perPart" | "stream"

const twice = (b: Uint8Array): Uint8Array => Uint8Array.from([...b, ...b])

/**
 * The schannel security provider for one binding over the session key of an
 * established secure channel.
 */
export const schannelProvider = (options: {
  readonly sessionKey: Uint8Array
  readonly domain: string
  readonly computer: string
  readonly seal: boolean
  readonly sealMode: SealMode
  /** The client (default); `false` gives the DC's side, for tests. */
  readonly initiator?: boolean | undefined
  /** Confounders (3.3.4.2.1 step 2); random bytes unless a test fixes them. */
  readonly random?: (n: number) => Uint8Array
}): SecurityProvider => {
  const key = options.sessionKey
  // 3.3.4.2.1 step 6: the sealing key is the session key XOR 0xF0
  const sealKey = key.map((b) => b ^ 0xf0)
  const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)))
  const seal = options.seal
  const initiator = options.initiator ?? true
  /**
   * 3.3.4.2.1 step 7: Windows (and Samba since its gnutls fix) encrypt the
   * confounder and the data each from the initial IV; Samba 4.17 continues
   * one AES-CFB8 stream over both. `sealMode` says which the peer uses.
   */
  const sealParts = (k: Uint8Array, seq: Uint8Array, confounder: Uint8Array, data: Uint8Array, decrypt: boolean) => {
    if (options.sealMode === "stream") {
      const both = aesCfb8(k, twice(seq), Uint8Array.from([...confounder, ...data]), decrypt)
      return [both.subarray(0, 8), both.subarray(8)] as const
    }
    return [aesCfb8(k, twice(seq), confounder, decrypt), aesCfb8(k, twice(seq), data, decrypt)] as const
  }
  let sequence = 0
  return {
    authType: AUTH_TYPE_SCHANNEL,
    authLevel: seal ? AUTH_LEVEL_PRIVACY : AUTH_LEVEL_INTEGRITY,
    bindToken: nlAuthMessage(options.domain, options.computer),
    verifierLength: SIGNATURE_LENGTH,
    checkBindAck: (value) =>
      // 2.2.1.3.1: the answer is a negotiate response (MessageType 1)
      value.length >= 4 && new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true) === 1
        ? Result.succeed(undefined)
        : Result.fail(new RpcSecurityError({ reason: "schannel bind not accepted" })),
    protect: (data) => {
      const seq = sequenceBytes(sequence++, initiator)
      const hdr = header(seal)
      const confounder = seal ? random(8) : undefined
      const sum = checksum(key, hdr, confounder, data).subarray(0, 8)
      const verifier = new Uint8Array(SIGNATURE_LENGTH)
      let out: Uint8Array = data
      if (confounder !== undefined) {
        // 3.3.4.2.1 step 7: confounder and data each encrypted from the same IV (sequence || sequence)
        const [c, d] = sealParts(sealKey, seq, confounder, data, false)
        verifier.set(c, CONFOUNDER_OFFSET)
        out = d
      }
      verifier.set(hdr, 0)
      // 3.3.4.2.1 step 8: the sequence number encrypted with IV = checksum twice
      verifier.set(aesCfb8(key, twice(sum), seq), 8)
      verifier.set(sum, 16)
      return { data: out, verifier }
    },
    wipe: () => {
      key.fill(0)
      sealKey.fill(0)
    },
    unprotect: (data, verifier) => {
      const fail = (reason: string) => Result.fail(new RpcSecurityError({ reason }))
      if (verifier.length < (seal ? CONFOUNDER_OFFSET + 8 : CONFOUNDER_OFFSET)) return fail("short NL_AUTH_SIGNATURE")
      const hdr = verifier.subarray(0, 8)
      // 3.3.4.2.2 steps 1-2: the algorithms must be the negotiated ones
      if (!timingSafeEqual(hdr, header(seal))) return fail("NL_AUTH_SIGNATURE algorithms differ from the negotiated ones")
      const sum = verifier.subarray(16, 24)
      // 3.3.4.2.2 steps 3-4: decrypt the sequence number and check it
      const seq = aesCfb8(key, twice(sum), verifier.subarray(8, 16), true)
      if (!timingSafeEqual(seq, sequenceBytes(sequence, !initiator))) return fail("sequence number out of order")
      let clear: Uint8Array = data
      let confounder: Uint8Array | undefined
      if (seal) {
        ;[confounder, clear] = sealParts(sealKey, seq, verifier.subarray(CONFOUNDER_OFFSET, CONFOUNDER_OFFSET + 8), data, true)
      }
      // 3.3.4.2.2 step 7: the checksum over header, confounder and the clear data
      const expected = checksum(key, hdr, confounder, clear).subarray(0, 8)
      if (!timingSafeEqual(expected, sum)) return fail("NL_AUTH_SIGNATURE checksum mismatch")
      sequence++
      return Result.succeed(clear)
    }
  }
}
