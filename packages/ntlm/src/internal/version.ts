/**
 * The 8-byte VERSION structure ([MS-NLMP] 2.2.2.10). It is informational
 * only: it is never used for protocol decisions.
 *
 * @module
 */
import { readU16, writeU16 } from "./bytes.ts"

/** Operating system version carried in NTLM messages. */
export interface Version {
  readonly major: number
  readonly minor: number
  readonly build: number
  /** NTLMRevisionCurrent; 15 (NTLMSSP_REVISION_W2K3) in current Windows. */
  readonly revision: number
}

/** The value 15 of NTLMRevisionCurrent. */
export const NTLMSSP_REVISION_W2K3 = 15

/** Reads a VERSION at `at`; the caller checks that 8 bytes are available. */
export const decodeVersion = (b: Uint8Array, at: number): Version => ({
  major: b[at]!,
  minor: b[at + 1]!,
  build: readU16(b, at + 2),
  revision: b[at + 7]!
})

/** Writes a VERSION at `at` (the three reserved bytes stay zero). */
export const encodeVersion = (b: Uint8Array, at: number, v: Version): void => {
  b[at] = v.major & 0xff
  b[at + 1] = v.minor & 0xff
  writeU16(b, at + 2, v.build)
  b[at + 7] = v.revision & 0xff
}
