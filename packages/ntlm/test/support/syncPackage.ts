/**
 * A package driven synchronously at a fixed `now` (property tests): the
 * handshake request for a token and credentials acquired from the package
 * itself, outside any runtime.
 */
import { Effect } from "effect"
import { type Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import type { Ntlm } from "@effect-sspi/ntlm"

export const syncPackage = (pkg: Ntlm.NtlmPackage, now: number) => ({
  /** The request of one leg carrying `token` (none on the first initiator leg). */
  request: (token: Uint8Array | undefined): SecurityPackage.HandshakeRequest => ({
    targetName: "HTTP/server.example",
    contextReq: 0,
    dataRep: 0x10,
    input: token === undefined ? [] : [SecBuffer.token(token)],
    now
  }),
  credential: (use: Flags.CredentialUse, authData: unknown) =>
    Effect.runSync(pkg.acquireCredentials({ principal: undefined, credentialUse: use, authData, now })).credential
})
