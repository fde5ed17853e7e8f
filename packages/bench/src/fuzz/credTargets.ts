/**
 * KRB-CRED fuzz targets (RFC 4120 5.8, RFC 4121 4.1.1): the Deleg field of
 * an AP-REQ's authenticator checksum, as the Kerberos acceptor reads it once
 * the authenticator has decrypted (`readDelegation`: decode the KRB-CRED,
 * decrypt its enc-part with the session key, decode EncKrbCredPart, check
 * the forwarded TGT). Seeded with the MIT realm's real TGT (the user's
 * ccache after kinit) in the KRB-CRED our initiator sends (`makeKrbCred`).
 * The enc-part is encrypted, so mutations of the whole KRB-CRED reach its
 * plaintext only through integrity failures: a second target mutates the
 * plaintext EncKrbCredPart and encrypts each mutant with the session key.
 */
import { readFileSync } from "node:fs"
import { randomBytes } from "node:crypto"
import { Effect, Option, Result } from "effect"
import { CredentialCache } from "@effect-sspi/kerberos"
import { makeKrbCred, readDelegation } from "../../../kerberos/src/internal/context/delegation.ts"
import { enctype } from "../../../kerberos/src/internal/crypto/encryptionType.ts"
import type { TicketGrant } from "../../../kerberos/src/internal/kdc/client.ts"
import type { EncryptionKey } from "../../../kerberos/src/internal/messages/common.ts"
import { decodeEncKrbCredPart, decodeKrbCred, encodeKrbCred, KRB_CRED_USAGE } from "../../../kerberos/src/internal/messages/cred.ts"
import { decodeTicket } from "../../../kerberos/src/internal/messages/ticket.ts"
import { outcomeOf, type Target } from "./runner.ts"

/** The acceptor's default clock skew (5 minutes, RFC 4120 1.7). */
const SKEW = 300_000

/** The KRB-CRED targets for the TGT in the credential cache file `ccache`. */
export const krbCredTargets = (ccache: string): Array<Target> => {
  const cache = Result.getOrThrow(CredentialCache.decode(new Uint8Array(readFileSync(ccache.replace(/^FILE:/, "")))))
  const cached = cache.credentials.find((c) => c.server.name.components[0] === "krbtgt")
  if (cached === undefined) throw new Error("no TGT in the realm's ccache")
  const tgt: TicketGrant = { ...cached, ticket: Result.getOrThrow(decodeTicket(cached.ticket)) }
  const profile = Option.getOrThrow(enctype(18))
  const sessionKey: EncryptionKey = { keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) }
  // the moment the seed was made: each input is checked as at that moment, so that the valid
  // path (timestamp within the skew, TGT not expired) stays reachable however long the run
  const now = Date.now()
  const krbCred = makeKrbCred(tgt, profile, sessionKey, now)
  const encPart = Result.getOrThrow(decodeKrbCred(krbCred)).encPart
  const plain = Result.getOrThrow(profile.decrypt(sessionKey.keyvalue, KRB_CRED_USAGE, encPart.cipher))
  Result.getOrThrow(decodeEncKrbCredPart(plain))

  /** The acceptor's check; a delegated TGT's key is wiped after (nothing kept across inputs). */
  const read = (deleg: Uint8Array) =>
    outcomeOf(Effect.tap(readDelegation(deleg, [sessionKey], tgt.client, now, SKEW), (d) =>
      Effect.sync(() => {
        if (d._tag === "Delegated") d.tgt.key.keyvalue.fill(0)
      })))
  if (read(krbCred) !== "ok") throw new Error("the real KRB-CRED is not accepted")

  return [
    { name: "KRB-CRED (readDelegation: Deleg field of an AP-REQ, MIT TGT)", seeds: [krbCred], run: read },
    {
      name: "EncKrbCredPart (mutated plaintext, encrypted in the session key, readDelegation)",
      seeds: [plain],
      run: (b) =>
        read(encodeKrbCred({
          tickets: [tgt.ticket],
          encPart: { etype: sessionKey.keytype, cipher: profile.encrypt(sessionKey.keyvalue, KRB_CRED_USAGE, b) }
        }))
    }
  ]
}
