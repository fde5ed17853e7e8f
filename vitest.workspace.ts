/**
 * The one place where the test projects are made: one project per package
 * folder that has a `vitest.config.ts` (a package being created joins when its
 * config exists). `vitest.config.ts` imports this list (Vitest 5 no longer
 * reads a workspace file by itself).
 *
 * Tests run on the TypeScript sources, with no build step: every project
 * resolves the workspace packages through the `@effect-sspi/source` export
 * condition (`./src/index.ts`; the published conditions `types`/`import`
 * point at `./dist`), as `customConditions` does for `tsc -p tsconfig.json`.
 * Child processes the tests start (the `sspi` launcher) get the same condition
 * through NODE_OPTIONS.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs"

/** The export condition that maps each workspace package to its sources. */
export const sourceCondition = "@effect-sspi/source"

const packagesDir = new URL("./packages/", import.meta.url)
const conditions = [sourceCondition, "node", "import", "module", "default"]
const nodeOptions = `${process.env["NODE_OPTIONS"] ?? ""} --conditions=${sourceCondition}`.trim()

const folders = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(new URL(`${entry.name}/vitest.config.ts`, packagesDir)))
  .map((entry) => entry.name)
  .sort()

/** The project's name as its own config gives it (`test: { name: "…" }`), else the folder's. */
const nameOf = (folder: string): string =>
  /\bname:\s*"([^"]+)"/.exec(readFileSync(new URL(`${folder}/vitest.config.ts`, packagesDir), "utf8"))?.[1] ?? folder

export const projects = folders.map((folder) => ({
  extends: `./packages/${folder}/vitest.config.ts`,
  root: `./packages/${folder}`,
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: [sourceCondition] } },
  test: { name: nameOf(folder), env: { NODE_OPTIONS: nodeOptions } }
}))
