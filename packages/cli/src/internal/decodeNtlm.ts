/**
 * NTLM messages as a readable tree, through the NTLM package's own
 * decoders. Responses and keys are shown by size only: an NTLMv2 response
 * with its challenge is crackable offline, so its bytes are never printed.
 */
import { Result } from "effect"
import { decodeNtlmv2Response } from "../../../ntlm/src/internal/responses.ts"
import { AvId, MessageType, NegotiateFlags } from "../../../ntlm/src/internal/constants.ts"
import { type AvPair, readFileTime } from "../../../ntlm/src/internal/avpairs.ts"
import { fromUtf16le } from "../../../ntlm/src/internal/bytes.ts"
import {
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  peekMessageType,
  type Version
} from "../../../ntlm/src/internal/messages.ts"
import { hex, node, type Tree } from "./tree.ts"

const SIGNATURE = "NTLMSSP\0"

/** Whether `bytes` starts with the NTLMSSP signature. */
export const isNtlm = (bytes: Uint8Array): boolean =>
  bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).toString("latin1") === SIGNATURE

const flagsTree = (flags: number): Tree =>
  node(
    `flags 0x${(flags >>> 0).toString(16).toUpperCase().padStart(8, "0")}`,
    Object.entries(NegotiateFlags)
      .filter(([, bit]) => ((flags >>> 0) & bit) !== 0)
      .map(([name]) => node(`NTLMSSP_NEGOTIATE_${name}`))
  )

const versionTree = (v: Version | undefined): ReadonlyArray<Tree> =>
  v === undefined ? [] : [node(`version ${v.major}.${v.minor}.${v.build} (NTLM revision ${v.revision})`)]

const avName = (id: number): string =>
  Object.entries(AvId).find(([, value]) => value === id)?.[0] ?? `AvId 0x${id.toString(16)}`

const fileTime = (ft: bigint): string => {
  const ms = Number((ft - 116_444_736_000_000_000n) / 10_000n)
  return Number.isFinite(ms) && ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : ft.toString()
}

const avTree = (pairs: ReadonlyArray<AvPair>): ReadonlyArray<Tree> =>
  pairs.map((p) => {
    switch (p.id) {
      case AvId.MsvAvNbComputerName:
      case AvId.MsvAvNbDomainName:
      case AvId.MsvAvDnsComputerName:
      case AvId.MsvAvDnsDomainName:
      case AvId.MsvAvDnsTreeName:
      case AvId.MsvAvTargetName:
        return node(`${avName(p.id)}: ${JSON.stringify(fromUtf16le(p.value))}`)
      case AvId.MsvAvFlags:
        return node(`${avName(p.id)}: 0x${p.value.length >= 4 ? Buffer.from(p.value).readUInt32LE(0).toString(16) : "?"}`)
      case AvId.MsvAvTimestamp:
        return node(`${avName(p.id)}: ${p.value.length === 8 ? fileTime(readFileTime(p.value, 0)) : "?"}`)
      case AvId.MsvAvChannelBindings:
        return node(`${avName(p.id)}: ${hex(p.value)}${p.value.every((b) => b === 0) ? " (none)" : ""}`)
      default:
        return node(`${avName(p.id)}: ${p.value.length} bytes`)
    }
  })

const name = (label: string, value: string | undefined): ReadonlyArray<Tree> =>
  value === undefined ? [] : [node(`${label}: ${JSON.stringify(value)}`)]

/** The tree of an NTLM message, or the decoder's reason when it is malformed. */
export const ntlmTree = (bytes: Uint8Array): Result.Result<Tree, string> => {
  const type = peekMessageType(bytes)
  if (Result.isFailure(type)) return Result.fail(type.failure.reason)
  const title = (what: string) => `NTLM ${what} (${bytes.length} bytes)`
  switch (type.success) {
    case MessageType.NEGOTIATE:
      return decodeNegotiate(bytes).pipe(
        Result.map((m) =>
          node(title("NEGOTIATE_MESSAGE"), [
            flagsTree(m.flags),
            ...name("domain", m.domain),
            ...name("workstation", m.workstation),
            ...versionTree(m.version)
          ])
        ),
        Result.mapError((e) => e.reason)
      )
    case MessageType.CHALLENGE:
      return decodeChallenge(bytes).pipe(
        Result.map((m) =>
          node(title("CHALLENGE_MESSAGE"), [
            flagsTree(m.flags),
            node(`server challenge: ${hex(m.serverChallenge)}`),
            ...name("target name", m.targetName),
            ...(m.targetInfo === undefined ? [] : [node("target info", avTree(m.targetInfo))]),
            ...versionTree(m.version)
          ])
        ),
        Result.mapError((e) => e.reason)
      )
    default:
      return decodeAuthenticate(bytes).pipe(
        Result.map(({ message: m }) => {
          const nt = m.ntChallengeResponse
          const v2 = nt.length > 24 ? decodeNtlmv2Response(nt) : undefined
          const ntTree = v2 !== undefined && Result.isSuccess(v2)
            ? node(`NT response: NTLMv2, ${nt.length} bytes (not shown)`, [
              node(`timestamp: ${fileTime(v2.success.timestamp)}`),
              node("AV pairs", avTree(v2.success.avPairs))
            ])
            : node(`NT response: ${nt.length === 24 ? "NTLMv1, " : nt.length === 0 ? "empty (anonymous), " : ""}${nt.length} bytes (not shown)`)
          return node(title("AUTHENTICATE_MESSAGE"), [
            flagsTree(m.flags),
            node(`domain: ${JSON.stringify(m.domain)}`),
            node(`user: ${JSON.stringify(m.user)}`),
            node(`workstation: ${JSON.stringify(m.workstation)}`),
            node(`LM response: ${m.lmChallengeResponse.length} bytes (not shown)`),
            ntTree,
            node(`encrypted session key: ${m.encryptedRandomSessionKey?.length ?? 0} bytes (not shown)`),
            node(`MIC: ${m.mic === undefined ? "absent" : "present, 16 bytes (not shown)"}`),
            ...versionTree(m.version)
          ])
        }),
        Result.mapError((e) => e.reason)
      )
  }
}
