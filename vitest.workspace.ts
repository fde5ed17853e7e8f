/**
 * The one place where the test projects are listed: one project per package.
 * `vitest.config.ts` imports this list (Vitest 5 no longer reads a workspace
 * file by itself).
 */
export const projects = [
  "packages/legacy-crypto",
  "packages/asn1",
  "packages/core",
  "packages/ntlm",
  "packages/kerberos",
  "packages/negotiate",
  "packages/http",
  "packages/cli",
  "packages/interop-harness"
]
