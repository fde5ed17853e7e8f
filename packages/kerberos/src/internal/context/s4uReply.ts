/**
 * Where the client of an S4U2Self ticket is read from (MS-SFU 3.1.5.1.2):
 * never from the reply's clear-text cname alone, which nothing protects.
 * Both of: the reply's PA-S4U-X509-USER, whose checksum the KDC makes with
 * the reply key over the request's nonce and the user (MIT krb5kdc, Windows),
 * and the ticket itself, encrypted in the service's own long-term key, when
 * the service holds its keys (a keytab; its session key must be the
 * reply's, so a ticket swapped in from another reply is refused). With
 * neither (a password credential and a KDC that signs nothing, as Samba
 * 4.17's Heimdal) the name asked for, as MIT 1.20's client does.
 *
 * @since 0.3.0
 */
import { Effect, Option, Result } from "effect"
import type { SecurityError } from "@effect-sspi/core"
import { enctype } from "../crypto/encryptionType.ts"
import { constantTimeEqual } from "../crypto/profile.ts"
import type { TgsReply } from "../kdc/client.ts"
import { type EncryptionKey, formatPrincipal, type Principal, sameName } from "../messages/common.ts"
import {
  decodePaS4uX509User,
  encodePaS4uX509User,
  encodeS4uUserId,
  PA_S4U_X509_USER,
  S4U_OPTS_USE_REPLY_KEY_USAGE,
  S4U_X509_USER_REPLY_USAGE,
  S4U_X509_USER_REQUEST_USAGE
} from "../messages/s4u.ts"
import { decodeEncTicketPart } from "../messages/ticket.ts"
import { invalidToken } from "../status.ts"
import type { KerberosCredential } from "./credential.ts"
import { wipeKey } from "../crypto/profile.ts"

type E = SecurityError.SspiError

const samePrincipal = (a: Principal, b: Principal) => a.realm === b.realm && sameName(a.name, b.name)

/** RC4's TGT session keys get no PA-S4U-X509-USER: MS-SFU 2.2.2 wants an unkeyed MD4 there (MIT: "unusual to say the least"). */
const keyedProfile = (key: EncryptionKey) => key.keytype === 23 || key.keytype === 24 ? undefined : Option.getOrUndefined(enctype(key.keytype))

/**
 * PA-S4U-X509-USER for `user` (MS-SFU 2.2.2): the request's nonce, the
 * user's name and realm, the option asking the KDC to sign its reply with
 * key usage 27; checksummed with the TGT session key, usage 26, the key's
 * RFC 3961 checksum. None for an RC4 session key.
 */
export const paS4uX509User = (user: Principal, tgtKey: EncryptionKey, nonce: number): Array<{ type: number; value: Uint8Array }> => {
  const profile = keyedProfile(tgtKey)
  if (profile === undefined) return []
  const userId = encodeS4uUserId({ nonce, cname: user.name, crealm: user.realm, options: S4U_OPTS_USE_REPLY_KEY_USAGE })
  const checksum = profile.checksum(tgtKey.keyvalue, S4U_X509_USER_REQUEST_USAGE, userId)
  return [{ type: PA_S4U_X509_USER, value: encodePaS4uX509User(userId, { cksumtype: profile.checksumType, checksum }) }]
}

/** The reply's PA-S4U-X509-USER, checked (MS-SFU 3.1.5.1.2): its user, or undefined when the KDC sent none. */
const fromPaData = (reply: TgsReply, replyKey: EncryptionKey): Effect.Effect<Principal | undefined, E> =>
  Effect.suspend(() => {
    const pa = reply.padata.find((p) => p.type === PA_S4U_X509_USER)
    if (pa === undefined) return Effect.succeed(undefined)
    const decoded = decodePaS4uX509User(pa.value)
    if (Result.isFailure(decoded)) return Effect.fail(invalidToken(`malformed PA-S4U-X509-USER in the S4U2Self reply: ${decoded.failure.reason}`))
    const { checksum, userId, userIdDer } = decoded.success
    // MS-SFU 2.2.2: the nonce is the request's (a reply to another request is refused)
    if (userId.nonce !== reply.nonce) return Effect.fail(invalidToken("the S4U2Self reply's PA-S4U-X509-USER answers another request (nonce)"))
    // MS-SFU 2.2.2: keyed with the reply key (the TGT session key), usage 27 when the reply
    // says signed-with-kun-27, else 26; RFC 3961: the key's own keyed checksum (type and value)
    const profile = keyedProfile(replyKey)
    const usage = ((userId.options ?? 0) & S4U_OPTS_USE_REPLY_KEY_USAGE) !== 0 ? S4U_X509_USER_REPLY_USAGE : S4U_X509_USER_REQUEST_USAGE
    const verifies = profile !== undefined && checksum.cksumtype === profile.checksumType &&
      constantTimeEqual(profile.checksum(replyKey.keyvalue, usage, userIdDer), checksum.checksum)
    if (!verifies) return Effect.fail(invalidToken("the S4U2Self reply's PA-S4U-X509-USER checksum does not verify"))
    if (userId.cname === undefined) return Effect.fail(invalidToken("the S4U2Self reply's PA-S4U-X509-USER names no user"))
    return Effect.succeed({ name: userId.cname, realm: userId.crealm })
  })

/**
 * The ticket's own client (RFC 4120 5.3: EncTicketPart, encrypted in the
 * service's long-term key, usage 2), when the service holds keys of the
 * ticket's type; its session key must be the reply's (the ticket belongs to
 * this reply). undefined without such keys.
 */
const fromTicket = (reply: TgsReply, service: KerberosCredential): Effect.Effect<Principal | undefined, E> =>
  Effect.suspend(() => {
    const { ticket, key } = reply.grant
    const keys = service.secret?._tag === "Keys" ? service.secret.keys.filter((k) => k.keytype === ticket.encPart.etype) : []
    const profile = Option.getOrUndefined(enctype(ticket.encPart.etype))
    if (keys.length === 0 || profile === undefined) return Effect.succeed(undefined)
    for (const k of keys) {
      const plain = profile.decrypt(k.keyvalue, 2, ticket.encPart.cipher)
      if (Result.isFailure(plain)) continue
      const part = decodeEncTicketPart(plain.success)
      plain.success.fill(0)
      if (Result.isFailure(part)) return Effect.fail(invalidToken(`malformed S4U2Self ticket: ${part.failure.reason}`))
      const t = part.success
      const same = t.key.keytype === key.keytype && constantTimeEqual(t.key.keyvalue, key.keyvalue)
      wipeKey(t.key.keyvalue)
      if (!same) return Effect.fail(invalidToken("the S4U2Self ticket's session key is not the reply's"))
      return Effect.succeed({ name: t.cname, realm: t.crealm })
    }
    return Effect.fail(invalidToken("the S4U2Self ticket does not decrypt with the service's own keys"))
  })

/**
 * The client of an S4U2Self reply for `user`, from the protected fields
 * (see the module's comment): the reply's PA-S4U-X509-USER when the KDC
 * sent one, and the ticket's own client when the service holds its keys;
 * each of them, and the reply's clear-text cname/crealm, must name the same
 * principal (else SEC_E_INVALID_TOKEN). `replyKey` is the TGT session key.
 */
export const s4uSelfClient = (
  reply: TgsReply,
  replyKey: EncryptionKey,
  user: Principal,
  service: KerberosCredential
): Effect.Effect<Principal, E> =>
  Effect.gen(function*() {
    const signed = [yield* fromPaData(reply, replyKey), yield* fromTicket(reply, service)].filter((p) => p !== undefined)
    // MS-SFU 3.1.5.1.1.1 / MIT 1.20, when nothing protects the name: the name we asked for
    const client = signed[0] ?? user
    // MS-SFU 3.1.5.1.2 (MIT: "the unprotected client name in the reply matches the
    // checksum-protected one"); RFC 4120 5.3: the ticket's cname is the KDC's word
    for (const p of [...signed, client]) {
      if (!samePrincipal(reply.grant.client, p)) {
        return yield* invalidToken(`the S4U2Self reply names ${formatPrincipal(reply.grant.client)} in clear, not ${formatPrincipal(p)}`)
      }
    }
    return client
  })
