/**
 * A forged or silent domain controller (test/support/forgedDc.ts, the
 * harness's silent TCP listener): the secure channel is refused when the DC
 * cannot prove the machine password or negotiates less than AES with secure
 * RPC, and every wait ends at the time-out (TestClock).
 */
import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { SilentKdc } from "@effect-sspi/interop-harness"
import { NetlogonClient } from "../src/index.ts"
import * as ForgedDc from "./support/forgedDc.ts"
import { challenge, ntHash } from "./support/ntlm.ts"

const MACHINE_PASSWORD = "W3b1-Machine-Passw0rd!"
const AES_AND_SCHANNEL = 0x610fffff

const request = (): NetlogonClient.NetworkLogonRequest => ({
  domain: "CORP",
  user: "alice",
  workstation: "CLIENT1",
  serverChallenge: challenge(),
  ntResponse: new Uint8Array(48),
  lmResponse: new Uint8Array(24)
})

const logonAgainst = (port: number, timeout: Duration.Input = "10 seconds") =>
  Effect.gen(function*() {
    const client = yield* NetlogonClient.make({
      dc: "127.0.0.1",
      domain: "CORP",
      machineAccount: "WEB1$",
      machinePassword: Redacted.make(MACHINE_PASSWORD),
      endpointMapperPort: port,
      timeout
    })
    return yield* Effect.flip(client.verifyNetworkLogon(request()))
  })

describe("a forged domain controller", () => {
  it.live("one that does not know the machine password (wrong server credential) is refused (MS-NRPC 3.1.4.3.1)", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* ForgedDc.start({ ntHash: ntHash("guessed"), flags: AES_AND_SCHANNEL })
      const error = yield* logonAgainst(dc.port)
      assert.strictEqual(error._tag, "NoAuthenticatingAuthority")
      assert.include(error.detail, "the server's credential does not verify")
    })))

  it.live("one that negotiates away AES (downgrade to the RC4/DES secure channel) is refused (MS-NRPC 3.1.4.2)", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* ForgedDc.start({ ntHash: ntHash(MACHINE_PASSWORD), flags: AES_AND_SCHANNEL & ~0x01000000 })
      const error = yield* logonAgainst(dc.port)
      assert.strictEqual(error._tag, "NoAuthenticatingAuthority")
      assert.include(error.detail, "lack AES or secure RPC")
    })))

  it.live("one that negotiates away secure RPC (no schannel) is refused (MS-NRPC 3.1.4.2)", () =>
    Effect.scoped(Effect.gen(function*() {
      const dc = yield* ForgedDc.start({ ntHash: ntHash(MACHINE_PASSWORD), flags: AES_AND_SCHANNEL & ~0x40000000 })
      const error = yield* logonAgainst(dc.port)
      assert.strictEqual(error._tag, "NoAuthenticatingAuthority")
      assert.include(error.detail, "lack AES or secure RPC")
    })))
})

describe("a silent domain controller (TestClock)", () => {
  it.effect("an endpoint mapper that accepts and never answers: SEC_E_NO_AUTHENTICATING_AUTHORITY after the time-out", () =>
    Effect.scoped(Effect.gen(function*() {
      const silent = yield* SilentKdc.start
      const fiber = yield* Effect.forkChild(logonAgainst(silent.port, "10 seconds"))
      for (let i = 0; i < 30; i++) {
        yield* Effect.yieldNow
        yield* TestClock.adjust("1 second")
      }
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "NoAuthenticatingAuthority")
      assert.include(error.detail, "domain controller 127.0.0.1")
      assert.include(error.detail, "no reply within 10s")
    })))
})

describe("bad input to verifyNetworkLogon (refused before anything is sent)", () => {
  it.effect("a challenge that is not 8 bytes: SEC_E_INVALID_PARAMETER; an oversized response or name: SEC_E_INVALID_TOKEN", () =>
    Effect.scoped(Effect.gen(function*() {
      const client = yield* NetlogonClient.make({
        dc: "127.0.0.1",
        domain: "CORP",
        machineAccount: "WEB1$",
        machinePassword: Redacted.make(MACHINE_PASSWORD),
        endpointMapperPort: 1 // never reached
      })
      const fail = (r: NetlogonClient.NetworkLogonRequest) => Effect.flip(client.verifyNetworkLogon(r))
      assert.strictEqual((yield* fail({ ...request(), serverChallenge: new Uint8Array(7) }))._tag, "InvalidParameter")
      const big = yield* fail({ ...request(), ntResponse: new Uint8Array(NetlogonClient.MAX_RESPONSE_BYTES + 1) })
      assert.deepStrictEqual([big._tag, big.detail], ["InvalidToken", "challenge response too long"])
      const name = yield* fail({ ...request(), user: "u".repeat(NetlogonClient.MAX_NAME_CHARS + 1) })
      assert.deepStrictEqual([name._tag, name.detail], ["InvalidToken", "name too long"])
    })))

  it.effect("no machine secret: SEC_E_NO_CREDENTIALS", () =>
    Effect.scoped(Effect.gen(function*() {
      const error = yield* Effect.flip(NetlogonClient.make({ dc: "127.0.0.1", domain: "CORP", machineAccount: "WEB1$" }))
      assert.strictEqual(error._tag, "NoCredentials")
    })))
})
