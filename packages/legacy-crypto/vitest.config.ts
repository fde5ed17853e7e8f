import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "legacy-crypto", include: ["test/**/*.test.ts"], testTimeout: 60_000 }
})
