/**
 * NTLM message codecs ([MS-NLMP] 2.2.1): one module per message, gathered
 * here, plus a peek at the type of a received message.
 *
 * @module
 */
import { Result } from "effect"
import { readU32 } from "./bytes.ts"
import { MessageType } from "./constants.ts"
import type { NtlmMalformed } from "./errors.ts"
import { checkHeader } from "./fields.ts"

export { type AuthenticateMessage, decodeAuthenticate, type DecodedAuthenticate, encodeAuthenticate } from "./authenticate.ts"
export { type ChallengeMessage, decodeChallenge, encodeChallenge } from "./challenge.ts"
export { decodeNegotiate, encodeNegotiate, type NegotiateMessage } from "./negotiate.ts"
export { decodeVersion, encodeVersion, NTLMSSP_REVISION_W2K3, type Version } from "./version.ts"

const isMessageType = (n: number): n is MessageType =>
  n === MessageType.NEGOTIATE || n === MessageType.CHALLENGE || n === MessageType.AUTHENTICATE

/** The MessageType of `msg` after checking its size and signature. Never throws. */
export const peekMessageType = (msg: Uint8Array): Result.Result<MessageType, NtlmMalformed> => {
  const type = msg.length >= 12 ? readU32(msg, 8) : 0
  // An unknown type is checked against NEGOTIATE so that it fails as "unexpected message type".
  const expected = isMessageType(type) ? type : MessageType.NEGOTIATE
  return checkHeader(msg, expected, 12).pipe(Result.map(() => expected))
}
