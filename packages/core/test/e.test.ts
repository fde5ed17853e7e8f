import { it, expect } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as E from "../src/SecurityError.ts"
import * as S from "../src/SecurityStatus.ts"
it.effect("x", () => Effect.gen(function*() {
  const e = new E.InvalidHandle({ detail: "x" })
  console.log(e.message, e.code, e.status, e._tag, String(e))
  const r = yield* Effect.fail(e as E.SspiError).pipe(Effect.catchTag("InvalidHandle", (e) => Effect.succeed(e.code)))
  expect(r).toBe(0x80090301)
  expect(S.fromExit(Exit.fail(new E.LogonDenied({})))).toBe(0x8009030c)
  expect(S.fromExit(Exit.die("x"))).toBe(0x80090304)
}))
