/**
 * The state of one Kerberos security context, and the key that protects
 * its messages.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { enctype } from "../crypto/encryptionType.ts"
import type { ProtectionKey } from "../gss/perMessage.ts"
import type { TicketGrant } from "../kdc/client.ts"
import type { EncryptionKey, Principal } from "../messages/common.ts"
import type { PacPrincipal } from "../../Pac.ts"
import { wipeKey } from "../crypto/profile.ts"

/**
 * Context state (mutable; owned by the runtime's handle).
 *
 * @since 0.1.0
 */
export interface KerberosContext {
  readonly role: "initiator" | "acceptor"
  stage: "awaitApRep" | "established"
  readonly client: Principal
  readonly server: Principal
  /** The ticket's session key. */
  readonly sessionKey: EncryptionKey
  readonly initiatorSubkey: EncryptionKey | undefined
  acceptorSubkey: EncryptionKey | undefined
  /** Initiator: the authenticator's time, echoed by the AP-REP. */
  readonly ctime: number
  readonly cusec: number
  sendSeq: number
  recvSeq: number
  /** GSS flags in force (RFC 4121 section 4.1.1.1). */
  readonly gssFlags: number
  readonly expiry: number
  /**
   * Acceptor: the TGT the client delegated (KRB-CRED in the GSS checksum,
   * RFC 4121 section 4.1.1), checked; its key is zeroed by {@link wipe}.
   */
  readonly delegated?: TicketGrant | undefined
  /**
   * Acceptor: who the client is in its domain, from the ticket's PAC once its
   * server signature and client info verified (MS-PAC 2.8.1, 2.7); none when
   * the ticket carries no PAC. Undefined on an initiator.
   */
  readonly identity?: Option.Option<PacPrincipal> | undefined
}

/**
 * RFC 4121 (CFX) per-message tokens are for the RFC 3962/8009 AES types; an
 * RC4-HMAC key (23, 24) takes RFC 4757 section 7 tokens (TOK_ID 01 01 /
 * 02 01), which MIT and Windows use for it and which are not implemented:
 * such a key gives no protection key rather than CFX tokens no peer reads.
 */
const CFX_TYPES: ReadonlyArray<number> = [17, 18, 19, 20]

/**
 * The key for per-message tokens: the acceptor's subkey if any, else the
 * initiator's subkey, else the session key; undefined when it is not an AES
 * type (message protection is then SEC_E_UNSUPPORTED_FUNCTION).
 *
 * @since 0.1.0
 */
export const protectionKey = (s: KerberosContext): ProtectionKey | undefined => {
  const key = s.acceptorSubkey ?? s.initiatorSubkey ?? s.sessionKey
  if (!CFX_TYPES.includes(key.keytype)) return undefined
  return Option.match(enctype(key.keytype), {
    onNone: () => undefined,
    onSome: (profile) => ({ profile, key: key.keyvalue, acceptorSubkey: s.acceptorSubkey !== undefined })
  })
}

/**
 * Zeroes every key of a context.
 *
 * @since 0.1.0
 */
export const wipe = (s: KerberosContext): void => {
  wipeKey(s.sessionKey.keyvalue)
  wipeKey(s.initiatorSubkey?.keyvalue)
  wipeKey(s.acceptorSubkey?.keyvalue)
  wipeKey(s.delegated?.key.keyvalue)
}
