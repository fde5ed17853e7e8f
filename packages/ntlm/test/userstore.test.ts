import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Config, ConfigProvider, Effect, Exit, Layer, Option, Redacted } from "effect"
import { UserStore } from "@effect-sspi/ntlm"
import { ntowfv1 } from "../src/internal/owf.ts"

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("UserStore", () => {
  it.effect("parses NTLM_USER_FILE lines; passwords may contain ':'; comments and blanks skipped", () =>
    Effect.gen(function*() {
      const entries = yield* UserStore.parseUserFile("# users\nEXAMPLE:alice:Pass:w0rd\n\n:bob:hunter2\r\n")
      assert.deepStrictEqual(entries.map((e) => [e.domain, e.user, Redacted.value(e.password)]), [
        ["EXAMPLE", "alice", "Pass:w0rd"],
        ["", "bob", "hunter2"]
      ])
      const bad = yield* Effect.flip(UserStore.parseUserFile("EXAMPLE:alice:ok\nno-colons-here\n"))
      assert.strictEqual(bad._tag, "InvalidParameter")
      assert.include(bad.message, "line 2")
      assert.notInclude(bad.message, "no-colons-here")
    }))

  it("parseUserFile never throws and keeps every well-formed line (property)", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const exit = Effect.runSyncExit(UserStore.parseUserFile(text))
      return Exit.isSuccess(exit) || Exit.isFailure(exit)
    }))
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.stringMatching(/^[A-Z]{0,8}$/), fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[^\r\n]{0,12}$/))),
      (rows) => {
        const text = rows.map(([d, u, p]) => `${d}:${u}:${p}`).join("\n")
        const entries = Effect.runSync(UserStore.parseUserFile(text))
        return entries.length === rows.length &&
          entries.every((e, i) => e.user === rows[i]![1] && Redacted.value(e.password) === rows[i]![2])
      }
    ))
  })

  it.effect("the file store looks users up case-insensitively; an empty domain matches any domain", () => {
    const dir = mkdtempSync(join(tmpdir(), "ntlm-users-"))
    const file = join(dir, "users")
    writeFileSync(file, "EXAMPLE:alice:Passw0rd!\n:bob:hunter2\n")
    return Effect.gen(function*() {
      const store = yield* UserStore.UserStore
      const alice = yield* store.lookup("example", "ALICE")
      assert.isTrue(Option.isSome(alice))
      assert.strictEqual(hex(Option.getOrThrow(alice).ntHash), hex(ntowfv1("Passw0rd!")))
      assert.isTrue(Option.isSome(yield* store.lookup("OTHER", "bob")))
      assert.isTrue(Option.isNone(yield* store.lookup("OTHER", "alice")))
    }).pipe(Effect.provide(UserStore.layerFile(file)), Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true }))))
  })

  it.effect("a missing file is SEC_E_NO_CREDENTIALS naming the path and the errno; a directory too (EISDIR)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(UserStore.UserStore.useSync(() => 1), UserStore.layerFile("/nonexistent/users")))
      assert.strictEqual(error._tag, "NoCredentials")
      assert.strictEqual(error.code, 0x8009030e)
      assert.include(error.message, `"/nonexistent/users": ENOENT (errno -2)`)
      const dir = yield* Effect.flip(Effect.provide(UserStore.UserStore.useSync(() => 1), UserStore.layerFile(tmpdir())))
      assert.include(dir.message, `${JSON.stringify(tmpdir())}: EISDIR (errno -21)`)
    }))

  it.effect("layerFile() reads NTLM_USER_FILE through the app's ConfigProvider: a provider record overrides process.env", () => {
    const dir = mkdtempSync(join(tmpdir(), "ntlm-users-"))
    const fromEnv = join(dir, "env-users")
    const fromConfig = join(dir, "config-users")
    writeFileSync(fromEnv, "EXAMPLE:alice:Passw0rd!\n")
    writeFileSync(fromConfig, ":bob:hunter2\n")
    const previous = process.env.NTLM_USER_FILE
    process.env.NTLM_USER_FILE = fromEnv
    const users = Effect.gen(function*() {
      const store = yield* UserStore.UserStore
      return {
        alice: Option.isSome(yield* store.lookup("EXAMPLE", "alice")),
        bob: Option.isSome(yield* store.lookup("EXAMPLE", "bob"))
      }
    })
    const withProvider = (record: Record<string, string>) =>
      Layer.provide(UserStore.layerFile(), ConfigProvider.layer(ConfigProvider.fromUnknown(record)))
    return Effect.gen(function*() {
      // the default provider: the environment
      assert.deepStrictEqual(yield* Effect.provide(users, UserStore.layerFile()), { alice: true, bob: false })
      // the app's provider wins over process.env
      assert.deepStrictEqual(yield* Effect.provide(users, withProvider({ NTLM_USER_FILE: fromConfig })), { alice: false, bob: true })
      // a Config of another key
      assert.deepStrictEqual(
        yield* Effect.provide(users, UserStore.layerFile(Config.String("USERS"))).pipe(
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ USERS: fromConfig })))
        ),
        { alice: false, bob: true }
      )
      // unset: SEC_E_NO_CREDENTIALS naming the key
      const unset = yield* Effect.flip(Effect.provide(users, withProvider({})))
      assert.strictEqual(unset._tag, "NoCredentials")
      assert.include(unset.message, "NTLM_USER_FILE")
    }).pipe(Effect.ensuring(Effect.sync(() => {
      if (previous === undefined) delete process.env.NTLM_USER_FILE
      else process.env.NTLM_USER_FILE = previous
      rmSync(dir, { recursive: true })
    })))
  })
})
