/** A one-leg Kerberos stand-in for unit tests (no KDC): the attacks are on SPNEGO's choice of mechanism, not on Kerberos. */
import { Effect } from "effect"
import { SecBuffer, SecurityError, type SecurityPackage } from "@effect-sspi/core"

/** A one-leg Kerberos stand-in: the initiator sends KRB, the acceptor answers SEC_E_OK. */
export const kerberosStandIn: SecurityPackage.SecurityPackage<null, { readonly key: Uint8Array }> = {
  info: { name: "Kerberos", comment: "one-leg stand-in", capabilities: 0, version: 1, rpcId: 16, maxToken: 100 },
  acquireCredentials: () => Effect.succeed({ credential: null, expiry: Infinity }),
  freeCredentials: () => Effect.void,
  initialize: () =>
    Effect.succeed({ status: "SEC_E_OK" as const, state: { key: new Uint8Array(16) }, output: [SecBuffer.token(Uint8Array.of(0x4b, 0x52, 0x42))], attributes: 0, expiry: Infinity }),
  accept: (_c, _s, request) => {
    const token = SecBuffer.find(request.input, SecBuffer.BufferType.TOKEN)?.data
    return token !== undefined && Buffer.from(token).toString() === "KRB"
      ? Effect.succeed({ status: "SEC_E_OK" as const, state: { key: new Uint8Array(16) }, output: [], attributes: 0, expiry: Infinity })
      : Effect.fail(new SecurityError.InvalidToken({}))
  },
  deleteContext: () => Effect.void,
  queryAttribute: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  makeSignature: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  verifySignature: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  encryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
  decryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({}))
}

