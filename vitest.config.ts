import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

// Vitest 5's reporter calls Map.groupBy (Node 21+); this machine's Node is 20.
// The polyfill runs in the main process only, where the reporter lives.
if (typeof (Map as { groupBy?: unknown }).groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    value: <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, Array<V>> => {
      const groups = new Map<K, Array<V>>()
      let index = 0
      for (const item of items) {
        const k = key(item, index++)
        const group = groups.get(k)
        if (group === undefined) groups.set(k, [item])
        else group.push(item)
      }
      return groups
    }
  })
}

export default defineConfig({
  test: { projects }
})
