/**
 * The AUTHENTICATE message integrity code ([MS-NLMP] 3.1.5.1.2, 3.2.5.1.2).
 *
 * @module
 */
import { createHmac } from "node:crypto"
import { MIC_LENGTH } from "./constants.ts"
import { hmacKey } from "./crypto.ts"
import { probe } from "./probe.ts"

const ZERO_MIC = new Uint8Array(MIC_LENGTH)

/**
 * MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE)
 * over the messages as sent, with the AUTHENTICATE MIC field (at `micOffset`)
 * taken as zeros. Nothing is copied. The key's KeyObject (see `hmacKey`)
 * lives for this call only.
 */
export const computeMic = (
  exportedSessionKey: Uint8Array,
  negotiate: Uint8Array,
  challenge: Uint8Array,
  authenticate: Uint8Array,
  micOffset: number
): Uint8Array => {
  const h = createHmac("md5", hmacKey(exportedSessionKey))
  h.update(negotiate)
  h.update(challenge)
  h.update(authenticate.subarray(0, micOffset))
  h.update(ZERO_MIC)
  h.update(authenticate.subarray(micOffset + MIC_LENGTH))
  probe.hmac?.(negotiate.length + challenge.length + authenticate.length)
  return new Uint8Array(h.digest())
}
