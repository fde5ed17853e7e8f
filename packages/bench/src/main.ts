/**
 * `npm run bench [part…]`: prints the figures quoted in the READMEs. Parts:
 * core, ntlm, kerberos, http; none named = all of them.
 */
const parts: Record<string, () => Promise<void>> = {
  core: async () => (await import("./core.ts")).runCore(),
  ntlm: async () => (await import("./ntlm.ts")).runNtlm(),
  kerberos: async () => (await import("./kerberos.ts")).runKerberos(),
  http: async () => (await import("./http.ts")).runHttp()
}
const asked = process.argv.slice(2)
const unknown = asked.filter((p) => !(p in parts))
if (unknown.length > 0) {
  console.error(`unknown part(s) ${unknown.join(", ")}; parts: ${Object.keys(parts).join(", ")}`)
  process.exit(2)
}
for (const part of asked.length > 0 ? asked : Object.keys(parts)) await parts[part]!()
