import { defineProject } from "vitest/config"

export default defineProject({
  test: { name: "asn1", include: ["test/**/*.test.ts"], testTimeout: 60_000 }
})
