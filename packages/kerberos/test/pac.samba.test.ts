/**
 * PACs from a REAL Active Directory KDC: the Samba AD DC of the run
 * (Heimdal, realm CORP.TEST). MIT's kinit and kvno get service tickets for
 * HTTP/localhost (held by the user account websvc: RC4 ticket, HMAC-MD5
 * server signature) and HTTP/web1.corp.test (the computer WEB1$, AES256
 * ticket, HMAC-SHA1-96-AES256 signature); the tickets are decrypted with the
 * keytabs `samba-tool domain exportkeytab` wrote, and the PAC is decoded and
 * verified with pacOfTicket, the acceptor's call. Every SID is compared with
 * what samba-tool reports (`user show` objectSid, `group show`, `group
 * listmembers`). Missing Samba: loud skip, or a failure under CI=true.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Option, Result } from "effect"
import { Command, SambaDc } from "@effect-sspi/interop-harness"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { decodeCcache } from "../src/internal/files/ccache.ts"
import { decodeKeytab } from "../src/internal/files/keytab.ts"
import { decodeEncTicketPart, decodeTicket } from "../src/internal/messages/ticket.ts"
import { authorizationDataOfEncTicketPart, pacOfTicket } from "../src/internal/pac/authData.ts"
import type { Pac } from "../src/internal/pac/types.ts"
import { verifyKdcChecksum } from "../src/internal/pac/verify.ts"
import { Pac as PublicPac } from "../src/index.ts"

const hasSamba = SambaDc.availableSync()
if (!hasSamba) console.warn("pac.samba.test: Samba AD DC not available (install samba, run as root): SKIPPED")

/** RFC 4120 7.5.1: the key usage of the ticket's enc-part. */
const TICKET_USAGE = 2

const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${JSON.stringify(r.failure)}`)
  return r.success
}

interface Fetched {
  readonly dc: SambaDc.SambaDc
  readonly pac: Pac
  readonly etype: number
}

/** kinit alice, kvno `service`, decrypt the ticket with `keytab`, and run the acceptor's PAC call. */
const pacFor = (
  service: string,
  keytab: (dc: SambaDc.SambaDc) => string,
  login: { readonly principal?: string; readonly flags?: ReadonlyArray<string> } = {}
) =>
  Effect.gen(function*() {
    const dc = yield* SambaDc.start()
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pac-samba-"))
    const ccache = Path.join(dir, "ccache")
    yield* SambaDc.kinit(dc, ccache, login)
    const kvno = yield* Command.run("/usr/bin/kvno", [service], { env: { ...dc.env, KRB5CCNAME: `FILE:${ccache}` } })
    assert.strictEqual(kvno.code, 0, kvno.stderr)
    const cache = ok(decodeCcache(Fs.readFileSync(ccache)))
    Fs.rmSync(dir, { recursive: true, force: true })
    const cred = cache.credentials.find((c) => `${c.server.name.components.join("/")}@${c.server.realm}` === service)!
    const ticket = ok(decodeTicket(cred.ticket))
    const entry = ok(decodeKeytab(Fs.readFileSync(keytab(dc)))).find((e) =>
      e.enctype === ticket.encPart.etype && e.kvno === ticket.encPart.kvno
    )!
    const profile = Option.getOrThrow(enctype(entry.enctype))
    const plain = ok(profile.decrypt(entry.key, TICKET_USAGE, ticket.encPart.cipher))
    const part = ok(decodeEncTicketPart(plain))
    const authData = ok(authorizationDataOfEncTicketPart(plain))
    const serviceKey = { enctype: entry.enctype, key: entry.key }
    const pac = Option.getOrThrow(ok(pacOfTicket(authData, serviceKey, { cname: part.cname, authtime: part.authtime })))
    // the same through the EncTicketPart entry point
    expect(Option.getOrThrow(ok(PublicPac.fromEncTicketPart(plain, serviceKey, part))).logonInfo!.userSid).toBe(pac.logonInfo!.userSid)
    // Tampering with the real PAC is refused (MS-PAC 2.8.1).
    const ifRelevant = authData.find((e) => e.adType === 1)!
    const at = Buffer.from(ifRelevant.adData).indexOf(Buffer.from(pac.bytes.subarray(0, 64)))
    const tampered = Uint8Array.from(ifRelevant.adData)
    tampered[at + pac.buffers[0]!.offset + 40] = tampered[at + pac.buffers[0]!.offset + 40]! ^ 0x01
    const refused = pacOfTicket([{ adType: 1, adData: tampered }], serviceKey, { cname: part.cname, authtime: part.authtime })
    expect(Result.isFailure(refused) && refused.failure._tag).toBe("LogonDenied")
    return { dc, pac, etype: ticket.encPart.etype } satisfies Fetched
  })

/** What samba-tool says (asked once per file: each call starts a Python interpreter). */
interface SambaFacts {
  readonly sids: ReadonlyMap<string, string>
  readonly members: ReadonlyMap<string, ReadonlyArray<string>>
}
let facts: SambaFacts | undefined

const sambaFacts = (dc: SambaDc.SambaDc) =>
  Effect.gen(function*() {
    if (facts !== undefined) return facts
    const sids = new Map<string, string>()
    const members = new Map<string, ReadonlyArray<string>>()
    for (const [kind, name] of [["user", "alice"], ["group", "Domain Users"], ["group", "WebUsers"], ["group", "Engineers"], ["group", "Domain Admins"]] as const) {
      const out = yield* SambaDc.sambaTool(dc, [kind, "show", name, "--attributes=objectSid"])
      sids.set(name, /^objectSid: (\S+)$/m.exec(out)?.[1] ?? "")
    }
    for (const group of ["WebUsers", "Engineers", "Domain Users"]) {
      members.set(group, (yield* SambaDc.sambaTool(dc, ["group", "listmembers", group])).split("\n").map((s) => s.trim()))
    }
    facts = { sids, members }
    return facts
  })

/** The PAC's facts equal samba-tool's. */
const checkAgainstSambaTool = ({ dc, pac }: Fetched) =>
  Effect.gen(function*() {
    const { members, sids } = yield* sambaFacts(dc)
    for (const sid of sids.values()) expect(sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/)
    const objectSid = (_kind: "user" | "group", name: string) => Effect.succeed(sids.get(name))
    const li = pac.logonInfo!
    expect(li.userSid).toBe(yield* objectSid("user", "alice"))
    expect(li.logonDomainId).toBe(dc.domainSid)
    expect(li.primaryGroupSid).toBe(yield* objectSid("group", "Domain Users"))
    expect(li.effectiveName).toBe("alice")
    expect(li.fullName).toBe("Alice Liddell")
    expect(li.logonDomainName).toBe("CORP")
    const groups = li.groupSids.map((g) => g.sid)
    for (const group of ["WebUsers", "Engineers", "Domain Users"]) {
      const sid = yield* objectSid("group", group)
      expect(members.get(group)).toContain("alice")
      expect(groups).toContain(sid)
    }
    // a group alice is not in is not in her PAC
    expect(groups).not.toContain(yield* objectSid("group", "Domain Admins"))
    // group memberships carry SE_GROUP_MANDATORY | ENABLED_BY_DEFAULT | ENABLED (7)
    for (const g of li.groupIds) expect(g.attributes).toBe(7)
    expect(pac.clientInfo.name).toBe("alice")
    expect(pac.upnDnsInfo?.upn).toBe("alice@corp.test")
    expect(pac.upnDnsInfo?.dnsDomainName.toUpperCase()).toBe("CORP.TEST")
    expect(pac.upnDnsInfo?.samName).toBe("alice")
    expect(pac.upnDnsInfo?.sid).toBe(li.userSid)
    // the public surface: the Principal's fields
    expect(PublicPac.principalOf(pac)).toMatchObject({
      userSid: li.userSid,
      upn: "alice@corp.test",
      logonDomain: "CORP",
      accountName: "alice",
      fullName: "Alice Liddell"
    })
    // the KDC signature, with the krbtgt key samba-tool exported
    const krbtgt = ok(decodeKeytab(Fs.readFileSync(dc.krbtgtKeytab)))[0]!
    expect(Result.isSuccess(verifyKdcChecksum(pac, { enctype: krbtgt.enctype, key: krbtgt.key }))).toBe(true)
  })

describe("PACs from the Samba AD DC", () => {
  it.live.skipIf(!hasSamba)("HTTP/localhost (user account websvc, RC4): decoded, server signature HMAC-MD5 verified, SIDs equal samba-tool's", () =>
    Effect.gen(function*() {
      const fetched = yield* pacFor("HTTP/localhost@CORP.TEST", (dc) => dc.httpService.keytab)
      expect(fetched.etype).toBe(23)
      expect(fetched.pac.serverChecksum.type).toBe(-138)
      yield* checkAgainstSambaTool(fetched)
    }), 300_000)

  it.live.skipIf(!hasSamba)("HTTP/web1.corp.test (computer WEB1$, AES256): server signature HMAC-SHA1-96-AES256 verified, same SIDs", () =>
    Effect.gen(function*() {
      const fetched = yield* pacFor("HTTP/web1.corp.test@CORP.TEST", (dc) => dc.web1.keytab)
      expect(fetched.etype).toBe(18)
      expect(fetched.pac.serverChecksum.type).toBe(16)
      yield* checkAgainstSambaTool(fetched)
    }), 300_000)

  it.live.skipIf(!hasSamba)(
    "client names as AD gives them: ALICE (case), alice@corp.test as an enterprise name (kinit -E), canonicalized Alice (kinit -C): PAC_CLIENT_INFO matches the ticket, same user SID",
    () =>
      Effect.gen(function*() {
        for (const login of [{ principal: "ALICE@CORP.TEST" }, { principal: "alice@corp.test", flags: ["-E"] }, { principal: "Alice@CORP.TEST", flags: ["-C"] }]) {
          const { dc, pac } = yield* pacFor("HTTP/localhost@CORP.TEST", (dc) => dc.httpService.keytab, login)
          expect(pac.logonInfo!.userSid).toBe(dc.alice.sid)
          expect(pac.clientInfo.name).toBe(login.flags?.[0] === "-C" ? "alice" : login.principal.replace("@CORP.TEST", ""))
        }
      }),
    300_000
  )
})
