import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { CredHandle, CtxtHandle, HandleTable } from "../src/internal/handleTable.ts"

type Op = { readonly kind: "add" } | { readonly kind: "remove"; readonly pick: number } | { readonly kind: "stale"; readonly pick: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: "add" as const }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("stale" as const), pick: fc.nat() })
)

describe("HandleTable", () => {
  it("handles never alias, stale handles never resolve, size is exact", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new HandleTable<CtxtHandle, number>(CtxtHandle)
        const live = new Map<CtxtHandle, number>()
        const dead: Array<CtxtHandle> = []
        let next = 0
        for (const o of ops) {
          if (o.kind === "add") {
            const value = next++
            const handle = table.add(value)
            assert.isFalse(live.has(handle))
            live.set(handle, value)
          } else if (o.kind === "remove" && live.size > 0) {
            const handle = Array.from(live.keys())[o.pick % live.size]!
            assert.strictEqual(table.remove(handle), live.get(handle))
            assert.isUndefined(table.remove(handle), "removing twice")
            live.delete(handle)
            dead.push(handle)
          } else if (o.kind === "stale" && dead.length > 0) {
            assert.isUndefined(table.get(dead[o.pick % dead.length]!))
          }
          assert.strictEqual(table.size, live.size)
          for (const [handle, value] of live) assert.strictEqual(table.get(handle), value)
          for (const handle of dead) assert.isUndefined(table.get(handle))
        }
        const values = table.values()
        assert.strictEqual(new Set(values).size, values.length)
      })
    )
  })

  it("rejects forged handles, other tables' handles and other kinds", () => {
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const table = new HandleTable<CtxtHandle, string>(CtxtHandle)
        const other = new HandleTable<CtxtHandle, string>(CtxtHandle)
        const creds = new HandleTable<CredHandle, string>(CredHandle)
        table.add("a")
        const foreign = other.add("b")
        const cred = creds.add("c")
        assert.isUndefined(table.get(junk))
        assert.isUndefined(table.get(foreign))
        assert.isUndefined(table.get(cred))
        assert.isUndefined(table.get({ lower: 0, upper: 1 }))
      })
    )
  })
})
