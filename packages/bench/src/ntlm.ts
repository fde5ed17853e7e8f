/**
 * NTLM: full NTLMv2 handshakes against their crypto floor (the same
 * primitive calls alone), AUTHENTICATE generation against httpntlm, and
 * EncryptMessage on 64 KiB against raw RC4 + HMAC-MD5.
 */
import { createHmac, createSecretKey, randomBytes, randomFillSync } from "node:crypto"
import { createRequire } from "node:module"
import { Context, Effect, Layer, Redacted, Scope } from "effect"
import { SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Rc4 } from "@effect-sspi/legacy-crypto"
import { Ntlm, UserStore } from "@effect-sspi/ntlm"
import { mibPerSec, paired, print } from "./measure.ts"

const require = createRequire(import.meta.url)
const httpntlm = require("httpntlm/ntlm.js") as {
  createType1Message: (o: object) => string
  parseType2Message: (m: string, cb: (e: Error) => void) => object
  createType3Message: (m: object, o: object) => string
}

const pkg = Ntlm.make({})
const request = (input: ReadonlyArray<SecBuffer.SecBuffer>): SecurityPackage.HandshakeRequest =>
  ({ targetName: "HTTP/server", contextReq: 0, dataRep: 0x10, input, now: Date.now() })
const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

const storeEntries = [{ domain: "EXAMPLE", user: "alice", password: Redacted.make("Passw0rd!") }]
const storeScope = Effect.runSync(Scope.make())
const storeContext = await Effect.runPromise(Layer.buildWithScope(UserStore.layerMemory(storeEntries), storeScope))
const store = Context.get(storeContext, UserStore.UserStore)
const server = Ntlm.make({ userStore: store })

const clientCred = run(pkg.acquireCredentials({ principal: undefined, credentialUse: 2, authData: { user: "alice", domain: "EXAMPLE", password: Redacted.make("Passw0rd!") }, now: 0 })).credential
const serverCred = run(server.acquireCredentials({ principal: undefined, credentialUse: 1, authData: {}, now: 0 })).credential

const handshake = () => {
  const c1 = run(pkg.initialize(clientCred, undefined, request([])))
  const s1 = run(server.accept(serverCred, undefined, request(c1.output)))
  const c2 = run(pkg.initialize(clientCred, c1.state, request(s1.output)))
  const s2 = run(server.accept(serverCred, s1.state, request(c2.output)))
  run(pkg.deleteContext(c2.state))
  run(server.deleteContext(s2.state))
}

/** The primitives one handshake needs, on both sides, with nothing around them. */
const key16 = randomBytes(16)
const blob = randomBytes(120)
// keys as KeyObjects made per operation, as the package does (a raw key costs Node 24 a check per call)
const md = (k: Uint8Array, ...parts: Array<Uint8Array>) => {
  const h = createHmac("md5", createSecretKey(k))
  for (const p of parts) h.update(p)
  return h.digest()
}
const cryptoFloor = () => {
  for (let side = 0; side < 2; side++) {
    // the client's NTOWFv2 is computed once per credential; the server's per handshake
    const responseKey = side === 0 ? key16 : md(key16, blob.subarray(0, 30))
    const proof = md(responseKey, blob) // NTProofStr
    const base = md(responseKey, proof) // session base key
    new Rc4(base).process(key16) // key exchange
    md(key16, blob, blob, blob) // MIC over the three messages
    randomFillSync(blob.subarray(0, 8)) // challenge / client challenge
  }
}

const challenge = run(server.accept(serverCred, undefined, request([SecBuffer.token(run(pkg.initialize(clientCred, undefined, request([]))).output[0]!.data)])))
const challengeBytes = challenge.output[0]!.data
const ourAuthenticate = () => {
  const c1 = run(pkg.initialize(clientCred, undefined, request([])))
  const c2 = run(pkg.initialize(clientCred, c1.state, request([SecBuffer.token(challengeBytes)])))
  run(pkg.deleteContext(c2.state))
}
const type2 = httpntlm.parseType2Message(`NTLM ${Buffer.from(challengeBytes).toString("base64")}`, () => {})
const theirAuthenticate = () => {
  httpntlm.createType1Message({ domain: "EXAMPLE", workstation: "" })
  httpntlm.createType3Message(type2, { username: "alice", password: "Passw0rd!", domain: "EXAMPLE", workstation: "" })
}

export const runNtlm = async (): Promise<void> => {
  console.log("ntlm:")
  // sealing first: a fresh process's JIT state, as an application that only seals would see
  const c1 = run(pkg.initialize(clientCred, undefined, request([])))
  const s1 = run(server.accept(serverCred, undefined, request(c1.output)))
  const c2 = run(pkg.initialize(clientCred, c1.state, request(s1.output)))
  run(server.accept(serverCred, s1.state, request(c2.output)))
  const message = randomBytes(64 * 1024)
  const sigBuffer = SecBuffer.token(new Uint8Array(16))
  const buffers = [sigBuffer, SecBuffer.data(message)]
  const sealOp = () => run(pkg.encryptMessage(c2.state, 0, buffers, undefined))
  // the same work as EncryptMessage: HMAC-MD5 over the message, RC4 in place
  const rc4 = new Rc4(key16)
  const signKey = createSecretKey(key16) // the session keeps its sign key as a KeyObject
  const [seal, raw] = paired(["EncryptMessage 64 KiB (in place)", sealOp], ["raw HMAC-MD5 + RC4 in place over 64 KiB", () => {
    createHmac("md5", signKey).update(message).digest()
    rc4.process(message, message)
  }])
  print(seal, `${mibPerSec(seal, message.length).toFixed(0)} MiB/s`)
  print(raw, `${mibPerSec(raw, message.length).toFixed(0)} MiB/s`)
  console.log(`  → seal / raw = ${((seal.opsPerSec / raw.opsPerSec) * 100).toFixed(0)}% (target ≥ 80%)`)
  const [hs, floor] = paired(
    ["NTLMv2 handshake (both sides, MIC, KEY_EXCH, delete)", handshake],
    ["crypto floor of one handshake (the primitives alone)", cryptoFloor]
  )
  print(hs)
  print(floor)
  console.log(`  → handshake / floor = ${(floor.opsPerSec / hs.opsPerSec).toFixed(2)}× (target ≤ 3×)`)
  const [ours, theirs] = paired(
    ["NEGOTIATE + AUTHENTICATE generation: ours (v2, MIC, KEY_EXCH)", ourAuthenticate],
    ["NEGOTIATE + AUTHENTICATE generation: httpntlm 1.8.13", theirAuthenticate]
  )
  print(ours)
  print(theirs)
  console.log(`  → ours / httpntlm = ${(ours.opsPerSec / theirs.opsPerSec).toFixed(2)}× (target ≥ 2×)`)

}
