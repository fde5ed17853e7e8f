/**
 * NTLM verified by the domain: a Netlogon (MS-NRPC) client over DCE/RPC on
 * TCP (MS-RPCE), with the AES secure channel and schannel sealing, that
 * checks a client's NTLM response with the domain controller.
 *
 * @module
 */
export * as NetlogonClient from "./NetlogonClient.ts"
