/**
 * Kerberos: one AP exchange (AP-REQ → AP-REP → SEC_E_OK, both sides, with a
 * cached service ticket) of ours against MIT GSSAPI through the native
 * `kerberos` addon, both against the same throwaway MIT realm; then
 * EncryptMessage on 64 KiB (aes256-cts-hmac-sha1-96) against raw AES-256-CBC
 * + HMAC-SHA1 over the same 64 KiB.
 *
 * The realm needs the MIT KDC tools (scripts/peers/install.sh); the native
 * addon is an optional dependency (it needs libkrb5-dev to build). Whatever
 * is missing is said on one line and that figure is skipped.
 */
import { createCipheriv, createHmac, randomBytes } from "node:crypto"
import { createRequire } from "node:module"
import { Effect, Exit, Scope } from "effect"
import { Flags, SecBuffer, type SecurityPackage } from "@effect-sspi/core"
import { Kerberos } from "@effect-sspi/kerberos"
import { peersAvailableSync, Realm } from "@effect-sspi/interop-harness"
import { asyncOps, type Figure, mibPerSec, paired, print, syncOps } from "./measure.ts"

/** The part of the native addon's API the bench uses (its own typings are optional: it may be absent). */
interface NativeKerberos {
  readonly GSS_C_MUTUAL_FLAG: number
  readonly GSS_C_REPLAY_FLAG: number
  readonly GSS_C_SEQUENCE_FLAG: number
  readonly GSS_C_CONF_FLAG: number
  readonly GSS_C_INTEG_FLAG: number
  readonly GSS_MECH_OID_KRB5: number
  readonly version: string
  readonly initializeClient: (
    service: string,
    options: { readonly mechOID?: number; readonly gssFlag?: number }
  ) => Promise<{ step(challenge: string): Promise<string>; readonly contextComplete: boolean }>
  readonly initializeServer: (service: string) => Promise<{ step(token: string): Promise<string>; readonly contextComplete: boolean }>
}

const require = createRequire(import.meta.url)

/** Loads the addon after the realm's variables are in process.env (MIT reads them from there). */
const loadNative = (): NativeKerberos | string => {
  try {
    return require("kerberos") as NativeKerberos
  } catch (e) {
    return e instanceof Error ? e.message.split("\n")[0]! : String(e)
  }
}

const run = <A, E>(effect: Effect.Effect<A, E>): A => Effect.runSync(effect)

/** ISC_REQ flags of both sides' exchange: mutual auth (so an AP-REP), replay and sequence detection, conf + integ. */
const contextReq = Flags.IscReq.MUTUAL_AUTH | Flags.IscReq.REPLAY_DETECT | Flags.IscReq.SEQUENCE_DETECT |
  Flags.IscReq.CONFIDENTIALITY | Flags.IscReq.INTEGRITY

const ratioLine = (label: string, ours: Figure, theirs: Figure, target: string) =>
  console.log(`  → ${label} = ${(ours.opsPerSec / theirs.opsPerSec).toFixed(2)}× (target ${target})`)

const apExchange = async (realm: Realm.Realm) => {
  const pkg = await Effect.runPromise(Kerberos.make({
    krb5Config: realm.env["KRB5_CONFIG"],
    env: realm.env,
    // room for every authenticator a 1.5 s run can produce (the default, 100 000, could fill up and refuse)
    replayCacheSize: 2_000_000
  }))
  const now = Date.now()
  const clientCred = (await Effect.runPromise(
    pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.OUTBOUND, authData: { ccache: realm.env["KRB5CCNAME"] }, now })
  )).credential
  const serverCred = (await Effect.runPromise(
    pkg.acquireCredentials({ principal: undefined, credentialUse: Flags.CredentialUse.INBOUND, authData: { keytab: realm.keytab }, now })
  )).credential
  const request = (input: ReadonlyArray<SecBuffer.SecBuffer>): SecurityPackage.HandshakeRequest =>
    ({ targetName: "HTTP/localhost", contextReq, dataRep: 0x10, input, now: Date.now() })

  // the first exchange asks the KDC for the service ticket (TGS); the credential keeps it
  const primeClient = await Effect.runPromise(pkg.initialize(clientCred, undefined, request([])))
  const primeServer = await Effect.runPromise(pkg.accept(serverCred, undefined, request(primeClient.output)))
  const primed = await Effect.runPromise(pkg.initialize(clientCred, primeClient.state, request(primeServer.output)))
  if (primeClient.status !== "SEC_I_CONTINUE_NEEDED" || primeServer.status !== "SEC_E_OK" || primed.status !== "SEC_E_OK") {
    throw new Error(`unexpected statuses ${primeClient.status} / ${primeServer.status} / ${primed.status}`)
  }
  run(pkg.deleteContext(primed.state))
  run(pkg.deleteContext(primeServer.state))

  const exchange = () => {
    const c1 = run(pkg.initialize(clientCred, undefined, request([])))
    const s1 = run(pkg.accept(serverCred, undefined, request(c1.output)))
    const c2 = run(pkg.initialize(clientCred, c1.state, request(s1.output)))
    if (c2.status !== "SEC_E_OK") throw new Error(c2.status)
    run(pkg.deleteContext(c2.state))
    run(pkg.deleteContext(s1.state))
  }
  const ours = syncOps("AP exchange, cached ticket: ours (ccache TGT, keytab accept)", exchange)
  print(ours)

  // the native addon: same realm, same ccache, same keytab
  for (const k of ["KRB5_CONFIG", "KRB5_KTNAME", "KRB5CCNAME", "KRB5RCACHEDIR"]) {
    const v = realm.env[k]
    if (v !== undefined) process.env[k] = v
  }
  const native = loadNative()
  if (typeof native === "string") {
    console.log(`  native kerberos addon unavailable (${native}): no comparison (npm install --workspace @effect-sspi/bench; needs libkrb5-dev)`)
  } else {
    const gssFlag = native.GSS_C_MUTUAL_FLAG | native.GSS_C_REPLAY_FLAG | native.GSS_C_SEQUENCE_FLAG |
      native.GSS_C_CONF_FLAG | native.GSS_C_INTEG_FLAG
    const nativeExchange = async () => {
      const client = await native.initializeClient(realm.service, { mechOID: native.GSS_MECH_OID_KRB5, gssFlag })
      const server = await native.initializeServer(realm.service)
      const apReq = await client.step("")
      const apRep = await server.step(apReq)
      await client.step(apRep)
      if (!client.contextComplete || !server.contextComplete) throw new Error("native exchange did not complete")
      // contexts are freed by the addon when the objects are collected: nothing to delete here
    }
    // the first exchange puts the service ticket in the ccache (MIT keeps it there)
    await nativeExchange()
    const theirs = await asyncOps(`AP exchange, cached ticket: kerberos ${native.version} (MIT GSSAPI)`, nativeExchange)
    print(theirs)
    ratioLine("ours / native", ours, theirs, "≥ 1×")
  }

  // one more exchange, kept: its session key protects the wrap figures
  const c1 = run(pkg.initialize(clientCred, undefined, request([])))
  const s1 = run(pkg.accept(serverCred, undefined, request(c1.output)))
  const c2 = run(pkg.initialize(clientCred, c1.state, request(s1.output)))
  return { pkg, client: c2.state, server: s1.state }
}

const wrapThroughput = (pkg: Kerberos.KerberosPackage, client: Parameters<Kerberos.KerberosPackage["encryptMessage"]>[0], server: typeof client) => {
  const key = run(pkg.queryAttribute(client, "SessionKey")).key
  const sizes = run(pkg.queryAttribute(client, "Sizes"))
  // 32-byte key and a 12-byte checksum (maxSignature 16 + 12): aes256-cts-hmac-sha1-96
  const etype = key.length === 32 && sizes.maxSignature === 28 ? "aes256-cts-hmac-sha1-96" : `a ${key.length}-byte key, ${sizes.maxSignature - 16}-byte MAC`
  const message = randomBytes(64 * 1024)
  const buffers = [SecBuffer.token(new Uint8Array(sizes.securityTrailer)), SecBuffer.data(message)]
  // sanity: the acceptor opens what the initiator sealed
  const sealed = run(pkg.encryptMessage(client, 0, buffers, undefined))
  const opened = run(pkg.decryptMessage(server, sealed, undefined))
  if (!Buffer.from(opened.buffers[1]!.data).equals(message)) throw new Error("wrap round trip failed")
  const aesKey = randomBytes(32)
  const macKey = randomBytes(20)
  const iv = Buffer.alloc(16)
  const [seal, raw] = paired(
    [`EncryptMessage 64 KiB (${etype})`, () => run(pkg.encryptMessage(client, 0, buffers, undefined))],
    ["raw AES-256-CBC + HMAC-SHA1 over 64 KiB", () => {
      createCipheriv("aes-256-cbc", aesKey, iv).setAutoPadding(false).update(message)
      createHmac("sha1", macKey).update(message).digest()
    }]
  )
  print(seal, `${mibPerSec(seal, message.length).toFixed(0)} MiB/s`)
  print(raw, `${mibPerSec(raw, message.length).toFixed(0)} MiB/s`)
  console.log(`  → seal / raw = ${((seal.opsPerSec / raw.opsPerSec) * 100).toFixed(0)}% (target ≥ 80%)`)
}

export const runKerberos = async (): Promise<void> => {
  console.log("kerberos:")
  const peers = peersAvailableSync()
  if (!peers.krb5) {
    const why = peers.problems.filter((p) => /krb|kdc|kinit|kadmin|kdb5|gssapi|krb5/i.test(p))
    console.log(`  MIT Kerberos peers missing (${(why.length > 0 ? why : peers.problems).join("; ")}): AP exchange and wrap figures skipped (install with scripts/peers/install.sh)`)
    return
  }
  const scope = await Effect.runPromise(Scope.make())
  try {
    const realm = await Effect.runPromise(Scope.provide(scope)(Realm.start()))
    await Effect.runPromise(Realm.kinit(realm))
    const { client, pkg, server } = await apExchange(realm)
    wrapThroughput(pkg, client, server)
    run(pkg.deleteContext(client))
    run(pkg.deleteContext(server))
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
