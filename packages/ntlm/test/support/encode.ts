/** The codecs' encoders for tests, unwrapped: a too-large test message is a bug in the test. */
import { Result } from "effect"
import { type AvPair, encodeAvPairs as encodeAvPairsR } from "../../src/internal/avpairs.ts"
import * as M from "../../src/internal/messages.ts"

export const encodeNegotiate = (m: M.NegotiateMessage): Uint8Array => Result.getOrThrow(M.encodeNegotiate(m))
export const encodeChallenge = (m: M.ChallengeMessage): Uint8Array => Result.getOrThrow(M.encodeChallenge(m))
export const encodeAuthenticate = (m: M.AuthenticateMessage): Uint8Array => Result.getOrThrow(M.encodeAuthenticate(m))
export const encodeAvPairs = (pairs: ReadonlyArray<AvPair>): Uint8Array => Result.getOrThrow(encodeAvPairsR(pairs))
