/** Tiny measurement helpers: warm up, run in timed rounds, keep the best round, report ops/s. */
import { Effect } from "effect"

export interface Figure {
  readonly name: string
  readonly opsPerSec: number
}

const now = () => Number(process.hrtime.bigint()) / 1e6

/** One timed round of `op` for about `ms` milliseconds; ops/s. */
const round = (op: () => void, ms: number): number => {
  let n = 0
  const start = now()
  let elapsed = 0
  while ((elapsed = now() - start) < ms) {
    for (let i = 0; i < 20; i++) op()
    n += 20
  }
  return (n * 1000) / elapsed
}

/**
 * Runs `op` (synchronously) after a warm-up in `rounds` rounds of `ms`
 * milliseconds and keeps the best round: on a shared 2-core machine the best
 * round is the one least disturbed by other processes.
 */
export const syncOps = (name: string, op: () => void, ms = 300, rounds = 5): Figure => {
  for (let i = 0; i < 200; i++) op()
  let best = 0
  for (let r = 0; r < rounds; r++) best = Math.max(best, round(op, ms))
  return { name, opsPerSec: best }
}

/**
 * Measures two operations in alternating rounds (A, B, A, B, …), best round
 * of each, so that both see the same machine load; returns both figures.
 */
export const paired = (
  a: readonly [name: string, op: () => void],
  b: readonly [name: string, op: () => void],
  ms = 300,
  rounds = 10
): readonly [Figure, Figure] => {
  for (let i = 0; i < 200; i++) {
    a[1]()
    b[1]()
  }
  let bestA = 0
  let bestB = 0
  for (let r = 0; r < rounds; r++) {
    // alternate which goes first, so that neither always follows the other
    if (r % 2 === 0) {
      bestA = Math.max(bestA, round(a[1], ms))
      bestB = Math.max(bestB, round(b[1], ms))
    } else {
      bestB = Math.max(bestB, round(b[1], ms))
      bestA = Math.max(bestA, round(a[1], ms))
    }
  }
  return [{ name: a[0], opsPerSec: bestA }, { name: b[0], opsPerSec: bestB }]
}

/** Runs the Effect `op` in one fiber, repeatedly, after a warm-up; best of `rounds` rounds of `ms` milliseconds. */
export const effectOps = <E>(name: string, op: Effect.Effect<unknown, E>, ms = 300, rounds = 5): Promise<Figure> =>
  Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < 200; i++) yield* op
    let best = 0
    for (let r = 0; r < rounds; r++) {
      let n = 0
      const start = now()
      let elapsed = 0
      while ((elapsed = now() - start) < ms) {
        for (let i = 0; i < 20; i++) yield* op
        n += 20
      }
      best = Math.max(best, (n * 1000) / elapsed)
    }
    return { name, opsPerSec: best }
  }))

/** Awaits the Promise-returning `op` repeatedly, one at a time (as an Effect), best of `rounds` rounds. */
export const asyncOps = (name: string, op: () => Promise<unknown>, ms = 300, rounds = 5): Promise<Figure> =>
  effectOps(name, Effect.promise(op), ms, rounds)

/** Throughput in MiB/s of an operation over `bytes` bytes. */
export const mibPerSec = (figure: Figure, bytes: number): number => (figure.opsPerSec * bytes) / (1024 * 1024)

export const print = (figure: Figure, extra = ""): void => {
  console.log(`  ${figure.name.padEnd(58)} ${figure.opsPerSec.toFixed(0).padStart(10)} ops/s ${extra}`)
}
