import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "ndr", include: ["test/**/*.test.ts"], testTimeout: 60_000 }
})
