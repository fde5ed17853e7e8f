/**
 * Delegation (issue 13) without peers: the RFC 4121 checksum layout byte for
 * byte, the initiator's policy, and every check the acceptor makes of a
 * KRB-CRED, each with the status it answers (forged AP-REQs with a stand-in
 * service key; the real-peer cases are in delegation.interop.test.ts).
 */
import { assert, describe, it } from "@effect/vitest"
import { randomBytes } from "node:crypto"
import { Effect, Option, Result } from "effect"
import * as fc from "fast-check"
import { Flags, SecBuffer } from "@effect-sspi/core"
import { Delegation, Kerberos } from "../src/index.ts"
import { delegates, makeKrbCred } from "../src/internal/context/delegation.ts"
import { enctype } from "../src/internal/crypto/encryptionType.ts"
import { encodeKeytab } from "../src/internal/files/keytab.ts"
import { decodeGssChecksum, encodeGssChecksum, GSS_CHECKSUM_TYPE } from "../src/internal/gss/checksum.ts"
import { frame, TokenId } from "../src/internal/gss/framing.ts"
import type { TicketGrant } from "../src/internal/kdc/client.ts"
import { ApOptions, encodeApReq, encodeAuthenticator } from "../src/internal/messages/ap.ts"
import type { EncryptionKey, PrincipalName } from "../src/internal/messages/common.ts"
import {
  decodeEncKrbCredPart,
  decodeKrbCred,
  type EncKrbCredPart,
  encodeEncKrbCredPart,
  encodeKrbCred,
  type KrbCredInfo
} from "../src/internal/messages/cred.ts"
import { decodeTicket, encodeEncTicketPart, encodeTicket, TicketFlags } from "../src/internal/messages/ticket.ts"
import { encodePaForUser, hmacMd5Checksum, s4uByteArray } from "../src/internal/messages/s4u.ts"
import { rc4HmacProfile } from "../src/internal/crypto/rc4Hmac.ts"

const aes256 = Option.getOrThrow(enctype(18))
const REALM = "TEST.REALM"
const MINUTE = 60_000
const T0 = 1_800_000_000_000
const alice: PrincipalName = { nameType: 1, components: ["alice"] }
const krbtgt: PrincipalName = { nameType: 2, components: ["krbtgt", REALM] }
const http: PrincipalName = { nameType: 2, components: ["HTTP", "localhost"] }
const serviceKey = new Uint8Array(randomBytes(32))
const keytab = encodeKeytab([{ principal: { name: http, realm: REALM }, timestamp: 0, kvno: 2, enctype: 18, key: serviceKey }])
const newKey = (): EncryptionKey => ({ keytype: 18, keyvalue: new Uint8Array(randomBytes(32)) })

const opaqueTicket = (sname: PrincipalName = krbtgt) =>
  Result.getOrThrow(decodeTicket(encodeTicket({ realm: REALM, sname, encPart: { etype: 18, kvno: 1, cipher: new Uint8Array(randomBytes(64)) } })))

/** A forwarded TGT for alice, valid for an hour around T0. */
const forwarded = (): TicketGrant => ({
  client: { name: alice, realm: REALM },
  server: { name: krbtgt, realm: REALM },
  ticket: opaqueTicket(),
  key: newKey(),
  authtime: T0 - MINUTE,
  starttime: T0 - MINUTE,
  endtime: T0 + 60 * MINUTE,
  flags: TicketFlags.FORWARDABLE | TicketFlags.FORWARDED
})

const info = (tgt: TicketGrant, o: Partial<KrbCredInfo> = {}): KrbCredInfo => ({
  key: tgt.key,
  prealm: REALM,
  pname: alice,
  flags: tgt.flags,
  authtime: tgt.authtime,
  starttime: tgt.starttime,
  endtime: tgt.endtime,
  srealm: REALM,
  sname: krbtgt,
  ...o
})

/** A KRB-CRED with any field chosen: the part, the key (undefined: not encrypted, etype 0), the tickets. */
const krbCred = (part: EncKrbCredPart, key: EncryptionKey | undefined, tickets = [opaqueTicket()]) => {
  const plain = encodeEncKrbCredPart(part)
  return encodeKrbCred({
    tickets,
    encPart: key === undefined ? { etype: 0, cipher: plain } : { etype: key.keytype, cipher: aes256.encrypt(key.keyvalue, 14, plain) }
  })
}

/** A framed AP-REQ from alice whose 0x8003 checksum is `checksum(sessionKey, subkey)`. */
const apReq = (checksum: (session: EncryptionKey, subkey: EncryptionKey) => Uint8Array) => {
  const session = newKey()
  const subkey = newKey()
  const encPart = encodeEncTicketPart({ flags: 0, key: session, crealm: REALM, cname: alice, authtime: T0 - MINUTE, endtime: T0 + 60 * MINUTE })
  const ticket = Result.getOrThrow(decodeTicket(encodeTicket({ realm: REALM, sname: http, encPart: { etype: 18, kvno: 2, cipher: aes256.encrypt(serviceKey, 2, encPart) } })))
  const authenticator = encodeAuthenticator({
    crealm: REALM,
    cname: alice,
    cksum: { cksumtype: GSS_CHECKSUM_TYPE, checksum: checksum(session, subkey) },
    cusec: 0,
    ctime: T0,
    subkey,
    seqNumber: 7
  })
  return frame(TokenId.AP_REQ, encodeApReq({
    options: ApOptions.MUTUAL_REQUIRED,
    ticket,
    authenticator: { etype: 18, cipher: aes256.encrypt(session.keyvalue, 11, authenticator) }
  }))
}

const FLAGS = 2 | 4 | 8 | 16 | 32
const withDeleg = (deleg: Uint8Array) => (_: EncryptionKey, __: EncryptionKey) => encodeGssChecksum(new Uint8Array(16), FLAGS | 1, deleg)

const pkgEffect = Kerberos.make({ krb5Config: "/nonexistent", env: {} })

/** Our acceptor on `token` at T0: the step, or the error's status. */
const accept = (token: Uint8Array) =>
  Effect.gen(function*() {
    const pkg = yield* pkgEffect
    const cred = yield* pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab }, now: T0 })
    return yield* pkg.accept(cred.credential, undefined, { targetName: undefined, contextReq: 0, dataRep: 0, input: [SecBuffer.token(token)], now: T0 })
  })
const statusOf = (token: Uint8Array) =>
  accept(token).pipe(Effect.map((s) => s.status as string), Effect.catch((e) => Effect.succeed(e.status as string)))

describe("RFC 4121 4.1.1 checksum with delegation", () => {
  it("encodes Lgth, Bnd, Flags, DlgOpt = 1, Dlen and Deleg, little-endian, byte for byte", () => {
    const bnd = Uint8Array.from({ length: 16 }, (_, i) => i)
    const out = encodeGssChecksum(bnd, 0x3f, Uint8Array.of(0xaa, 0xbb, 0xcc))
    assert.strictEqual(
      Buffer.from(out).toString("hex"),
      "10000000" + "000102030405060708090a0b0c0d0e0f" + "3f000000" + "0100" + "0300" + "aabbcc"
    )
    const back = Result.getOrThrow(decodeGssChecksum(out))
    assert.deepStrictEqual([...back.deleg!], [0xaa, 0xbb, 0xcc])
    assert.strictEqual(back.flags, 0x3f)
  })

  it("a DELEG flag without DlgOpt/Dlen, DlgOpt ≠ 1, or Dlen beyond the value is refused; extensions after Deleg are allowed", () => {
    const base = encodeGssChecksum(new Uint8Array(16), FLAGS | 1)
    assert.isTrue(Result.isFailure(decodeGssChecksum(base)))
    const badOpt = encodeGssChecksum(new Uint8Array(16), FLAGS | 1, Uint8Array.of(1))
    badOpt[24] = 2
    assert.isTrue(Result.isFailure(decodeGssChecksum(badOpt)))
    const long = encodeGssChecksum(new Uint8Array(16), FLAGS | 1, Uint8Array.of(1))
    long[26] = 2
    assert.isTrue(Result.isFailure(decodeGssChecksum(long)))
    const ext = new Uint8Array([...encodeGssChecksum(new Uint8Array(16), FLAGS | 1, Uint8Array.of(9)), 0, 0, 0, 0])
    assert.deepStrictEqual([...Result.getOrThrow(decodeGssChecksum(ext)).deleg!], [9])
  })

  it("property: any bytes decode to a result (never a throw), and Deleg never reaches past the value", () =>
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, deleg) => {
      const v = Uint8Array.from(bytes)
      if (deleg && v.length >= 24) {
        v[0] = 16, v[1] = 0, v[2] = 0, v[3] = 0, v[20] = v[20]! | 1
      }
      const r = decodeGssChecksum(v)
      if (Result.isSuccess(r) && r.success.deleg !== undefined) assert.isAtMost(28 + r.success.deleg.length, v.length)
    })))
})

describe("KRB-CRED codec (RFC 4120 5.8)", () => {
  it("property: EncKrbCredPart round-trips; random bytes never throw", () =>
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 40 }),
      fc.option(fc.integer({ min: 0, max: 0x7fffffff }), { nil: undefined }),
      fc.option(fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 3 }), { nil: undefined }),
      fc.uint8Array({ maxLength: 80 }),
      (key, nonce, addrs, junk) => {
        const part: EncKrbCredPart = {
          ticketInfo: [{ key: { keytype: 18, keyvalue: key }, prealm: REALM, pname: alice, endtime: T0, caddr: addrs?.map((a) => ({ addrType: 2, address: a })) }],
          nonce,
          timestamp: T0
        }
        const back = Result.getOrThrow(decodeEncKrbCredPart(encodeEncKrbCredPart(part)))
        assert.deepStrictEqual([...back.ticketInfo[0]!.key.keyvalue], [...key])
        assert.strictEqual(back.nonce, nonce)
        assert.strictEqual(back.ticketInfo[0]!.caddr?.length, addrs?.length)
        assert.isTrue(Result.isFailure(decodeKrbCred(junk)) || Result.isSuccess(decodeKrbCred(junk)))
        assert.isTrue(Result.isFailure(decodeEncKrbCredPart(junk)) || Result.isSuccess(decodeEncKrbCredPart(junk)))
      }
    )))
})

describe("initiator policy (curl --delegation none|policy|always)", () => {
  it("policy follows OK-AS-DELEGATE; always ignores it; none never delegates", () => {
    const trusted = { ...forwarded(), flags: TicketFlags.OK_AS_DELEGATE }
    const untrusted = { ...forwarded(), flags: 0 }
    assert.deepStrictEqual(
      (["none", "policy", "always"] as const).map((p) => [delegates(p, trusted), delegates(p, untrusted)]),
      [[false, false], [true, false], [true, true]]
    )
  })
})

describe("acceptor checks of a delegated KRB-CRED (RFC 4121 4.1.1, RFC 4120 5.8)", () => {
  it.effect("a good KRB-CRED in the session key → ASC_RET_DELEGATE, alice's TGT with its key, usable as a credential; zeroed on delete", () =>
    Effect.gen(function*() {
      const tgt = forwarded()
      const step = yield* accept(apReq((session) => encodeGssChecksum(new Uint8Array(16), FLAGS | 1, makeKrbCred(tgt, aes256, session, T0))))
      assert.strictEqual(step.attributes & Flags.AscRet.DELEGATE, Flags.AscRet.DELEGATE)
      const kept = step.state.delegated!
      assert.deepStrictEqual(kept.client, { name: alice, realm: REALM })
      assert.deepStrictEqual([...kept.key.keyvalue], [...tgt.key.keyvalue])
      assert.deepStrictEqual([...kept.ticket.der], [...tgt.ticket.der])
      const cred = yield* Delegation.delegatedCredential(step.state)
      assert.strictEqual(cred.tickets.length, 1)
      assert.notStrictEqual(cred.tickets[0]!.key.keyvalue, kept.key.keyvalue, "the credential owns a copy")
      const authData = yield* Delegation.delegatedAuthData(step.state)
      assert.isTrue(Delegation.isDelegatedAuthData(authData))
      assert.notInclude(JSON.stringify(authData), Buffer.from(kept.key.keyvalue).toString("hex"))
      const pkg = yield* pkgEffect
      yield* pkg.deleteContext(step.state)
      assert.isTrue(kept.key.keyvalue.every((b) => b === 0))
      assert.isTrue(cred.tickets[0]!.key.keyvalue.some((b) => b !== 0))
      // authData taken before the delete gives nothing afterwards (the key it refers to is zero)
      assert.strictEqual((yield* Effect.flip(Delegation.fromDelegatedAuthData(authData))).status, "SEC_E_NO_CREDENTIALS")
    }))

  it.effect("encrypted in the authenticator's subkey → accepted too", () =>
    Effect.gen(function*() {
      const step = yield* accept(apReq((_, subkey) => encodeGssChecksum(new Uint8Array(16), FLAGS | 1, makeKrbCred(forwarded(), aes256, subkey, T0))))
      assert.isDefined(step.state.delegated)
    }))

  it.effect("no Deleg → no ASC_RET_DELEGATE and SEC_E_NO_CREDENTIALS from delegatedCredential", () =>
    Effect.gen(function*() {
      const step = yield* accept(apReq(() => encodeGssChecksum(new Uint8Array(16), FLAGS)))
      assert.strictEqual(step.attributes & Flags.AscRet.DELEGATE, 0)
      const e = yield* Effect.flip(Delegation.delegatedCredential(step.state))
      assert.strictEqual(e.status, "SEC_E_NO_CREDENTIALS")
    }))

  const refused: ReadonlyArray<readonly [string, string, (s: EncryptionKey, t: TicketGrant) => Uint8Array]> = [
    ["another client's TGT (bob)", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t, { pname: { nameType: 1, components: ["bob"] } })] }, s)],
    ["another realm's client", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t, { prealm: "EVIL.REALM" })] }, s)],
    ["no client name", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t, { pname: undefined })] }, s)],
    ["not encrypted (etype 0)", "SEC_E_INVALID_TOKEN", (_, t) => krbCred({ ticketInfo: [info(t)] }, undefined)],
    ["encrypted in another key", "SEC_E_LOGON_DENIED", (_, t) => krbCred({ ticketInfo: [info(t)] }, newKey())],
    ["malformed KRB-CRED", "SEC_E_INVALID_TOKEN", () => Uint8Array.of(0x76, 0x03, 0x30, 0x01, 0x00)],
    ["a service ticket, not a TGT", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t, { sname: http })] }, s, [opaqueTicket(http)])],
    ["ticket-info naming another ticket", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t)] }, s, [opaqueTicket(http)])],
    ["a cross-realm TGT (krbtgt/EVIL.REALM@TEST.REALM)", "SEC_E_INVALID_TOKEN", (s, t) => {
      const crossRealm: PrincipalName = { nameType: 2, components: ["krbtgt", "EVIL.REALM"] }
      return krbCred({ ticketInfo: [info(t, { sname: crossRealm })] }, s, [opaqueTicket(crossRealm)])
    }],
    ["two tickets", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t), info(t)] }, s, [opaqueTicket(), opaqueTicket()])],
    ["a key of the wrong length", "SEC_E_INVALID_TOKEN", (s, t) => krbCred({ ticketInfo: [info(t, { key: { keytype: 18, keyvalue: new Uint8Array(5) } })] }, s)],
    ["a timestamp an hour away", "SEC_E_TIME_SKEW", (s, t) => krbCred({ ticketInfo: [info(t)], timestamp: T0 - 60 * MINUTE }, s)]
  ]
  for (const [name, status, make] of refused) {
    it.effect(`${name} → ${status}`, () =>
      Effect.gen(function*() {
        assert.strictEqual(yield* statusOf(apReq((s) => withDeleg(make(s, forwarded()))(s, s))), status)
      }))
  }

  const droppedCases: ReadonlyArray<readonly [string, (t: TicketGrant) => KrbCredInfo]> = [
    ["an expired TGT", (t) => info(t, { endtime: T0 - 10 * MINUTE })],
    ["a TGT valid only later", (t) => info(t, { starttime: T0 + 30 * MINUTE })],
    ["an address-bound TGT", (t) => info(t, { caddr: [{ addrType: 2, address: Uint8Array.of(10, 0, 0, 1) }] })]
  ]
  for (const [name, make] of droppedCases) {
    it.effect(`${name} → SEC_E_OK without ASC_RET_DELEGATE, nothing kept`, () =>
      Effect.gen(function*() {
        const step = yield* accept(apReq((s) => withDeleg(krbCred({ ticketInfo: [make(forwarded())] }, s))(s, s)))
        assert.strictEqual(step.status, "SEC_E_OK")
        assert.strictEqual(step.attributes & Flags.AscRet.DELEGATE, 0)
        assert.isUndefined(step.state.delegated)
      }))
  }

  it.effect("property: any Deleg bytes, or a good KRB-CRED with one byte flipped → a typed status, never a defect", () =>
    Effect.gen(function*() {
      const statuses = new Set<string>()
      const samples = fc.sample(fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => () => b),
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => (s: EncryptionKey) => {
          const good = makeKrbCred(forwarded(), aes256, s, T0)
          good[i % good.length]! ^= x
          return good
        })
      ), 150)
      for (const make of samples) {
        const exit = yield* Effect.exit(statusOf(apReq((s) => withDeleg(make(s))(s, s))))
        assert.isTrue(exit._tag === "Success", "no defect")
        if (exit._tag === "Success") statuses.add(exit.value)
      }
      for (const s of statuses) assert.include(["SEC_E_OK", "SEC_E_INVALID_TOKEN", "SEC_E_LOGON_DENIED", "SEC_E_TIME_SKEW"], s)
    }))

  it.effect("a Dlen beyond the checksum → SEC_E_INVALID_TOKEN", () =>
    Effect.gen(function*() {
      const token = apReq((s) => {
        const c = encodeGssChecksum(new Uint8Array(16), FLAGS | 1, makeKrbCred(forwarded(), aes256, s, T0))
        c[26] = 0xff
        c[27] = 0xff
        return c
      })
      assert.strictEqual(yield* statusOf(token), "SEC_E_INVALID_TOKEN")
    }))
})

describe("S4U2Self PA-FOR-USER (MS-SFU 2.2.1)", () => {
  it("S4UByteArray byte for byte, and the HMAC-MD5 checksum equals RFC 4757's for a 16-byte key (usage 17)", () => {
    const user = { name: alice, realm: REALM }
    assert.strictEqual(Buffer.from(s4uByteArray(user, "Kerberos")).toString("hex"), "01000000" + Buffer.from("aliceTEST.REALMKerberos").toString("hex"))
    const key = new Uint8Array(randomBytes(16))
    const data = s4uByteArray(user, "Kerberos")
    assert.deepStrictEqual([...hmacMd5Checksum(key, 17, data)], [...rc4HmacProfile.checksum(key, 17, data)])
    const aesKey = newKey()
    const pa = Buffer.from(encodePaForUser(user, aesKey)).toString("hex")
    assert.include(pa, Buffer.from(hmacMd5Checksum(aesKey.keyvalue, 17, data)).toString("hex"), "keyed with the (AES) TGT session key")
    assert.include(pa, Buffer.from("Kerberos").toString("hex"))
  })
})
