/**
 * What `sspi decode` accepts: a token in base64 or hex, optionally after a
 * scheme (`NTLM …`, `Negotiate …`) and an `Authorization:` /
 * `WWW-Authenticate:` / `Proxy-…:` header name.
 */
import { Result } from "effect"
import { AuthHeader } from "@effect-sspi/http"
import { derTree, isDerToken } from "./decodeDer.ts"
import { gssPerMessageTree, isGssPerMessage } from "./decodeGss.ts"
import { isNtlm, ntlmTree } from "./decodeNtlm.ts"
import type { Tree } from "./tree.ts"

const HEX = /^(?:[0-9a-fA-F]{2})+$/

const bytesOf = (text: string): Uint8Array | undefined => {
  const compact = text.replace(/\s+/g, "")
  if (HEX.test(compact)) {
    const bytes = new Uint8Array(Buffer.from(compact, "hex"))
    if (isNtlm(bytes) || isDerToken(bytes) || isGssPerMessage(bytes)) return bytes
  }
  return AuthHeader.decodeBase64(compact) ?? AuthHeader.decodeBase64(compact.padEnd(Math.ceil(compact.length / 4) * 4, "="))
}

/** The token of an input line: `[Header:] [Scheme] token`. */
export const tokenOf = (input: string): Result.Result<{ readonly scheme: string | undefined; readonly bytes: Uint8Array }, string> => {
  let text = input.trim().replace(/^(?:proxy-)?(?:authorization|www-authenticate|authenticate)\s*:\s*/i, "")
  if (text === "") return Result.fail("no token given")
  let scheme: string | undefined
  const challenges = AuthHeader.parseChallenges(text)
  const withToken = challenges.find((c) => c.rest !== "")
  if (withToken !== undefined && /^(?:ntlm|negotiate|kerberos)$/i.test(withToken.scheme)) {
    scheme = withToken.scheme
    text = withToken.rest
  } else if (/^(?:ntlm|negotiate|kerberos)$/i.test(text)) {
    return Result.fail(`the ${text} header carries no token`)
  }
  const bytes = bytesOf(text)
  return bytes === undefined ? Result.fail("the token is neither base64 nor hex") : Result.succeed({ scheme, bytes })
}

/** Decodes an input line into a tree, or a reason for people. */
export const decode = (input: string): Result.Result<Tree, string> =>
  Result.flatMap(tokenOf(input), ({ bytes }) => {
    if (isNtlm(bytes)) return Result.mapError(ntlmTree(bytes), (reason) => `malformed NTLM message: ${reason}`)
    if (isDerToken(bytes)) return derTree(bytes)
    if (isGssPerMessage(bytes)) return Result.succeed(gssPerMessageTree(bytes))
    return Result.fail(`unknown token format (${bytes.length} bytes): not NTLM, not SPNEGO/Kerberos`)
  })
