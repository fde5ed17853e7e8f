/**
 * The decoded PAC (MS-PAC): the types the decoders produce. SIDs are in
 * their `S-1-…` text form.
 *
 * @since 0.1.0
 */

/** A SID with its SE_GROUP_* attributes (MS-PAC 2.2.1). */
export interface SidAndAttributes {
  readonly sid: string
  readonly attributes: number
}

/** GROUP_MEMBERSHIP (MS-PAC 2.2.2): a RID relative to a domain SID. */
export interface GroupMembership {
  readonly rid: number
  readonly attributes: number
}

/** KERB_VALIDATION_INFO (MS-PAC 2.5), the fields an acceptor uses, and the SIDs they make. */
export interface LogonInfo {
  /** FILETIMEs (MS-DTYP 2.3.3); 0x7FFFFFFFFFFFFFFF is "never". */
  readonly logonTime: bigint
  readonly logoffTime: bigint
  readonly kickOffTime: bigint
  readonly passwordLastSet: bigint
  readonly passwordCanChange: bigint
  readonly passwordMustChange: bigint
  /** The account name (sAMAccountName) and display name; "" where the PAC has none. */
  readonly effectiveName: string
  readonly fullName: string
  readonly logonScript: string
  readonly profilePath: string
  readonly homeDirectory: string
  readonly homeDirectoryDrive: string
  readonly logonCount: number
  readonly badPasswordCount: number
  readonly userId: number
  readonly primaryGroupId: number
  readonly groupIds: ReadonlyArray<GroupMembership>
  readonly userFlags: number
  readonly logonServer: string
  readonly logonDomainName: string
  readonly logonDomainId: string
  readonly userAccountControl: number
  readonly extraSids: ReadonlyArray<SidAndAttributes>
  readonly resourceGroupDomainSid: string | undefined
  readonly resourceGroupIds: ReadonlyArray<GroupMembership>
  /** LogonDomainId + UserId (MS-PAC 2.5). */
  readonly userSid: string
  /** LogonDomainId + PrimaryGroupId. */
  readonly primaryGroupSid: string
  /**
   * Every group SID of the user, in order: GroupIds (relative to
   * LogonDomainId), ExtraSids, then ResourceGroupIds (relative to
   * ResourceGroupDomainSid).
   */
  readonly groupSids: ReadonlyArray<SidAndAttributes>
}

/** PAC_CLIENT_INFO (MS-PAC 2.7). */
export interface ClientInfo {
  /** FILETIME of the ticket's authtime. */
  readonly clientId: bigint
  readonly name: string
}

/** UPN_DNS_INFO (MS-PAC 2.10), with the SAM name and SID extension where present. */
export interface UpnDnsInfo {
  readonly upn: string
  readonly dnsDomainName: string
  readonly flags: number
  /** Flags bit U (0x1): the account has no UPN; `upn` was made from the SAM name. */
  readonly upnConstructed: boolean
  readonly samName: string | undefined
  readonly sid: string | undefined
}

/** PAC_SIGNATURE_DATA (MS-PAC 2.8). */
export interface Signature {
  readonly type: number
  readonly signature: Uint8Array
  /** Where the Signature bytes are inside the whole PAC (zeroed for the server checksum). */
  readonly offset: number
}

/** One PAC_INFO_BUFFER (MS-PAC 2.4) and its bytes. */
export interface PacBuffer {
  readonly type: number
  readonly offset: number
  readonly data: Uint8Array
}

/** A decoded PAC: every buffer, and the ones this package understands. */
export interface Pac {
  readonly buffers: ReadonlyArray<PacBuffer>
  /** KERB_VALIDATION_INFO; undefined in a PAC without one (MIT krb5kdc 1.20+ issues such PACs). */
  readonly logonInfo: LogonInfo | undefined
  readonly clientInfo: ClientInfo
  readonly upnDnsInfo: UpnDnsInfo | undefined
  readonly serverChecksum: Signature
  readonly kdcChecksum: Signature
  /** The encoded PAC, as received (the server checksum covers it). */
  readonly bytes: Uint8Array
}

/** PAC_INFO_BUFFER ulType values (MS-PAC 2.4). */
export const BufferType = {
  LOGON_INFO: 1,
  CREDENTIALS_INFO: 2,
  SERVER_CHECKSUM: 6,
  PRIVSVR_CHECKSUM: 7,
  CLIENT_INFO: 10,
  DELEGATION_INFO: 11,
  UPN_DNS_INFO: 12,
  CLIENT_CLAIMS: 13,
  DEVICE_INFO: 14,
  DEVICE_CLAIMS: 15,
  TICKET_CHECKSUM: 16,
  ATTRIBUTES_INFO: 17,
  REQUESTOR: 18,
  FULL_CHECKSUM: 19
} as const
