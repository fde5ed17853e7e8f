/**
 * Smoke tests of the harness itself: both sides are the Python drivers, so
 * these prove the harness (process handling, line protocol, realm), not our
 * SSPI code. Missing peers: loud skip, or failure with CI=true.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { Drivers, Peer, Realm, requirePeersSync } from "@effect-sspi/interop-harness"

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

const hasNtlm = requirePeersSync("ntlm")
const hasNtlmAuth = requirePeersSync("ntlm", "ntlmAuth")
const hasKrb5 = requirePeersSync("krb5")

const USER = { domain: "EFFECT", user: "alice", password: "Passw0rd!" }

/** wrap/unwrap and get_mic/verify_mic in both directions, then a tampered token. */
const exchangeMessages = (initiator: Peer.Peer, acceptor: Peer.Peer) =>
  Effect.gen(function*() {
    for (const [src, dst] of [[initiator, acceptor], [acceptor, initiator]] as const) {
      const msg = bytes(`hello from ${src.name}`)
      const sealed = yield* Drivers.wrap(src, msg, true)
      assert.isTrue(sealed.conf)
      const opened = yield* Drivers.unwrap(dst, sealed.token)
      assert.strictEqual(text(opened.message), text(msg))
      assert.isTrue(opened.conf)
      const mic = yield* Drivers.getMic(src, msg)
      yield* Drivers.verifyMic(dst, msg, mic)
    }
    const sealed = yield* Drivers.wrap(initiator, bytes("tamper"), true)
    const bad = Uint8Array.from(sealed.token)
    bad[bad.length - 1]! ^= 1
    const exit = yield* Effect.exit(Drivers.unwrap(acceptor, bad))
    assert.isTrue(Exit.isFailure(exit), "a tampered token must be refused")
  })

describe("interop harness", () => {
  it.live.skipIf(!hasNtlm)("gss_peer NTLM initiator <-> gss_peer NTLM acceptor (gss-ntlmssp)", () =>
    Effect.scoped(Effect.gen(function*() {
      const users = yield* Drivers.ntlmUserFile([USER])
      const acceptor = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users } })
      const initiator = yield* Drivers.gssPeer({
        role: "initiate",
        mech: "ntlm",
        target: "HTTP@localhost",
        ...USER
      })
      const result = yield* Drivers.handshake(Drivers.stepper(initiator), Drivers.stepper(acceptor))
      assert.strictEqual(result.legs, 3) // NEGOTIATE, CHALLENGE, AUTHENTICATE
      assert.strictEqual(result.acceptor?.initiator_name, "EFFECT\\alice")
      assert.strictEqual(result.acceptor?.mech, "1.3.6.1.4.1.311.2.2.10")
      assert.isString(result.initiator?.session_key)
      assert.strictEqual(result.initiator?.session_key, result.acceptor?.session_key)
      yield* exchangeMessages(initiator, acceptor)
    })), 60_000)

  it.live.skipIf(!hasNtlm)("a wrong NTLM password is a fatal acceptor error and the driver exits", () =>
    Effect.scoped(Effect.gen(function*() {
      const users = yield* Drivers.ntlmUserFile([USER])
      const acceptor = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users } })
      const initiator = yield* Drivers.gssPeer({ role: "initiate", mech: "ntlm", ...USER, password: "wrong" })
      const exit = yield* Effect.exit(Drivers.handshake(Drivers.stepper(initiator), Drivers.stepper(acceptor)))
      assert.isTrue(Exit.isFailure(exit))
      // the driver reported {"error", "fatal": true} and exits on its own
      const next = yield* Effect.exit(acceptor.receive("5 seconds"))
      assert.isTrue(Exit.isFailure(next))
    })), 60_000)

  it.live.skipIf(!hasNtlmAuth)("ntlm_auth_client (python3-ntlm-auth) <-> gss_peer NTLM acceptor", () =>
    Effect.scoped(Effect.gen(function*() {
      const users = yield* Drivers.ntlmUserFile([USER])
      const acceptor = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users } })
      const initiator = yield* Drivers.ntlmAuthClient(USER)
      const result = yield* Drivers.handshake(Drivers.stepper(initiator), Drivers.stepper(acceptor))
      assert.strictEqual(result.legs, 3)
      assert.strictEqual(result.initiator?.session_key, result.acceptor?.session_key)
      yield* exchangeMessages(initiator, acceptor)
    })), 60_000)

  it.live.skipIf(!hasKrb5)("Realm.start + gss_peer krb5 initiator <-> acceptor", () =>
    Effect.scoped(Effect.gen(function*() {
      const realm = yield* Realm.start()
      yield* Realm.kinit(realm)
      const acceptor = yield* Drivers.gssPeer({ role: "accept", mech: "krb5", env: realm.env })
      const initiator = yield* Drivers.gssPeer({
        role: "initiate",
        mech: "krb5",
        target: realm.service,
        env: realm.env
      })
      const result = yield* Drivers.handshake(Drivers.stepper(initiator), Drivers.stepper(acceptor))
      assert.strictEqual(result.legs, 2) // AP-REQ, AP-REP (mutual)
      assert.strictEqual(result.acceptor?.initiator_name, realm.principal)
      assert.strictEqual(result.initiator?.target_name, realm.servicePrincipal)
      yield* exchangeMessages(initiator, acceptor)
    })), 60_000)

  it.live("Peer.receive times out instead of hanging, and the process is killed on release", () =>
    Effect.gen(function*() {
      const pid = yield* Effect.scoped(Effect.gen(function*() {
        const peer = yield* Peer.spawn("/bin/sh", ["-c", "sleep 30"])
        const exit = yield* Effect.exit(peer.receive("200 millis"))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const err = exit.cause.reasons.find((r) => r._tag === "Fail")
          assert.strictEqual(err?._tag === "Fail" ? err.error.reason : undefined, "Timeout")
        }
        return peer.pid
      }))
      // the whole process group, including `sleep` (poll: a killed orphan is
      // reaped by init a moment later)
      const groupAlive = () => {
        try {
          process.kill(-pid, 0)
          return true
        } catch {
          return false
        }
      }
      let alive = groupAlive()
      for (let i = 0; alive && i < 60; i++) {
        yield* Effect.sleep("50 millis")
        alive = groupAlive()
      }
      assert.isFalse(alive, "peer process group must be gone after the scope closed")
    }), 20_000)
})
