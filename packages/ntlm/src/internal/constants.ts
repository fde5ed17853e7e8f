/**
 * Wire constants of the NTLM protocol ([MS-NLMP] sections 2.2.1, 2.2.2.1,
 * 2.2.2.5).
 *
 * @module
 */

/** NTLMSSP_NEGOTIATE_* flags ([MS-NLMP] 2.2.2.5). */
export const NegotiateFlags = {
  UNICODE: 0x00000001,
  OEM: 0x00000002,
  REQUEST_TARGET: 0x00000004,
  SIGN: 0x00000010,
  SEAL: 0x00000020,
  DATAGRAM: 0x00000040,
  LM_KEY: 0x00000080,
  NTLM: 0x00000200,
  ANONYMOUS: 0x00000800,
  OEM_DOMAIN_SUPPLIED: 0x00001000,
  OEM_WORKSTATION_SUPPLIED: 0x00002000,
  ALWAYS_SIGN: 0x00008000,
  TARGET_TYPE_DOMAIN: 0x00010000,
  TARGET_TYPE_SERVER: 0x00020000,
  EXTENDED_SESSIONSECURITY: 0x00080000,
  IDENTIFY: 0x00100000,
  REQUEST_NON_NT_SESSION_KEY: 0x00400000,
  TARGET_INFO: 0x00800000,
  VERSION: 0x02000000,
  KEY_128: 0x20000000,
  KEY_EXCH: 0x40000000,
  KEY_56: 0x80000000
} as const

/** AV_PAIR identifiers ([MS-NLMP] 2.2.2.1). */
export const AvId = {
  MsvAvEOL: 0x0000,
  MsvAvNbComputerName: 0x0001,
  MsvAvNbDomainName: 0x0002,
  MsvAvDnsComputerName: 0x0003,
  MsvAvDnsDomainName: 0x0004,
  MsvAvDnsTreeName: 0x0005,
  MsvAvFlags: 0x0006,
  MsvAvTimestamp: 0x0007,
  MsvAvSingleHost: 0x0008,
  MsvAvTargetName: 0x0009,
  MsvAvChannelBindings: 0x000a
} as const

/** Bits of the MsvAvFlags value ([MS-NLMP] 2.2.2.1). */
export const AvFlags = {
  /** The account authentication is constrained. */
  CONSTRAINED: 0x00000001,
  /** The AUTHENTICATE message carries a MIC. */
  MIC_PRESENT: 0x00000002,
  /** The client's target SPN came from an untrusted source. */
  UNTRUSTED_SPN: 0x00000004
} as const

/** MessageType field values ([MS-NLMP] 2.2.1). */
export const MessageType = {
  NEGOTIATE: 1,
  CHALLENGE: 2,
  AUTHENTICATE: 3
} as const

/** The union of {@link MessageType} values. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** "NTLMSSP\0", the first 8 bytes of every message. */
export const SIGNATURE: Uint8Array = new Uint8Array([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00])

/** Inputs larger than this are rejected by every decoder. */
export const MAX_MESSAGE_SIZE = 64 * 1024

/** Upper bound for a single name field (domain, user, workstation, target name). */
export const MAX_NAME_BYTES = 1024

/** Byte offset of the MIC in an AUTHENTICATE message that carries one. */
export const MIC_OFFSET = 72

/** Length of the MIC, of a NTLMSSP_MESSAGE_SIGNATURE and of every NTLM key. */
export const MIC_LENGTH = 16
