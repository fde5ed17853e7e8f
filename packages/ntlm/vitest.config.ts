import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "ntlm", include: ["test/**/*.test.ts"], testTimeout: 60_000 }
})
