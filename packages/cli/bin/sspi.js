#!/usr/bin/env node
// The `sspi` command. Installed from npm, it runs the built JavaScript
// (dist/bin.js; no TypeScript at start-up). In this repository, a run with the
// `@effect-sspi/source` export condition (the test projects pass it through
// NODE_OPTIONS) runs the TypeScript sources through tsx, so tests need no build.
const entry = import.meta.resolve("@effect-sspi/cli")
if (entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api")
  register()
  await import(new URL("../src/bin.ts", import.meta.url).href)
} else {
  await import(new URL("../dist/bin.js", import.meta.url).href)
}
