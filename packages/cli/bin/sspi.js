#!/usr/bin/env node
// The `sspi` command. Installed from npm, it runs the built JavaScript
// (dist/bin.js; no TypeScript at start-up). In this repository, a run with the
// `@effect-sspi/source` export condition (`npm start`, and the test projects
// through NODE_OPTIONS) runs the TypeScript sources through tsx instead, so
// neither needs a build.
import { readFileSync } from "node:fs"
import module from "node:module"

// `sspi --version` alone is answered here, before effect and the packages are
// loaded (loading them is what costs the start-up time; the full command line
// gives the same answer: `sspi v` and the version in package.json).
if (process.argv.length === 3 && process.argv[2] === "--version") {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
  process.stdout.write(`sspi v${version}\n`)
  process.exit(0)
}

// V8's code cache for the modules loaded below (Node >= 22.1; a directory
// under the OS temp dir, NODE_COMPILE_CACHE overrides, NODE_DISABLE_COMPILE_CACHE=1
// turns it off): later starts skip most compilation.
module.enableCompileCache?.()
const entry = import.meta.resolve("@effect-sspi/cli")
if (entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api")
  register()
  await import(new URL("../src/bin.ts", import.meta.url).href)
} else {
  const built = new URL("../dist/bin.js", import.meta.url)
  try {
    await import(built.href)
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(built.pathname)) throw error
    process.stderr.write(`sspi: ${built.pathname} is missing: run \`npm run build\` first (or run with --conditions=@effect-sspi/source)\n`)
    process.exitCode = 1
  }
}
