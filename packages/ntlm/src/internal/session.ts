/**
 * NTLM session security after the handshake ([MS-NLMP] 3.4): message
 * signatures (MAC), sealing and their verification, connection-oriented
 * mode, with independent client-to-server and server-to-client sequence
 * numbers, keys and RC4 handles.
 *
 * @module
 */
import { Rc4 } from "@effect-sspi/legacy-crypto"
import { createHmac, type KeyObject, timingSafeEqual } from "node:crypto"
import { crc32 } from "node:zlib"
import { writeU32 } from "./bytes.ts"
import { NegotiateFlags } from "./constants.ts"
import { hmacKey } from "./crypto.ts"
import { sealKey, type Side, signKey } from "./keys.ts"

/** Result of checking a received signature. Never an exception. */
export type VerifyOutcome = "valid" | "altered" | "out-of-sequence"

/** Length of an NTLMSSP_MESSAGE_SIGNATURE. */
export const SIGNATURE_LENGTH = 16

/** Inputs of {@link NtlmSessionSecurity}. */
export interface SessionSecurityOptions {
  /** The negotiated flags. */
  readonly flags: number
  /** The 16-byte ExportedSessionKey; it is not retained. */
  readonly exportedSessionKey: Uint8Array
  /** Which side this endpoint is; its outbound keys are that side's keys. */
  readonly side: Side
}

/** The state of one direction: RC4 handle, signing key and sequence number. */
interface Direction {
  rc4: Rc4
  /** Kept to reset the RC4 state after a SPNEGO mechListMIC (MS-SPNG 3.3.5.1); zeroed by wipe(). */
  readonly sealKey: Uint8Array
  readonly signKey: Uint8Array | undefined
  /**
   * `signKey` as a KeyObject for HMAC (no raw-key check per message). It
   * cannot be zeroed: it lives as long as the context, and wipe() drops it
   * (its native copy is freed with it) after zeroing `signKey`.
   */
  signKeyObject: KeyObject | undefined
  seq: number
}

const direction = (flags: number, key: Uint8Array, side: Side): Direction => {
  const seal = sealKey(flags, key, side)
  const sign = signKey(flags, key, side)
  return { rc4: new Rc4(seal), sealKey: seal, signKey: sign, signKeyObject: sign === undefined ? undefined : hmacKey(sign), seq: 0 }
}

/**
 * Signs, seals, verifies and unseals messages for one NTLM security context.
 * After a verification failure the context should be discarded: the RC4
 * keystream and sequence number have advanced regardless.
 */
export class NtlmSessionSecurity {
  private readonly outbound: Direction
  private readonly inbound: Direction
  private readonly ess: boolean
  private readonly keyExch: boolean
  private readonly seqBytes = new Uint8Array(4)
  private wiped = false

  constructor(options: SessionSecurityOptions) {
    const { exportedSessionKey: key, flags, side } = options
    this.ess = (flags & NegotiateFlags.EXTENDED_SESSIONSECURITY) !== 0
    this.keyExch = (flags & NegotiateFlags.KEY_EXCH) !== 0
    this.outbound = direction(flags, key, side)
    this.inbound = direction(flags, key, side === "client" ? "server" : "client")
  }

  /** The NTLMSSP_MESSAGE_SIGNATURE of an outbound `message` (GSS_GetMIC). */
  sign(message: Uint8Array): Uint8Array {
    this.assertUsable()
    const sig = this.checksum(this.outbound, message)
    return this.finish(this.outbound, sig)
  }

  /**
   * Encrypts an outbound `message` and signs its plaintext (GSS_WrapEx).
   *
   * @param output - receives the sealed data; may be `message` itself.
   */
  seal(message: Uint8Array, output: Uint8Array = new Uint8Array(message.length)): {
    readonly data: Uint8Array
    readonly signature: Uint8Array
  } {
    this.assertUsable()
    const sig = this.checksum(this.outbound, message)
    this.outbound.rc4.process(message, output)
    return { data: output, signature: this.finish(this.outbound, sig) }
  }

  /** Checks the signature of an inbound plaintext `message` (GSS_VerifyMIC). */
  verify(message: Uint8Array, signature: Uint8Array): VerifyOutcome {
    if (this.wiped || signature.length !== SIGNATURE_LENGTH) return "altered"
    const expected = this.finish(this.inbound, this.checksum(this.inbound, message))
    return compare(expected, signature, this.ess)
  }

  /**
   * Decrypts inbound sealed `data` and verifies its signature (GSS_UnwrapEx).
   * On any outcome but "valid" the output is zeroed.
   *
   * @param output - receives the plaintext; may be `data` itself.
   */
  unseal(data: Uint8Array, signature: Uint8Array, output: Uint8Array = new Uint8Array(data.length)): {
    readonly outcome: VerifyOutcome
    readonly data: Uint8Array
  } {
    if (this.wiped || signature.length !== SIGNATURE_LENGTH) return { outcome: "altered", data: output.fill(0) }
    this.inbound.rc4.process(data, output)
    const plain = output.subarray(0, data.length)
    const outcome = compare(this.finish(this.inbound, this.checksum(this.inbound, plain)), signature, this.ess)
    if (outcome !== "valid") plain.fill(0)
    return { outcome, data: output }
  }

  /**
   * Restarts one direction's RC4 state from its sealing key (the sequence
   * number goes on): after a SPNEGO mechListMIC the first application
   * message must see the RC4 state the MIC saw (MS-SPNG 3.3.5.1).
   */
  resetRc4(which: "outbound" | "inbound"): void {
    this.assertUsable()
    const d = which === "outbound" ? this.outbound : this.inbound
    d.rc4.wipe()
    d.rc4 = new Rc4(d.sealKey)
  }

  /** Zeroes every key, RC4 state and counter. The instance is unusable afterwards. */
  wipe(): void {
    for (const d of [this.outbound, this.inbound]) {
      d.rc4.wipe()
      d.sealKey.fill(0)
      d.signKey?.fill(0)
      d.signKeyObject = undefined
      d.seq = 0
    }
    this.seqBytes.fill(0)
    this.wiped = true
  }

  /** Starts a signature: version, checksum of the plaintext, sequence number. No RC4 yet. */
  private checksum(d: Direction, message: Uint8Array): Uint8Array {
    const sig = new Uint8Array(SIGNATURE_LENGTH)
    sig[0] = 1
    writeU32(this.seqBytes, 0, d.seq)
    if (this.ess && d.signKeyObject !== undefined) {
      const mac = createHmac("md5", d.signKeyObject).update(this.seqBytes).update(message).digest()
      sig.set(mac.subarray(0, 8), 4)
    } else {
      writeU32(sig, 8, crc32(message))
    }
    sig.set(this.seqBytes, 12)
    return sig
  }

  /** Applies the RC4 handle to the signature and advances the sequence number. */
  private finish(d: Direction, sig: Uint8Array): Uint8Array {
    if (this.ess) {
      if (this.keyExch) d.rc4.process(sig.subarray(4, 12), sig.subarray(4, 12))
    } else {
      // RandomPad (0), CRC32 and SeqNum are encrypted in one stream: the last
      // yields RC4(0) XOR SeqNum. RandomPad is then reset to 0 (3.4.4.1).
      d.rc4.process(sig.subarray(4, 16), sig.subarray(4, 16))
      sig.fill(0, 4, 8)
    }
    d.seq = (d.seq + 1) >>> 0
    return sig
  }

  private assertUsable(): void {
    if (this.wiped) throw new Error("NTLM session security used after wipe()")
  }
}

/**
 * Compares in constant time. A differing sequence field means
 * "out-of-sequence"; otherwise the version and checksum decide. Without
 * extended session security the RandomPad bytes are ignored.
 */
const compare = (expected: Uint8Array, received: Uint8Array, ess: boolean): VerifyOutcome => {
  if (!timingSafeEqual(expected.subarray(12, 16), received.subarray(12, 16))) return "out-of-sequence"
  const from = ess ? 4 : 8
  const versionOk = timingSafeEqual(expected.subarray(0, 4), received.subarray(0, 4))
  const checksumOk = timingSafeEqual(expected.subarray(from, 12), received.subarray(from, 12))
  return versionOk && checksumOk ? "valid" : "altered"
}
