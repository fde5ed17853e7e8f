/**
 * @effect-sspi/core: the asynchronous SSPI family as an Effect-native
 * runtime.
 *
 * - {@link Sspi}: the Windows-shaped functions, one per C function.
 * - {@link Credentials}, {@link SecurityContext}, {@link Handshake}: the
 *   Effect-native level, built on the first.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as AsyncCallResult from "./AsyncCallResult.ts"
/** @since 0.1.0 */
export * as ChannelBindings from "./ChannelBindings.ts"
/** @since 0.1.0 */
export * as Credentials from "./Credentials.ts"
/** @since 0.1.0 */
export * as Flags from "./Flags.ts"
/** @since 0.1.0 */
export * as Handshake from "./Handshake.ts"
/** @since 0.1.0 */
export * as RandomBytes from "./RandomBytes.ts"
/** @since 0.1.0 */
export * as SecBuffer from "./SecBuffer.ts"
/** @since 0.1.0 */
export * as SecurityContext from "./SecurityContext.ts"
/** @since 0.1.0 */
export * as SecurityError from "./SecurityError.ts"
/** @since 0.1.0 */
export * as SecurityPackage from "./SecurityPackage.ts"
/** @since 0.1.0 */
export * as SecurityStatus from "./SecurityStatus.ts"
/** @since 0.1.0 */
export * as Sspi from "./Sspi.ts"
/** @since 0.1.0 */
export * as SspiRuntime from "./SspiRuntime.ts"
/** @since 0.2.0 */
export * as ReplayCache from "./ReplayCache.ts"
/** @since 0.2.0 */
export * as HandshakeStore from "./HandshakeStore.ts"
