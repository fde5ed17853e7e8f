import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

// npm scripts run on Node 24 (the root devDependency `node`), so Vitest 5
// needs no polyfill.
export default defineConfig({
  test: { projects, globalSetup: ["./scripts/test/globalSetup.ts"] }
})
