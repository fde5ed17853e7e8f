/**
 * NTLM verified by the domain, end to end against the REAL Samba AD DC
 * (scripts/peers/samba-dc.sh through the harness): real clients (our
 * initiator, gss-ntlmssp, python3-ntlm-auth, curl --ntlm) → our acceptor
 * with a DomainVerifier over NetlogonClient (machine account WEB1$, AES
 * secure channel, NetrLogonSamLogonWithFlags). Nothing is mocked.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted } from "effect"
import { Credentials, Flags, SecurityContext, SecurityStatus } from "@effect-sspi/core"
import { Drivers, Ours, requirePeersSync, SambaDc } from "@effect-sspi/interop-harness"
import { domainRuntime, settings, web1Names } from "./support/domain.ts"
import { curlInitiator } from "./support/peers.ts"

const hasDc = SambaDc.availableSync()
const hasGss = hasDc && requirePeersSync("ntlm")
const hasNtlmAuth = hasDc && requirePeersSync("ntlm", "ntlmAuth")
const hasCurl = hasDc && requirePeersSync("curl")

const statusOf = (exit: Exit.Exit<unknown, unknown>) => SecurityStatus.nameOf(SecurityStatus.fromExit(exit as Exit.Exit<unknown, never>))

const acceptorWith = (contextReq: number) =>
  Effect.gen(function*() {
    const credential = yield* Credentials.acquire({ packageName: "NTLM", credentialUse: Flags.CredentialUse.INBOUND })
    return yield* SecurityContext.acceptor(credential, { contextReq })
  })
/** An acceptor that requires signing and sealing. */
const acceptor = acceptorWith(Flags.AscReq.CONFIDENTIALITY | Flags.AscReq.INTEGRITY | Flags.AscReq.REPLAY_DETECT)
/** An HTTP server's acceptor (curl negotiates no signing). */
const httpAcceptor = acceptorWith(0)

/** Runs `body` with the DC started and our runtime verified by it. */
const withDc = <A, E>(body: (dc: SambaDc.SambaDc) => Effect.Effect<A, E, any>) =>
  Effect.scoped(Effect.gen(function*() {
    const dc = yield* SambaDc.start()
    return yield* body(dc).pipe(Effect.provide(domainRuntime(settings(dc))))
  }))

/** alice's identity as samba-tool reports it (her SID, Domain Users primary, WebUsers and Engineers). */
const assertAlice = (dc: SambaDc.SambaDc, context: SecurityContext.SecurityContext) =>
  Effect.gen(function*() {
    assert.strictEqual((yield* context.query("Names")).userName, "CORP\\alice")
    const { identity } = yield* context.query("LogonInfo")
    assert.isDefined(identity)
    assert.strictEqual(identity!.userSid, dc.alice.sid)
    assert.strictEqual(identity!.primaryGroupSid, dc.groups.domainUsers)
    assert.strictEqual(identity!.logonDomain, "CORP")
    assert.strictEqual(identity!.accountName, "alice")
    // exactly the groups samba-tool reports alice in (Domain Users, WebUsers, Engineers), all SE_GROUP_MANDATORY|ENABLED_BY_DEFAULT|ENABLED
    assert.deepStrictEqual(
      identity!.groupSids.map((g) => g.sid).sort(),
      [dc.groups.domainUsers, dc.groups.webUsers, dc.groups.engineers].sort()
    )
    assert.isTrue(identity!.groupSids.every((g) => g.attributes === 7))
    assert.include(dc.members.webUsers, "alice")
    assert.include(dc.members.engineers, "alice")
    assert.strictEqual(identity!.upn, `alice@${dc.realm.toLowerCase()}`)
    assert.strictEqual(identity!.dnsDomain, dc.realm.toLowerCase())
  })

const denied = (user: string, password: string) => (dc: SambaDc.SambaDc) =>
  Effect.gen(function*() {
    const peer = yield* Drivers.ntlmAuthClient({ user, domain: dc.domain, password })
    const ours = yield* acceptor
    const exit = yield* Effect.exit(Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(ours)))
    const detail = Exit.isFailure(exit) ? (Cause.squash(exit.cause) as { detail?: string }).detail : undefined
    return { status: statusOf(exit), detail }
  })

describe("NTLM acceptor verified by the Samba DC through Netlogon", () => {
  it.live.skipIf(!hasDc)("our initiator → our acceptor: SEC_E_OK, alice's SIDs, sign and seal both ways with the DC's key", () =>
    withDc((dc) =>
      Effect.gen(function*() {
        const client = yield* SecurityContext.initiator(
          yield* Credentials.acquire({
            packageName: "NTLM",
            credentialUse: Flags.CredentialUse.OUTBOUND,
            authData: { user: "alice", domain: dc.domain, password: Redacted.make(dc.alice.password) }
          }),
          {
            // one of the package's own names: the loopback handshake its reflection check lets through
            targetName: "HTTP/web1.corp.test",
            contextReq: Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT
          }
        )
        const server = yield* acceptor
        const result = yield* Drivers.handshake(yield* Ours.ourStepper(client), yield* Ours.ourStepper(server))
        assert.strictEqual(result.legs, 3)
        yield* assertAlice(dc, server)
        assert.deepStrictEqual((yield* server.query("SessionKey")).key, (yield* client.query("SessionKey")).key)
        const enc = new TextEncoder()
        for (const [from, to] of [[client, server], [server, client]] as const) {
          const message = enc.encode("signed and sealed with the DC's key")
          yield* to.verifySignature(message, yield* from.makeSignature(message))
          const opened = yield* to.decrypt(yield* from.encrypt(message))
          assert.deepStrictEqual(opened.buffers.find((b) => b.data.length === message.length)?.data, message)
        }
      })
    ), 120_000)

  it.live.skipIf(!hasGss)("gss-ntlmssp → our acceptor: SEC_E_OK, alice's SIDs, MIC and wrap both ways", () =>
    withDc((dc) =>
      Effect.gen(function*() {
        const peer = yield* Drivers.gssPeer({
          role: "initiate", mech: "ntlm", target: "HTTP@web1.corp.test", domain: dc.domain, user: "alice", password: dc.alice.password
        })
        const server = yield* acceptor
        const result = yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(server))
        yield* assertAlice(dc, server)
        assert.strictEqual(result.initiator?.session_key, Buffer.from((yield* server.query("SessionKey")).key).toString("base64"))
        yield* Ours.exchangeMessages(server, peer)
      })
    ), 120_000)

  it.live.skipIf(!hasNtlmAuth)("python3-ntlm-auth → our acceptor: SEC_E_OK, alice's SIDs, sign and seal both ways", () =>
    withDc((dc) =>
      Effect.gen(function*() {
        const peer = yield* Drivers.ntlmAuthClient({ user: "alice", domain: dc.domain, password: dc.alice.password })
        const server = yield* acceptor
        yield* Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(server))
        yield* assertAlice(dc, server)
        yield* Ours.exchangeMessages(server, peer)
      })
    ), 120_000)

  it.live.skipIf(!hasCurl)("curl --ntlm → our acceptor: SEC_E_OK as CORP\\alice with her SIDs", () =>
    withDc((dc) =>
      Effect.gen(function*() {
        const curl = yield* curlInitiator(`CORP\\alice:${dc.alice.password}`)
        const server = yield* httpAcceptor
        yield* Drivers.handshake(curl, yield* Ours.ourStepper(server))
        yield* assertAlice(dc, server)
      })
    ), 120_000)

  it.live.skipIf(!hasNtlmAuth)("wrong password, disabled carol, unknown user: the same SEC_E_LOGON_DENIED", () =>
    withDc((dc) =>
      Effect.gen(function*() {
        const wrong = yield* denied("alice", "not-her-password")(dc)
        const disabled = yield* denied("carol", dc.carol.password)(dc)
        const unknown = yield* denied("nobody", "x")(dc)
        for (const r of [wrong, disabled, unknown]) assert.strictEqual(r.status, "SEC_E_LOGON_DENIED")
        // a client cannot tell a wrong password from an unknown user, not even by the detail
        assert.strictEqual(wrong.detail, unknown.detail)
      })
    ), 120_000)

  it.live.skipIf(!hasCurl)("curl with a wrong password: SEC_E_LOGON_DENIED", () =>
    withDc(() =>
      Effect.gen(function*() {
        const curl = yield* curlInitiator("CORP\\alice:wrong")
        const exit = yield* Effect.exit(Drivers.handshake(curl, yield* Ours.ourStepper(yield* httpAcceptor)))
        assert.strictEqual(statusOf(exit), "SEC_E_LOGON_DENIED")
      })
    ), 120_000)

  it.live.skipIf(!hasNtlmAuth)("a CHALLENGE that announces another computer than the machine account: the DC refuses (SEC_E_LOGON_DENIED)", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* SambaDc.start()
      const result = yield* denied("alice", dc.alice.password)(dc).pipe(
        Effect.provide(domainRuntime(settings(dc), { serverNames: { ...web1Names, netbiosComputer: "OTHER" } }))
      )
      assert.strictEqual(result.status, "SEC_E_LOGON_DENIED")
    })), 120_000)

  it.live.skipIf(!hasNtlmAuth)("no DC listening: SEC_E_NO_AUTHENTICATING_AUTHORITY naming the DC, never a wrong password", () =>
    Effect.scoped(Effect.gen(function*() {
      const peer = yield* Drivers.ntlmAuthClient({ user: "alice", domain: "CORP", password: "Passw0rd!" })
      const error = yield* Effect.flip(Drivers.handshake(Drivers.stepper(peer), yield* Ours.ourStepper(yield* acceptor)))
      assert.strictEqual(statusOf(Exit.fail(error)), "SEC_E_NO_AUTHENTICATING_AUTHORITY")
      assert.include((error as { detail?: string }).detail, "127.0.0.9")
    }).pipe(Effect.provide(domainRuntime({
      dc: "127.0.0.9",
      domain: "CORP",
      machineAccount: "WEB1$",
      machinePassword: Redacted.make("x"),
      timeout: "2 seconds"
    })))), 60_000)
})
