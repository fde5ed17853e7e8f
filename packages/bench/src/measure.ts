/** Tiny measurement helpers: warm up, then run for a fixed time and report ops/s. */
import { Effect } from "effect"

export interface Figure {
  readonly name: string
  readonly opsPerSec: number
}

const now = () => Number(process.hrtime.bigint()) / 1e6

/** Runs `op` repeatedly (synchronously) for about `ms` milliseconds after a warm-up. */
export const syncOps = (name: string, op: () => void, ms = 1000): Figure => {
  for (let i = 0; i < 200; i++) op()
  let n = 0
  const start = now()
  let elapsed = 0
  while ((elapsed = now() - start) < ms) {
    for (let i = 0; i < 50; i++) op()
    n += 50
  }
  return { name, opsPerSec: (n * 1000) / elapsed }
}

/** Runs the Effect `op` in one fiber, repeatedly, for about `ms` milliseconds after a warm-up. */
export const effectOps = <E>(name: string, op: Effect.Effect<unknown, E>, ms = 1000): Promise<Figure> =>
  Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < 200; i++) yield* op
    let n = 0
    const start = now()
    let elapsed = 0
    while ((elapsed = now() - start) < ms) {
      for (let i = 0; i < 20; i++) yield* op
      n += 20
    }
    return { name, opsPerSec: (n * 1000) / elapsed }
  }))

/** Throughput in MiB/s of an operation over `bytes` bytes. */
export const mibPerSec = (figure: Figure, bytes: number): number => (figure.opsPerSec * bytes) / (1024 * 1024)

export const print = (figure: Figure, extra = ""): void => {
  console.log(`  ${figure.name.padEnd(58)} ${figure.opsPerSec.toFixed(0).padStart(10)} ops/s ${extra}`)
}
