/**
 * @effect-sspi/cli: the `sspi` command line.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Cli from "./Cli.ts"
