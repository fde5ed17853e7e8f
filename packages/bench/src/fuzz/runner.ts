/**
 * Runs one fuzz target: N mutated inputs, each classified as accepted, a
 * typed failure (a SECURITY_STATUS error or a decoder's Result failure), or
 * a defect (a throw, an Effect defect or interruption: must be 0); inputs
 * that take more than 1 s are hangs (must be 0). Heap growth is measured
 * after a full GC before and after the run.
 */
import { Cause, Effect, Exit } from "effect"
import { mutate, Rng } from "./mutate.ts"

/** What one input did. */
export type Outcome = "ok" | "typed"

/** A fuzz target: seeds (real tokens) and the entry point fed with each mutant. */
export interface Target {
  readonly name: string
  readonly seeds: ReadonlyArray<Uint8Array>
  /** Feeds one input; returns its outcome, or throws (a defect). */
  readonly run: (input: Uint8Array) => Outcome
  /**
   * For tokens that are only valid in a live exchange (an AUTHENTICATE for
   * this CHALLENGE, an AP-REQ not yet seen, an AP-REP for this AP-REQ):
   * makes a fresh exchange per input and returns its real token (mutated by
   * the runner) and the entry point to feed the mutant to.
   */
  readonly live?: (() => { readonly token: Uint8Array; readonly feed: (input: Uint8Array) => Outcome }) | undefined
}

/** One target's figures. */
export interface Report {
  readonly target: string
  readonly inputs: number
  readonly accepted: number
  readonly typedFailures: number
  readonly defects: number
  readonly hangs: number
  readonly slowestMs: number
  readonly heapGrowthBytes: number
  readonly seconds: number
  readonly firstDefect: string | undefined
  /** The slowest input (for reproduction: FUZZ_SLOW_DIR writes it to a file). */
  readonly slowestInput: Uint8Array | undefined
}

const HANG_MS = 1000

/** An Effect's outcome: success "ok", typed failure "typed"; a defect or interruption throws. */
export const outcomeOf = <A, E>(effect: Effect.Effect<A, E>): Outcome => {
  const exit = Effect.runSyncExit(effect)
  if (Exit.isSuccess(exit)) return "ok"
  if (exit.cause.reasons.every(Cause.isFailReason)) return "typed"
  throw new Error(Cause.pretty(exit.cause))
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.()

/** Runs `count` mutants of the target's seeds (seeded PRNG: reproducible). */
export const runTarget = (target: Target, count: number, seed: number, progress: (done: number, defects: number, hangs: number) => void): Report => {
  const rng = new Rng(seed)
  let accepted = 0
  let typedFailures = 0
  let defects = 0
  let hangs = 0
  let slowestMs = 0
  let firstDefect: string | undefined
  let slowestInput: Uint8Array | undefined
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    // one input in 64 is a seed as it is, so the valid path stays exercised
    let live: ReturnType<NonNullable<Target["live"]>> | undefined
    try {
      live = target.live?.()
    } catch (e) {
      // the real exchange itself failed (not an attacker input): counted as a defect, reported
      defects++
      firstDefect ??= `live exchange #${i}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`.slice(0, 2000)
      continue
    }
    const seed = live?.token ?? rng.pick(target.seeds)
    const input = (i & 63) === 0 ? Uint8Array.from(seed) : mutate(rng, seed, target.seeds)
    const t0 = performance.now()
    try {
      if ((live?.feed ?? target.run)(input) === "ok") accepted++
      else typedFailures++
    } catch (e) {
      defects++
      firstDefect ??= `input #${i} (seed ${seed}): ${e instanceof Error ? e.stack ?? e.message : String(e)}`.slice(0, 2000)
    }
    const ms = performance.now() - t0
    if (ms > slowestMs) {
      slowestMs = ms
      slowestInput = input
    }
    if (ms > HANG_MS) hangs++
    if ((i & 0x3fff) === 0x3fff) progress(i + 1, defects, hangs)
  }
  const seconds = (performance.now() - start) / 1000
  gc()
  return {
    target: target.name,
    inputs: count,
    accepted,
    typedFailures,
    defects,
    hangs,
    slowestMs,
    heapGrowthBytes: process.memoryUsage().heapUsed - heapBefore,
    seconds,
    firstDefect,
    slowestInput
  }
}
