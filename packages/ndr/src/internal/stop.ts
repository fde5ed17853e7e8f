/**
 * The carrier that unwinds a decode on the first error: readers throw it,
 * {@link run} turns it into a `Result` failure. Nothing else is caught, so
 * a bug in a reader stays a defect instead of looking like bad input.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import { NdrError } from "../NdrError.ts"

/** @internal */
export class Stop {
  constructor(readonly error: NdrError) {}
}

/** Unwinds the decode in progress with an {@link NdrError}. */
export const stop = (reason: string, offset: number): never => {
  throw new Stop(new NdrError({ reason, offset }))
}

/** Runs `f`; an {@link NdrError} raised inside becomes a failure. */
export const run = <A>(f: () => A): Result.Result<A, NdrError> => {
  try {
    return Result.succeed(f())
  } catch (e) {
    if (e instanceof Stop) return Result.fail(e.error)
    throw e
  }
}
