/**
 * Test harness for interoperability tests against REAL peers from Debian
 * packages (gss-ntlmssp, MIT Kerberos, python3-ntlm-auth, curl, Apache with
 * mod_auth_gssapi), all on 127.0.0.1.
 *
 * - {@link Peer}: a JSON-lines child process as a scoped resource
 *   (`Peer.spawn`, `send`, `receive` with a time-out, `request`).
 * - {@link Drivers}: start `gss_peer.py` / `ntlm_auth_client.py`, step a
 *   handshake token by token, wrap/unwrap, get/verify MICs.
 * - {@link Realm}: a throwaway MIT realm (`Realm.start`, scoped).
 * - {@link Availability}: `peersAvailable()`, `requirePeers(...)`,
 *   `requirePeersSync(...)`: missing peers skip loudly, or fail with `CI=true`.
 * - {@link Paths}: script locations, `/usr/bin/python3`, the legacy OpenSSL config.
 *
 * Install the peers with `scripts/peers/install.sh` (root). The line protocol
 * is documented in `scripts/peers/drivers/README.md`.
 *
 * @example
 * ```ts
 * import { Drivers, requirePeersSync } from "@effect-sspi/interop-harness"
 *
 * // it.live, not it.effect: peers run in real time (TestClock would freeze every time-out)
 * it.live.skipIf(!requirePeersSync("ntlm"))("NTLM", () =>
 *   Effect.scoped(Effect.gen(function*() {
 *     const users = yield* Drivers.ntlmUserFile([{ domain: "EFFECT", user: "alice", password: "pw" }])
 *     const acceptor = yield* Drivers.gssPeer({ role: "accept", mech: "ntlm", env: { NTLM_USER_FILE: users } })
 *     // our own initiator implements Drivers.Stepper:
 *     const result = yield* Drivers.handshake(myInitiator, Drivers.stepper(acceptor))
 *   })))
 * ```
 *
 * @since 0.1.0
 */

/** Scoped JSON-lines child processes. */
export * as Peer from "./Peer.ts"
/** Typed helpers over the peer drivers. */
export * as Drivers from "./Drivers.ts"
/** Throwaway MIT Kerberos realm. */
export * as Realm from "./Realm.ts"
export * as Apache from "./Apache.ts"
export * as Ours from "./Ours.ts"
export * as SilentKdc from "./SilentKdc.ts"
/** Peer availability and the skip/fail rule. */
export * as Availability from "./Availability.ts"
/** Script and interpreter paths. */
export * as Paths from "./Paths.ts"
/** Run a short command with a time-out. */
export * as Command from "./Command.ts"

export { PeerError } from "./Peer.ts"
export type { PeerMessage } from "./Peer.ts"
export { isCI, peersAvailable, peersAvailableSync, PeersMissing, requirePeers, requirePeersSync } from "./Availability.ts"
export type { PeerAvailability, PeerKind } from "./Availability.ts"
export { RealmError } from "./Realm.ts"
/** Debian's redis-server on a free port, no persistence (kill/restart mid-test). */
export * as RedisServer from "./RedisServer.ts"
/** The run's shared Samba AD domain controller (CORP.TEST). */
export * as SambaDc from "./SambaDc.ts"
/** Debian nginx (open source) as a reverse proxy with a shared upstream keep-alive pool. */
export * as Nginx from "./Nginx.ts"
