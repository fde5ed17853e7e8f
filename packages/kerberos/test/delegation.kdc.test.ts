/**
 * The client side of delegation and S4U against a forging KDC (a `KdcSend`
 * that answers what a spoofing or broken KDC could): the requests' fields
 * (FORWARDED, PA-FOR-USER and its checksum, CNAME-IN-ADDL-TKT with the
 * evidence ticket) and the checks of each reply. The real KDCs are in
 * delegation.interop.test.ts (MIT) and delegation.samba.test.ts (Samba AD).
 */
import { assert, describe, it } from "@effect/vitest"
import { randomBytes } from "node:crypto"
import { Effect, Option, Result } from "effect"
import { Flags } from "@effect-sspi/core"
import type { KerberosCredential } from "../src/internal/context/credential.ts"
import { s4u2proxy, s4u2self } from "../src/internal/context/s4u.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { forwardedTgt, type KdcSend, type TicketGrant } from "../src/internal/kdc/client.ts"
import type { PrincipalName } from "../src/internal/messages/common.ts"
import { encodeKrbError, ErrorCode } from "../src/internal/messages/error.ts"
import { decodeKdcReq, encodeEncKdcRepPart, encodeKdcRep, KdcOptions } from "../src/internal/messages/kdc.ts"
import { decodeApReq } from "../src/internal/messages/ap.ts"
import { encodePaForUser, PA_FOR_USER, PA_PAC_OPTIONS } from "../src/internal/messages/s4u.ts"
import { decodeTicket, encodeTicket, TicketFlags } from "../src/internal/messages/ticket.ts"
import { resolveSettings } from "../src/internal/settings.ts"

const aes256 = Option.getOrThrow(enctype(18))
const REALM = "TEST.REALM"
const T0 = 1_800_000_000_000
const name = (...components: Array<string>): PrincipalName => ({ nameType: components.length > 1 ? 2 : 1, components })
const krbtgt = name("krbtgt", REALM)
const ticketFor = (sname: PrincipalName) =>
  Result.getOrThrow(decodeTicket(encodeTicket({ realm: REALM, sname, encPart: { etype: 18, kvno: 1, cipher: new Uint8Array(randomBytes(48)) } })))

const tgtOf = (client: PrincipalName, flags: number): TicketGrant => ({
  client: { name: client, realm: REALM },
  server: { name: krbtgt, realm: REALM },
  ticket: ticketFor(krbtgt),
  key: { keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) },
  authtime: T0,
  starttime: T0,
  endtime: T0 + 3_600_000,
  flags
})

interface Seen {
  readonly requests: Array<ReturnType<typeof decodeKdcReq> extends Result.Result<infer A, any> ? A : never>
  readonly raw?: Array<Uint8Array>
}

/** A KDC that answers every TGS-REQ with a TGS-REP for `reply` (cname, sname, flags) in the TGT's key, or with `error`. */
const forging = (tgt: TicketGrant, reply: { cname: PrincipalName; sname: PrincipalName; flags: number } | { error: number }, seen: Seen): KdcSend =>
  (_realm, bytes) =>
    Effect.sync(() => {
      const req = Result.getOrThrow(decodeKdcReq(bytes))
      seen.requests.push(req)
      seen.raw?.push(bytes)
      if ("error" in reply) {
        return encodeKrbError({ stime: T0, susec: 0, errorCode: reply.error, realm: REALM, sname: req.body.sname })
      }
      const part = encodeEncKdcRepPart(26, {
        key: { keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) },
        nonce: req.body.nonce,
        flags: reply.flags,
        authtime: T0,
        endtime: T0 + 3_600_000,
        srealm: REALM,
        sname: reply.sname
      })
      return encodeKdcRep(13, {
        padata: [],
        crealm: REALM,
        cname: reply.cname,
        ticket: ticketFor(reply.sname),
        encPart: { etype: 18, cipher: aes256.encrypt(tgt.key.keyvalue, 8, part) }
      })
    })

const settingsWith = (send: KdcSend) =>
  Effect.map(resolveSettings({ krb5Config: "/nonexistent", env: {} }), (s) => ({ ...s, send }))

const serviceCred = (tgt: TicketGrant): KerberosCredential => ({
  use: Flags.CredentialUse.OUTBOUND,
  client: tgt.client,
  secret: undefined,
  tickets: [tgt],
  serviceKeys: [],
  acceptAs: undefined
})

const alice = name("alice")
const svc = name("websvc")

describe("forwarded TGT (RFC 4120 2.6)", () => {
  it.effect("asks krbtgt with FORWARDED|FORWARDABLE and returns the KDC's forwarded TGT", () =>
    Effect.gen(function*() {
      const tgt = tgtOf(alice, TicketFlags.FORWARDABLE)
      const seen: Seen = { requests: [] }
      const fwd = yield* forwardedTgt(forging(tgt, { cname: alice, sname: krbtgt, flags: TicketFlags.FORWARDABLE | TicketFlags.FORWARDED }, seen), tgt, T0)
      assert.strictEqual(seen.requests[0]!.body.options, KdcOptions.FORWARDED | KdcOptions.FORWARDABLE)
      assert.deepStrictEqual(seen.requests[0]!.body.sname.components, ["krbtgt", REALM])
      assert.strictEqual(fwd.flags & TicketFlags.FORWARDED, TicketFlags.FORWARDED)
    }))

  it.effect("a TGT without FORWARDABLE → SEC_E_DELEGATION_POLICY, and nothing is sent", () =>
    Effect.gen(function*() {
      const tgt = tgtOf(alice, 0)
      const seen: Seen = { requests: [] }
      const e = yield* Effect.flip(forwardedTgt(forging(tgt, { cname: alice, sname: krbtgt, flags: TicketFlags.FORWARDED }, seen), tgt, T0))
      assert.strictEqual(e.status, "SEC_E_DELEGATION_POLICY")
      assert.strictEqual(seen.requests.length, 0)
    }))

  it.effect("a reply without FORWARDED, or for another client → SEC_E_INVALID_TOKEN", () =>
    Effect.gen(function*() {
      const tgt = tgtOf(alice, TicketFlags.FORWARDABLE)
      const notForwarded = yield* Effect.flip(forwardedTgt(forging(tgt, { cname: alice, sname: krbtgt, flags: TicketFlags.FORWARDABLE }, { requests: [] }), tgt, T0))
      assert.strictEqual(notForwarded.status, "SEC_E_INVALID_TOKEN")
      const other = yield* Effect.flip(forwardedTgt(forging(tgt, { cname: name("mallory"), sname: krbtgt, flags: TicketFlags.FORWARDED }, { requests: [] }), tgt, T0))
      assert.strictEqual(other.status, "SEC_E_INVALID_TOKEN")
    }))
})

describe("S4U2Self and S4U2Proxy requests and replies (MS-SFU)", () => {
  it.effect("S4U2Self: a TGS-REQ to the service itself with PA-FOR-USER keyed with the TGT session key; the reply's client is the user", () =>
    Effect.gen(function*() {
      const tgt = tgtOf(svc, TicketFlags.FORWARDABLE)
      const seen: Seen = { requests: [] }
      const settings = yield* settingsWith(forging(tgt, { cname: alice, sname: svc, flags: TicketFlags.FORWARDABLE }, seen))
      const cred = yield* s4u2self(settings, serviceCred(tgt), { name: alice, realm: REALM }, T0)
      assert.deepStrictEqual(cred.client, { name: alice, realm: REALM })
      const req = seen.requests[0]!
      assert.deepStrictEqual(req.body.sname.components, ["websvc"])
      const pa = req.padata.find((p) => p.type === PA_FOR_USER)!
      assert.deepStrictEqual([...pa.value], [...encodePaForUser({ name: alice, realm: REALM }, tgt.key)])
      assert.isTrue(Result.isSuccess(decodeApReq(req.padata[0]!.value)), "PA-TGS-REQ first")
    }))

  it.effect("S4U2Self: a reply for another user (or to another service) → SEC_E_INVALID_TOKEN", () =>
    Effect.gen(function*() {
      const tgt = tgtOf(svc, TicketFlags.FORWARDABLE)
      for (const reply of [{ cname: name("administrator"), sname: svc }, { cname: alice, sname: name("HTTP", "other") }]) {
        const settings = yield* settingsWith(forging(tgt, { ...reply, flags: 0 }, { requests: [] }))
        const e = yield* Effect.flip(s4u2self(settings, serviceCred(tgt), { name: alice, realm: REALM }, T0))
        assert.strictEqual(e.status, "SEC_E_INVALID_TOKEN")
      }
    }))

  it.effect("S4U2Proxy: CNAME-IN-ADDL-TKT, the evidence as additional ticket, PA-PAC-OPTIONS; a reply for another client → SEC_E_INVALID_TOKEN; KDC_ERR_BADOPTION → SEC_E_DELEGATION_POLICY naming the back-end", () =>
    Effect.gen(function*() {
      const tgt = tgtOf(svc, TicketFlags.FORWARDABLE)
      const evidence = { ...tgtOf(alice, TicketFlags.FORWARDABLE), server: { name: svc, realm: REALM }, ticket: ticketFor(svc) }
      const backend = { name: name("HTTP", "backend"), realm: REALM }
      const seen: Seen = { requests: [], raw: [] }
      const ok = yield* settingsWith(forging(tgt, { cname: alice, sname: backend.name, flags: 0 }, seen))
      const cred = yield* s4u2proxy(ok, serviceCred(tgt), evidence, backend, T0)
      assert.deepStrictEqual(cred.client, { name: alice, realm: REALM })
      const req = seen.requests[0]!
      assert.strictEqual(req.body.options & KdcOptions.CNAME_IN_ADDL_TKT, KdcOptions.CNAME_IN_ADDL_TKT)
      assert.isTrue(req.padata.some((p) => p.type === PA_PAC_OPTIONS))
      assert.isTrue(Buffer.from(seen.raw![0]!).includes(Buffer.from(evidence.ticket.der)), "the evidence ticket travels as additional-tickets [11]")

      const mallory = yield* settingsWith(forging(tgt, { cname: name("mallory"), sname: backend.name, flags: 0 }, { requests: [] }))
      assert.strictEqual((yield* Effect.flip(s4u2proxy(mallory, serviceCred(tgt), evidence, backend, T0))).status, "SEC_E_INVALID_TOKEN")

      const refusing = yield* settingsWith(forging(tgt, { error: ErrorCode.KDC_ERR_BADOPTION }, { requests: [] }))
      const e = yield* Effect.flip(s4u2proxy(refusing, serviceCred(tgt), evidence, backend, T0))
      assert.strictEqual(e.status, "SEC_E_DELEGATION_POLICY")
      assert.include(e.detail, "HTTP/backend@TEST.REALM")
    }))
})
