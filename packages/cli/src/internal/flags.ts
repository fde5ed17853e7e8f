/** Flag helpers shared by the commands. */
import { Flag } from "effect/cli"

/** A boolean switch, off by default, with an optional one-letter alias. */
export const toggle = (name: string, alias: string | undefined, description: string): Flag.Flag<boolean> => {
  const base = Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))
  return alias === undefined ? base : Flag.withAlias(base, alias)
}
