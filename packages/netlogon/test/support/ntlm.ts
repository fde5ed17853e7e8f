/**
 * NTLMv2 responses computed here from the password (MS-NLMP 3.3.2), so the
 * tests can hand the DC what a client would send and know the session base
 * key the DC must answer.
 */
import { createHmac, randomBytes } from "node:crypto"
import { md4 } from "@effect-sspi/legacy-crypto"

const utf16 = (s: string) => new Uint8Array(Buffer.from(s, "utf16le"))
const hmacMd5 = (key: Uint8Array, ...data: ReadonlyArray<Uint8Array>) => {
  const h = createHmac("md5", key)
  for (const d of data) h.update(d)
  return new Uint8Array(h.digest())
}

/** NT hash of a password. */
export const ntHash = (password: string): Uint8Array => md4(utf16(password))

/** An NTLMv2 response for `user`/`domain`/`password` to `serverChallenge`, and its session base key. */
export const ntlmv2 = (user: string, domain: string, password: string, serverChallenge: Uint8Array) => {
  const owf = hmacMd5(ntHash(password), utf16(user.toUpperCase() + domain))
  const blob = new Uint8Array(Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.alloc(8), // timestamp
    randomBytes(8),
    Buffer.alloc(4),
    Buffer.from([2, 0, 8, 0]), Buffer.from(utf16("CORP")), // MsvAvNbDomainName
    Buffer.alloc(4), // MsvAvEOL
    Buffer.alloc(4)
  ]))
  const proof = hmacMd5(owf, serverChallenge, blob)
  return { ntResponse: new Uint8Array([...proof, ...blob]), sessionBaseKey: hmacMd5(owf, proof) }
}

/** A fresh 8-byte server challenge. */
export const challenge = (): Uint8Array => new Uint8Array(randomBytes(8))
