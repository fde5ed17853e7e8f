/**
 * @effect-sspi/http: Negotiate / NTLM HTTP authentication (RFC 4559) for
 * effect's HttpClient and HTTP server, over the SSPI runtime.
 *
 * - {@link SspiServer}: server middleware; {@link Principal} for handlers.
 * - {@link SspiClient}: client middleware; {@link Connector} pins a
 *   handshake to one connection.
 * - {@link AuthHeader}, {@link ChannelBindings}: the header and binding
 *   formats.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as AuthHeader from "./AuthHeader.ts"
/** @since 0.1.0 */
export * as ChannelBindings from "./ChannelBindings.ts"
/** @since 0.1.0 */
export * as Connector from "./Connector.ts"
/** @since 0.1.0 */
export { HttpAuthError, NoDelegatedCredential } from "./HttpAuthError.ts"
/** @since 0.1.0 */
export { identityFields, Principal, type PrincipalInfo } from "./Principal.ts"
/** @since 0.1.0 */
export * as SspiClient from "./SspiClient.ts"
/** @since 0.1.0 */
export * as SspiServer from "./SspiServer.ts"
/** @since 0.2.0 */
export * as Sessions from "./Sessions.ts"
