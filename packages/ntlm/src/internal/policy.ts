/**
 * The acceptor's security policy and its checks: minimum security
 * (NtlmMinServerSec), the MIC requirement, the echo of the CHALLENGE's AV
 * pairs, Extended Protection (channel bindings) and SPN target name
 * validation. Each check returns the status to fail with, or undefined.
 */
import { type ChannelBindings, SecurityError } from "@effect-sspi/core"
import { timingSafeEqual } from "node:crypto"
import { type AvPair, avPairString, findAvPair } from "./avpairs.ts"
import { bytesEqual } from "./bytes.ts"
import { AvId, NegotiateFlags as F } from "./constants.ts"

/** Windows' NtlmMinServerSec bits, as booleans. */
export interface MinimumSecurity {
  /** NTLMSSP_NEGOTIATE_128 (0x20000000) required. */
  readonly require128: boolean
  /** NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY (0x00080000, "NTLMv2 session security") required. */
  readonly requireNtlmv2SessionSecurity: boolean
}

/** Windows' "Server SPN target name validation level": off, accept if provided by client, required from client. */
export type TargetNameValidation = "off" | "whenPresent" | "required"

/** What the acceptor enforces. */
export interface AcceptorPolicy {
  readonly minimumSecurity: MinimumSecurity
  /** Require a MIC from every client (else only from those whose MsvAvFlags announce one). */
  readonly requireMic: boolean
  readonly extendedProtection: ChannelBindings.ExtendedProtection
  readonly targetNameValidation: TargetNameValidation
  /** Accepted SPNs, normalised ({@link normaliseSpn}); undefined: any service class on {@link hostNames}. */
  readonly serviceNames: ReadonlySet<string> | undefined
  /** This host's names, lower case: the CHALLENGE's computer names and "localhost". */
  readonly hostNames: ReadonlySet<string>
}

const ZERO16 = new Uint8Array(16)

/**
 * [MS-NLMP] 3.2.5.1.1: "If ServerRequire128bitEncryption == TRUE, then if
 * 128-bit encryption is not negotiated then the server MUST return
 * SEC_E_UNSUPPORTED_FUNCTION"; the same for NTLMv2 session security
 * (NtlmMinServerSec 0x00080000). Checked on the client's NEGOTIATE flags and
 * again on the AUTHENTICATE's (3.2.5.2.2).
 */
export const checkMinimumSecurity = (min: MinimumSecurity, flags: number): SecurityError.SspiError | undefined =>
  min.require128 && (flags & F.KEY_128) === 0
    ? new SecurityError.UnsupportedFunction({ detail: "the server requires 128-bit keys (NTLMSSP_NEGOTIATE_128)" })
    : min.requireNtlmv2SessionSecurity && (flags & F.EXTENDED_SESSIONSECURITY) === 0
    ? new SecurityError.UnsupportedFunction({
      detail: "the server requires NTLMv2 session security (NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)"
    })
    : undefined

/**
 * Every AV pair the server sent in its CHALLENGE's TargetInfo must be among
 * the pairs the client echoes in its NTLMv2 response, byte for byte
 * ([MS-NLMP] 3.1.5.2.1: the client's AvPairs are the server's TargetInfo,
 * to which it adds its own; 3.2.5.1.2: they are covered by NTProofStr).
 * A man in the middle who strips MsvAvTimestamp (so that the client sends
 * no MIC) is caught here. MsvAvFlags is skipped: the client may set bits.
 */
export const echoesAll = (sent: ReadonlyArray<AvPair>, echoed: ReadonlyArray<AvPair>): boolean =>
  sent.every((p) =>
    p.id === AvId.MsvAvFlags || echoed.some((q) => q.id === p.id && bytesEqual(q.value, p.value))
  )

/**
 * Extended Protection ([MS-NLMP] 3.2.5.1.2: "If NTLM v2 authentication is
 * used and channel binding is provided by the application, then the server
 * MUST verify the channel binding"; Windows' levels): with the acceptor's
 * bindings `expected`, a client's MsvAvChannelBindings that is present and
 * non-zero must equal them; absent or all-zero is refused only at
 * "required". `sent` is undefined for NTLMv1, which cannot carry bindings.
 */
export const checkBindings = (
  level: ChannelBindings.ExtendedProtection,
  expected: Uint8Array | undefined,
  sent: Uint8Array | undefined
): SecurityError.SspiError | undefined => {
  if (level === "off" || expected === undefined) return undefined
  const none = sent === undefined || (sent.length === 16 && timingSafeEqual(sent, ZERO16))
  if (none) return level === "required" ? new SecurityError.BadBindings({ detail: "the client sent no channel bindings" }) : undefined
  return sent.length === expected.length && timingSafeEqual(sent, expected) ? undefined : new SecurityError.BadBindings({})
}

/** "class@host" → "class/host", lower case, without a port: the form SPNs are compared in. */
export const normaliseSpn = (spn: string): string => {
  const slash = spn.indexOf("/")
  const at = spn.indexOf("@")
  const [service, rest] = slash >= 0 ? [spn.slice(0, slash), spn.slice(slash + 1)] : at >= 0
    ? [spn.slice(0, at), spn.slice(at + 1)]
    : ["", spn]
  const hostEnd = rest.search(/[:/]/)
  const host = hostEnd >= 0 ? rest.slice(0, hostEnd) : rest
  const tail = hostEnd >= 0 && rest[hostEnd] === "/" ? rest.slice(hostEnd) : ""
  return `${service}/${host}${tail}`.toLowerCase()
}

/** The host part of an SPN, lower case ("HTTP/web.example:8080" → "web.example"). */
export const hostOfSpn = (spn: string): string => {
  const n = normaliseSpn(spn)
  const rest = n.slice(n.indexOf("/") + 1)
  const end = rest.indexOf("/")
  return end >= 0 ? rest.slice(0, end) : rest
}

const spnAccepted = (policy: AcceptorPolicy, spn: string): boolean =>
  policy.serviceNames !== undefined
    ? policy.serviceNames.has(normaliseSpn(spn))
    : policy.hostNames.has(hostOfSpn(spn))

/**
 * SPN target name validation ([MS-NLMP] 2.2.2.1 MsvAvTargetName: "the SPN
 * of the target server"; 3.2.5.1.2 passes it to the application; Windows'
 * "Server SPN target name validation level"): at "whenPresent" a client's
 * non-empty MsvAvTargetName must name this service; at "required" it must
 * also be there. `pairs` is undefined for NTLMv1 (no AV pairs).
 */
export const checkTargetName = (
  policy: AcceptorPolicy,
  pairs: ReadonlyArray<AvPair> | undefined
): SecurityError.SspiError | undefined => {
  if (policy.targetNameValidation === "off") return undefined
  const pair = pairs === undefined ? undefined : findAvPair(pairs, AvId.MsvAvTargetName)
  const spn = pair === undefined ? "" : avPairString(pair)
  if (spn === "") {
    return policy.targetNameValidation === "required"
      ? new SecurityError.WrongPrincipal({ detail: "the client named no target (MsvAvTargetName)" })
      : undefined
  }
  return spnAccepted(policy, spn) ? undefined : new SecurityError.WrongPrincipal({ detail: "MsvAvTargetName names another service" })
}

/**
 * Whether an initiator's target names this host (a loopback handshake,
 * which is not reflection). Undefined target: not local.
 */
export const isLocalTarget = (hostNames: ReadonlySet<string>, targetName: string | undefined): boolean =>
  targetName !== undefined && targetName !== "" && hostNames.has(hostOfSpn(targetName))
