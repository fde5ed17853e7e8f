/**
 * S4U2Self's PA-S4U-X509-USER (MS-SFU 2.2.2, 3.1.5.1.1.2, 3.1.5.1.2) against
 * the REAL KDCs, and the attacks on the reply's clear-text client name: a
 * man in the middle between us and the real KDC rewrites the real reply.
 *
 * - MIT krb5kdc 1.20 verifies our request's checksum (keyed with the TGT
 *   session key, usage 26) and echoes PA-S4U-X509-USER in its reply, signed
 *   with usage 27 (we ask for it: option 0x20000000, signed-with-kun-27): the
 *   user we report is the one it signed.
 * - Samba 4.17's Heimdal KDC ignores PA-S4U-X509-USER (its kdc/mssfu.c reads
 *   PA-FOR-USER only) and signs nothing: the user we report is the S4U2Self
 *   ticket's own client, decrypted with the service's keytab keys.
 * In both, a reply whose clear-text cname names someone else, or that
 * carries another user's S4U2Self ticket, is refused (SEC_E_INVALID_TOKEN);
 * each check was disabled once to see its attack test fail.
 * Missing peers: loud skip, or a failure under CI=true.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Result } from "effect"
import { Flags } from "@effect-sspi/core"
import { isCI, Realm, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { Kerberos } from "../src/index.ts"
import { s4u2self } from "../src/internal/context/s4u.ts"
import type { KdcSend } from "../src/internal/kdc/client.ts"
import { formatPrincipal, parsePrincipal, type PrincipalName } from "../src/internal/messages/common.ts"
import { decodeKdcRep, decodeKdcReq, encodeKdcRep, type KdcRep } from "../src/internal/messages/kdc.ts"
import { decodePaS4uX509User, encodePaS4uX509User, encodeS4uUserId, PA_S4U_X509_USER, S4U_OPTS_USE_REPLY_KEY_USAGE } from "../src/internal/messages/s4u.ts"
import { resolveSettings } from "../src/internal/settings.ts"

const hasKrb5 = requirePeersSync("krb5")
const hasSamba = SambaDc.availableSync()
if (!hasSamba) {
  if (isCI()) throw new Error("s4uX509User.interop.test: Samba AD DC not available under CI=true")
  console.warn("s4uX509User.interop.test: Samba AD DC not available (install samba, run as root): SKIPPED")
}

type Tamper = (rep: KdcRep, request: Uint8Array) => KdcRep
const admin: PrincipalName = { nameType: 1, components: ["administrator"] }

/** The real KDC behind a man in the middle that rewrites TGS replies with `tamper`; what passed is recorded. */
const settingsThrough = (options: Parameters<typeof resolveSettings>[0], tamper: Tamper | undefined, seen: Array<{ request: Uint8Array; reply: KdcRep }>) =>
  Effect.map(resolveSettings(options), (settings) => {
    const send: KdcSend = (realm, request) =>
      Effect.map(settings.send(realm, request), (bytes) => {
        const rep = decodeKdcRep(bytes)
        if (Result.isFailure(rep) || rep.success.msgType !== 13) return bytes
        seen.push({ request, reply: rep.success })
        return tamper === undefined ? bytes : encodeKdcRep(13, tamper(rep.success, request))
      })
    return { ...settings, send }
  })

const withoutPa = (rep: KdcRep): KdcRep => ({ ...rep, padata: rep.padata.filter((p) => p.type !== PA_S4U_X509_USER) })
const renamed = (rep: KdcRep): KdcRep => ({ ...rep, cname: admin })
/** The reply's PA-S4U-X509-USER naming administrator, its checksum left as it was. */
const paRenamed = (rep: KdcRep): KdcRep => ({
  ...renamed(rep),
  padata: rep.padata.map((p) => {
    if (p.type !== PA_S4U_X509_USER) return p
    const pa = Result.getOrThrow(decodePaS4uX509User(p.value))
    return { type: p.type, value: encodePaS4uX509User(encodeS4uUserId({ ...pa.userId, cname: admin }), pa.checksum) }
  })
})

/** The ticket of another S4U2Self reply (for `other`) swapped into the reply, the clear-text cname left as it was. */
const swapTicketFrom = (options: Parameters<typeof resolveSettings>[0], service: Parameters<typeof s4u2self>[1], other: ReturnType<typeof parsePrincipal>, now: number) =>
  Effect.gen(function*() {
    const seen: Array<{ request: Uint8Array; reply: KdcRep }> = []
    const theirs = yield* s4u2self(yield* settingsThrough(options, undefined, seen), service, other, now)
    theirs.tickets[0]!.key.keyvalue.fill(0)
    const ticket = seen.at(-1)!.reply.ticket
    return (rep: KdcRep): KdcRep => ({ ...rep, ticket })
  })

describe("PA-S4U-X509-USER with MIT krb5kdc 1.20", () => {
  it.live.skipIf(!hasKrb5)("sent with PA-FOR-USER (MIT verifies it), echoed signed with usage 27 over our nonce; a rewritten clear-text cname, a rewritten PA user, or a dropped PA with a rewritten cname → SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      const options = { krb5Config: realm.env["KRB5_CONFIG"], env: realm.env }
      const pkg = yield* Kerberos.make(options)
      const now = yield* Clock.currentTimeMillis
      const service = yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.OUTBOUND, authData: { keytab: realm.keytab, principal: "HTTP/localhost" }, now })
      const user = parsePrincipal(realm.user, realm.realm)

      const seen: Array<{ request: Uint8Array; reply: KdcRep }> = []
      const ok = yield* s4u2self(yield* settingsThrough(options, undefined, seen), service.credential, user, now)
      assert.strictEqual(formatPrincipal(ok.client!), realm.principal)
      const last = seen.at(-1)!
      const request = Result.getOrThrow(decodeKdcReq(last.request))
      const sent = Result.getOrThrow(decodePaS4uX509User(request.padata.find((p) => p.type === PA_S4U_X509_USER)!.value))
      assert.deepStrictEqual(sent.userId, { nonce: request.body.nonce, cname: user.name, crealm: realm.realm, options: S4U_OPTS_USE_REPLY_KEY_USAGE })
      const echoed = Result.getOrThrow(decodePaS4uX509User(last.reply.padata.find((p) => p.type === PA_S4U_X509_USER)!.value))
      assert.strictEqual(echoed.userId.nonce, request.body.nonce)
      assert.strictEqual(echoed.userId.options! & S4U_OPTS_USE_REPLY_KEY_USAGE, S4U_OPTS_USE_REPLY_KEY_USAGE, "MIT signed with key usage 27")
      assert.deepStrictEqual(echoed.userId.cname?.components, [realm.user])
      yield* pkg.freeCredentials(ok)

      for (const [what, tamper] of [["clear-text cname", renamed], ["PA-S4U-X509-USER user", paRenamed], ["PA dropped + cname", (r: KdcRep) => renamed(withoutPa(r))]] as const) {
        const e = yield* Effect.flip(s4u2self(yield* settingsThrough(options, tamper, []), service.credential, user, now))
        assert.strictEqual(e.status, "SEC_E_INVALID_TOKEN", what)
      }
      // the PA-S4U-X509-USER does not cover the ticket: another user's S4U2Self ticket swapped in is
      // caught by the ticket's own cname and session key (RFC 4120 5.3), read with the keytab
      const swap = yield* swapTicketFrom(options, service.credential, parsePrincipal(realm.preauthPrincipal, realm.realm), now)
      const swapped = yield* Effect.flip(s4u2self(yield* settingsThrough(options, swap, []), service.credential, user, now))
      assert.strictEqual(swapped.status, "SEC_E_INVALID_TOKEN")

      // without the service's keys (a credential holding only its TGT) the PA-S4U-X509-USER checksum
      // alone protects the name: a rewritten PA user (with the clear-text cname to match) is refused
      const keyless = { ...service.credential, secret: undefined }
      const fine = yield* s4u2self(yield* settingsThrough(options, undefined, []), keyless, user, now)
      assert.strictEqual(formatPrincipal(fine.client!), realm.principal)
      yield* pkg.freeCredentials(fine)
      const forged = yield* Effect.flip(s4u2self(yield* settingsThrough(options, paRenamed, []), keyless, user, now))
      assert.strictEqual(forged.status, "SEC_E_INVALID_TOKEN")
      assert.include(forged.detail, "checksum")
      // a signed PA-S4U-X509-USER replayed from another reply under the same TGT (for another user,
      // the clear-text cname to match): its checksum verifies, its nonce is not this request's
      const replayedFrom: Array<{ request: Uint8Array; reply: KdcRep }> = []
      const other = parsePrincipal(realm.preauthPrincipal, realm.realm)
      yield* pkg.freeCredentials(yield* s4u2self(yield* settingsThrough(options, undefined, replayedFrom), keyless, other, now))
      const oldPa = replayedFrom.at(-1)!.reply.padata.find((p) => p.type === PA_S4U_X509_USER)!
      const replay = (rep: KdcRep): KdcRep => ({ ...rep, cname: other.name, padata: [oldPa] })
      const replayed = yield* Effect.flip(s4u2self(yield* settingsThrough(options, replay, []), keyless, user, now))
      assert.strictEqual(replayed.status, "SEC_E_INVALID_TOKEN")
      assert.include(replayed.detail, "nonce")
      yield* pkg.freeCredentials(service.credential)
    })), 60_000)
})

describe("S4U2Self client name with the Samba 4.17 AD DC (Heimdal: no PA-S4U-X509-USER in replies)", () => {
  it.live.skipIf(!hasSamba)("s4usvc's keytab: the reply carries no PA-S4U-X509-USER, the user comes from the ticket (decrypted with the keytab); a rewritten clear-text cname → SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      yield* SambaDc.ensureS4uService(dc)
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "sspi-s4u-x509-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const keytab = join(dir, "s4usvc.keytab")
      yield* SambaDc.sambaTool(dc, ["domain", "exportkeytab", keytab, `--principal=${SambaDc.s4uService.name}@${dc.realm}`])
      const options = { krb5Config: dc.env["KRB5_CONFIG"], env: dc.env }
      const pkg = yield* Kerberos.make(options)
      const now = yield* Clock.currentTimeMillis
      const service = yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.OUTBOUND, authData: { keytab, principal: `${SambaDc.s4uService.name}@${dc.realm}` }, now })
      const user = parsePrincipal("alice", dc.realm)

      const seen: Array<{ request: Uint8Array; reply: KdcRep }> = []
      const ok = yield* s4u2self(yield* settingsThrough(options, undefined, seen), service.credential, user, now)
      assert.strictEqual(formatPrincipal(ok.client!), dc.alice.principal)
      const request = Result.getOrThrow(decodeKdcReq(seen.at(-1)!.request))
      assert.isTrue(request.padata.some((p) => p.type === PA_S4U_X509_USER), "sent")
      assert.isFalse(seen.at(-1)!.reply.padata.some((p) => p.type === PA_S4U_X509_USER), "Samba 4.17 echoes none")
      yield* pkg.freeCredentials(ok)

      const e = yield* Effect.flip(s4u2self(yield* settingsThrough(options, renamed, []), service.credential, user, now))
      assert.strictEqual(e.status, "SEC_E_INVALID_TOKEN")
      assert.include(e.detail, "administrator")
      // Administrator's S4U2Self ticket swapped into alice's reply (clear-text cname still alice)
      const swap = yield* swapTicketFrom(options, service.credential, parsePrincipal("Administrator", dc.realm), now)
      const swapped = yield* Effect.flip(s4u2self(yield* settingsThrough(options, swap, []), service.credential, user, now))
      assert.strictEqual(swapped.status, "SEC_E_INVALID_TOKEN")
      // alice's ticket from another reply (another session key): the ticket is not this reply's
      const older = yield* swapTicketFrom(options, service.credential, user, now)
      const mixed = yield* Effect.flip(s4u2self(yield* settingsThrough(options, older, []), service.credential, user, now))
      assert.strictEqual(mixed.status, "SEC_E_INVALID_TOKEN")
      assert.include(mixed.detail, "session key")
      yield* pkg.freeCredentials(service.credential)
    })), 120_000)
})
