/**
 * NTLM messages as a readable tree, through the NTLM package's public
 * decoder (`NtlmMessage.decode`): every field as pyspnego-parse shows it —
 * flags by name, names, AV pairs, timestamps, version, the NTLMv2
 * response's NTProofStr, client challenge and timestamp, the LM response,
 * the (RC4-encrypted) session key and the MIC. These are bytes that were
 * on the wire already; no key is derived or shown.
 */
import { Result } from "effect"
import { NtlmMessage } from "@effect-sspi/ntlm"
import { hex, node, type Tree } from "./tree.ts"

/** Whether `bytes` starts with the NTLMSSP signature. */
export const isNtlm = NtlmMessage.isNtlm

const flagsTree = (flags: number): Tree =>
  node(
    `flags 0x${(flags >>> 0).toString(16).toUpperCase().padStart(8, "0")}`,
    NtlmMessage.flagNames(flags).map((name) => node(name))
  )

const versionTree = (v: NtlmMessage.Version | undefined): ReadonlyArray<Tree> =>
  v === undefined ? [] : [node(`version ${v.major}.${v.minor}.${v.build} (NTLM revision ${v.revision})`)]

const fileTime = (ft: bigint): string => NtlmMessage.fileTimeToDate(ft)?.toISOString() ?? ft.toString()

const avTree = (pairs: ReadonlyArray<NtlmMessage.AvPair>): ReadonlyArray<Tree> =>
  pairs.map((p) => {
    if (p.text !== undefined) return node(`${p.name}: ${JSON.stringify(p.text)}`)
    if (p.flags !== undefined) return node(`${p.name}: 0x${p.flags.toString(16)}`)
    if (p.timestamp !== undefined) return node(`${p.name}: ${fileTime(p.timestamp)}`)
    // A channel-bindings hash is public (a hash of the server's certificate).
    if (p.noChannelBindings !== undefined) return node(`${p.name}: ${hex(p.value)}${p.noChannelBindings ? " (none)" : ""}`)
    return node(`${p.name}: ${p.value.length === 0 ? "(empty)" : hex(p.value)}`)
  })

const name = (label: string, value: string | undefined): ReadonlyArray<Tree> =>
  value === undefined ? [] : [node(`${label}: ${JSON.stringify(value)}`)]

const ntTree = (nt: NtlmMessage.NtResponse): Tree => {
  switch (nt._tag) {
    case "NTLMv2":
      return node(`NT response: NTLMv2, ${nt.size} bytes`, [
        node(`NTProofStr: ${hex(nt.ntProofStr)}`),
        node(`client challenge: ${hex(nt.clientChallenge)}`),
        node(`timestamp: ${fileTime(nt.timestamp)}`),
        node("AV pairs", avTree(nt.avPairs))
      ])
    case "NTLMv1":
      return node(`NT response: NTLMv1, ${nt.size} bytes: ${hex(nt.response)}`)
    case "Anonymous":
      return node("NT response: empty (anonymous), 0 bytes")
    case "Unknown":
      return node(`NT response: ${nt.size} bytes: ${hex(nt.response)}`)
  }
}

/** The tree of a decoded NTLM message. */
export const messageTree = (m: NtlmMessage.NtlmMessage): Tree => {
  const title = (what: string) => `NTLM ${what} (${m.size} bytes)`
  switch (m._tag) {
    case "Negotiate":
      return node(title("NEGOTIATE_MESSAGE"), [
        flagsTree(m.flags),
        ...name("domain", m.domain),
        ...name("workstation", m.workstation),
        ...versionTree(m.version)
      ])
    case "Challenge":
      return node(title("CHALLENGE_MESSAGE"), [
        flagsTree(m.flags),
        node(`server challenge: ${hex(m.serverChallenge)}`),
        ...name("target name", m.targetName),
        ...(m.targetInfo === undefined ? [] : [node("target info", avTree(m.targetInfo))]),
        ...versionTree(m.version)
      ])
    case "Authenticate":
      return node(title("AUTHENTICATE_MESSAGE"), [
        flagsTree(m.flags),
        node(`domain: ${JSON.stringify(m.domain)}`),
        node(`user: ${JSON.stringify(m.user)}`),
        node(`workstation: ${JSON.stringify(m.workstation)}`),
        node(`LM response: ${m.lmResponse.length === 0 ? "empty" : hex(m.lmResponse)}`),
        ntTree(m.ntResponse),
        node(`encrypted random session key: ${m.encryptedRandomSessionKey === undefined ? "absent" : hex(m.encryptedRandomSessionKey)}`),
        node(`MIC: ${m.mic === undefined ? "absent" : hex(m.mic)}`),
        ...versionTree(m.version)
      ])
  }
}

/** The tree of an NTLM message, or the decoder's reason when it is malformed. */
export const ntlmTree = (bytes: Uint8Array): Result.Result<Tree, string> =>
  Result.mapBoth(NtlmMessage.decode(bytes), {
    onSuccess: messageTree,
    onFailure: (e) => e.detail?.replace(/^NTLM: /, "") ?? "invalid token"
  })
