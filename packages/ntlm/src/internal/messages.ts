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

/** The MessageType of `msg` after checking its signature and size. Never throws. */
export const peekMessageType = (msg: Uint8Array): Result.Result<MessageType, NtlmMalformed> => {
  if (msg.length < 12) return checkHeader(msg, MessageType.NEGOTIATE, 12).pipe(Result.map(() => MessageType.NEGOTIATE))
  const type = readU32(msg, 8)
  const known = type === MessageType.NEGOTIATE || type === MessageType.CHALLENGE || type === MessageType.AUTHENTICATE
  const expected: MessageType = known ? type : MessageType.NEGOTIATE
  return checkHeader(msg, expected, 12).pipe(Result.map(() => expected))
}
