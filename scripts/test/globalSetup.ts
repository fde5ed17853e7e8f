/**
 * Vitest global setup of the whole run (wire it in the root vitest.config.ts:
 * `test: { projects, globalSetup: ["./scripts/test/globalSetup.ts"] }`).
 *
 * The Samba AD DC (packages/interop-harness/src/SambaDc.ts) is one per
 * machine and shared by every project and worker: the first test that needs
 * it starts it (under a lock; the others reuse it). Here, at the end of the
 * run, it is stopped, unless it was already running when the run began (a
 * developer's DC, or another run's) or another live process still holds a
 * lease on it. Starting it here eagerly would cost every run 3-10 s, also
 * runs that need no DC.
 */
import { Effect } from "effect"
import * as SambaDc from "../../packages/interop-harness/src/SambaDc.ts"

export default async function setup(): Promise<() => Promise<void>> {
  // the workers (forked after this) lease the DC in this process's name
  process.env[SambaDc.LEASE_OWNER_VARIABLE] = String(process.pid)
  const dir = SambaDc.defaultDir()
  const wasRunning = await Effect.runPromise(SambaDc.isRunning(dir))
  return async () => {
    if (!wasRunning) await Effect.runPromise(SambaDc.stopUnlessLeased(dir))
  }
}
