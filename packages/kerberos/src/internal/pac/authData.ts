/**
 * Finding the PAC in a ticket: EncTicketPart's authorization-data (RFC 4120
 * 5.3 field [10]), AD-IF-RELEVANT (type 1, RFC 4120 5.2.6.1) holding
 * AD-WIN2K-PAC (type 128, MS-PAC 2.1 / MS-KILE 3.3.5.6), and the acceptor's
 * one call: decode, verify the server signature, check PAC_CLIENT_INFO.
 *
 * @since 0.1.0
 */
import { SecurityError } from "@effect-sspi/core"
import { Option, Result } from "effect"
import * as Der from "../asn1/der.ts"
import type { PrincipalName } from "../messages/common.ts"
import { decodePac } from "./pactype.ts"
import type { Pac } from "./types.ts"
import { checkClientInfo, type ServiceKey, verifyServerChecksum } from "./verify.ts"

/** One AuthorizationData element. */
export interface AuthorizationDataEntry {
  readonly adType: number
  readonly adData: Uint8Array
}

/** RFC 4120 7.5.4 authorization data types. */
export const AdType = { IF_RELEVANT: 1, WIN2K_PAC: 128 } as const

const readAuthorizationData = (node: Der.Node): Array<AuthorizationDataEntry> =>
  Der.readSequenceOf(node, (n) => {
    const f = Der.fields(n, "AuthorizationData")
    return { adType: Der.readInteger(Der.need(f, 0, "AuthorizationData")), adData: Der.readOctets(Der.need(f, 1, "AuthorizationData")) }
  })

/**
 * The authorization-data of a decrypted EncTicketPart (its DER), empty when
 * the ticket has none; never throws.
 *
 * @since 0.1.0
 */
export const authorizationDataOfEncTicketPart = Der.decodeWith((bytes): Array<AuthorizationDataEntry> => {
  const f = Der.fields(Der.parse(bytes), "EncTicketPart", 3)
  return Der.opt(f, 10, readAuthorizationData) ?? []
})

/**
 * The AD-WIN2K-PAC elements inside the AD-IF-RELEVANT containers of
 * `authData` (MS-KILE 3.3.5.6: the KDC puts the PAC there). A PAC outside
 * AD-IF-RELEVANT is not looked at (MS-PAC 2.1).
 */
const pacsIn = (authData: ReadonlyArray<AuthorizationDataEntry>) =>
  Der.decodeWith((): Array<Uint8Array> =>
    authData
      .filter((e) => e.adType === AdType.IF_RELEVANT)
      .flatMap((e) => readAuthorizationData(Der.parse(e.adData)))
      .filter((e) => e.adType === AdType.WIN2K_PAC)
      .map((e) => e.adData)
  )(new Uint8Array(0))

/** What the acceptor knows about the ticket. */
export interface TicketClient {
  readonly cname: PrincipalName
  /** The ticket's authtime, epoch milliseconds. */
  readonly authtime: number
}

/**
 * The acceptor's call, after it has decrypted the ticket with `serviceKey`:
 * the PAC in the ticket's authorization-data, decoded and verified, or none
 * when the ticket carries no PAC (an MIT KDC's tickets). A malformed PAC, or
 * more than one, is SEC_E_INVALID_TOKEN; a server signature that does not
 * verify, or a PAC_CLIENT_INFO that does not match the ticket's cname and
 * authtime, is SEC_E_LOGON_DENIED. Never throws.
 *
 * @since 0.1.0
 */
export const pacOfTicket = (
  authData: ReadonlyArray<AuthorizationDataEntry>,
  serviceKey: ServiceKey,
  client: TicketClient
): Result.Result<Option.Option<Pac>, SecurityError.InvalidToken | SecurityError.LogonDenied> =>
  Result.gen(function*() {
    const pacs = yield* Result.mapError(pacsIn(authData), (e) => new SecurityError.InvalidToken({ detail: `AD-IF-RELEVANT: ${e.reason}` }))
    if (pacs.length === 0) return Option.none()
    if (pacs.length > 1) return yield* Result.fail(new SecurityError.InvalidToken({ detail: `PAC: ${pacs.length} AD-WIN2K-PAC elements` }))
    const pac = yield* decodePac(pacs[0]!)
    // MS-PAC 2.8.1 / MS-KILE 3.4.5.3: the server signature first; nothing of an unverified PAC is used.
    yield* verifyServerChecksum(pac, serviceKey)
    yield* checkClientInfo(pac, client.cname, client.authtime)
    return Option.some(pac)
  })

/**
 * {@link pacOfTicket} from the decrypted EncTicketPart's DER: its
 * authorization-data is read here (a malformed one is SEC_E_INVALID_TOKEN).
 *
 * @since 0.1.0
 */
export const pacOfEncTicketPart = (
  encTicketPart: Uint8Array,
  serviceKey: ServiceKey,
  client: TicketClient
): Result.Result<Option.Option<Pac>, SecurityError.InvalidToken | SecurityError.LogonDenied> =>
  Result.flatMap(
    Result.mapError(authorizationDataOfEncTicketPart(encTicketPart), (e) => new SecurityError.InvalidToken({ detail: `EncTicketPart: ${e.reason}` })),
    (authData) => pacOfTicket(authData, serviceKey, client)
  )
