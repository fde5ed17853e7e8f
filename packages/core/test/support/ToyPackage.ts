/**
 * A tiny in-test security package ("Toy") that exercises the runtime before
 * real packages: a three-leg challenge/response with a session key, optional
 * delays (driven by TestClock) and bookkeeping of live states, so tests can
 * check that every state is released and every key zeroed. Test code only.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import { Effect } from "effect"
import { SecBuffer, SecurityError } from "@effect-sspi/core"
import type { SecurityPackage as Pkg } from "@effect-sspi/core"

export interface ToyAuthData {
  readonly user?: string
  readonly password?: string
  /** Acceptor: user → password. */
  readonly users?: Readonly<Record<string, string>>
  /** Every leg sleeps this long (Clock time). */
  readonly delayMs?: number
  readonly credentialLifetimeMs?: number
  readonly contextLifetimeMs?: number
  /** The package defects on this leg (1-based), to test defect mapping. */
  readonly dieOnLeg?: number
  /**
   * The package throws synchronously (before returning an Effect) the first
   * time it reaches this leg (1-based), as a codec bug would: issue 9 D2.
   */
  readonly throwOnLeg?: number
  /** makeSignature / queryAttribute("Sizes") throw synchronously (a defect on an established context). */
  readonly throwInMessages?: boolean
  /** The attributes a finished leg grants: `contextReq & grantMask` (default: all asked). */
  readonly grantMask?: number
}

export interface ToyCredential {
  readonly auth: ToyAuthData
  freed: boolean
  thrown?: boolean
}

export interface ToyState {
  leg: number
  user: string
  nonce: string
  readonly key: Uint8Array
  sendSeq: number
  recvSeq: number
  throwInMessages: boolean
}

const enc = new TextEncoder()
const dec = new TextDecoder()

export const makeToyPackage = () => {
  const live = new Set<ToyState>()
  const keys: Array<Uint8Array> = []
  const creds = new Set<ToyCredential>()
  /** The Extended Protection level of every accept leg, as the package received it. */
  const levels: Array<string | undefined> = []
  const fail = (detail: string) => Effect.fail(new SecurityError.InvalidToken({ detail }))
  const token = (text: string) => [SecBuffer.token(enc.encode(text))]
  const input = (buffers: ReadonlyArray<SecBuffer.SecBuffer>) => {
    const t = SecBuffer.find(buffers, SecBuffer.BufferType.TOKEN)
    return t === undefined ? undefined : dec.decode(t.data)
  }
  const newState = (user: string, cred: ToyCredential): ToyState => {
    const state: ToyState = {
      leg: 0,
      user,
      nonce: "",
      key: new Uint8Array(16),
      sendSeq: 0,
      recvSeq: 0,
      throwInMessages: cred.auth.throwInMessages === true
    }
    live.add(state)
    keys.push(state.key)
    return state
  }
  const deriveKey = (state: ToyState, password: string) =>
    state.key.set(createHash("sha256").update(`${password}:${state.nonce}`).digest().subarray(0, 16))
  const leg = <A>(cred: ToyCredential, n: number, body: () => Effect.Effect<A, SecurityError.SspiError>) =>
    Effect.gen(function*() {
      if (cred.auth.delayMs !== undefined) yield* Effect.sleep(cred.auth.delayMs)
      if (cred.auth.dieOnLeg === n) return yield* Effect.die(new Error("toy defect"))
      return yield* body()
    })
  /** Throws (outside any Effect) the first time `cred` reaches leg `n` with throwOnLeg = n. */
  const maybeThrow = (cred: ToyCredential, n: number) => {
    if (cred.auth.throwOnLeg === n && cred.thrown !== true) {
      cred.thrown = true
      throw new RangeError("toy: offset out of bounds")
    }
  }
  const granted = (cred: ToyCredential, contextReq: number) => contextReq & (cred.auth.grantMask ?? -1)
  const mac = (state: ToyState, seq: number, message: Uint8Array) =>
    createHmac("sha256", state.key).update(String(seq)).update(message).digest().subarray(0, 16)

  const pkg: Pkg.SecurityPackage<ToyCredential, ToyState> = {
    info: { name: "Toy", comment: "in-test package", capabilities: 0, version: 1, rpcId: 0xffff, maxToken: 256 },
    acquireCredentials: (request) =>
      Effect.sync(() => {
        const auth = (request.authData ?? {}) as ToyAuthData
        const credential: ToyCredential = { auth, freed: false }
        creds.add(credential)
        return {
          credential,
          expiry: auth.credentialLifetimeMs === undefined ? Infinity : request.now + auth.credentialLifetimeMs
        }
      }),
    freeCredentials: (credential) =>
      Effect.sync(() => {
        credential.freed = true
        creds.delete(credential)
      }),
    initialize: (cred, state, request) => {
      maybeThrow(cred, state === undefined ? 1 : 2)
      return Effect.gen(function*() {
        const expiry = request.now + (cred.auth.contextLifetimeMs ?? 3_600_000)
        if (state === undefined) {
          return yield* leg(cred, 1, () =>
            Effect.sync(() => {
              const s = newState(cred.auth.user ?? "", cred)
              s.leg = 1
              return { status: "SEC_I_CONTINUE_NEEDED" as const, state: s, output: token(`HELLO:${s.user}`), attributes: 0, expiry }
            }))
        }
        return yield* leg(cred, 2, () => {
          const text = input(request.input)
          if (state.leg !== 1 || text === undefined || !text.startsWith("CHAL:")) return fail("expected a challenge")
          state.nonce = text.slice(5)
          deriveKey(state, cred.auth.password ?? "")
          state.leg = 2
          const proof = createHash("sha256").update(state.key).digest("hex")
          return Effect.succeed({ status: "SEC_E_OK" as const, state, output: token(`AUTH:${proof}`), attributes: granted(cred, request.contextReq), expiry })
        })
      })
    },
    accept: (cred, state, request) => {
      levels.push(request.extendedProtection)
      maybeThrow(cred, state === undefined ? 1 : 2)
      return Effect.gen(function*() {
        const expiry = request.now + (cred.auth.contextLifetimeMs ?? 3_600_000)
        const text = input(request.input)
        if (state === undefined) {
          return yield* leg(cred, 1, () => {
            if (text === undefined || !text.startsWith("HELLO:")) return fail("expected a hello")
            const s = newState(text.slice(6), cred)
            s.nonce = String(request.now)
            s.leg = 1
            return Effect.succeed({ status: "SEC_I_CONTINUE_NEEDED" as const, state: s, output: token(`CHAL:${s.nonce}`), attributes: 0, expiry })
          })
        }
        return yield* leg(cred, 2, () => {
          if (state.leg !== 1 || text === undefined || !text.startsWith("AUTH:")) return fail("expected an answer")
          const password = cred.auth.users?.[state.user]
          deriveKey(state, password ?? "\u0000no such user")
          const expected = enc.encode(createHash("sha256").update(state.key).digest("hex"))
          const got = enc.encode(text.slice(5))
          if (password === undefined || got.length !== expected.length || !timingSafeEqual(got, expected)) {
            return Effect.fail(new SecurityError.LogonDenied({}))
          }
          state.leg = 2
          return Effect.succeed({ status: "SEC_E_OK" as const, state, output: [], attributes: granted(cred, request.contextReq), expiry })
        })
      })
    },
    deleteContext: (state) =>
      Effect.sync(() => {
        state.key.fill(0)
        live.delete(state)
      }),
    queryAttribute: (state, attribute) => {
      switch (attribute) {
        case "Names":
          return Effect.succeed({ userName: state.user } as never)
        case "SessionKey":
          return Effect.succeed({ key: Uint8Array.from(state.key) } as never)
        case "Sizes":
          if (state.throwInMessages) throw new RangeError("toy: sizes")
          return Effect.succeed({ maxToken: 256, maxSignature: 20, blockSize: 0, securityTrailer: 20 } as never)
        default:
          return Effect.fail(new SecurityError.UnsupportedFunction({}))
      }
    },
    makeSignature: (state, _qop, message) => {
      if (state.throwInMessages) throw new RangeError("toy: key of the wrong length")
      return Effect.sync(() => {
        const data = SecBuffer.find(message, SecBuffer.BufferType.DATA)!.data
        const seq = state.sendSeq++
        const sig = new Uint8Array(20)
        new DataView(sig.buffer).setUint32(0, seq)
        sig.set(mac(state, seq, data), 4)
        return message.map((b) => b.baseType === SecBuffer.BufferType.TOKEN ? SecBuffer.token(sig) : b)
      })
    },
    verifySignature: (state, message) =>
      Effect.suspend((): Effect.Effect<number, SecurityError.SspiError> => {
        const data = SecBuffer.find(message, SecBuffer.BufferType.DATA)?.data
        const sig = SecBuffer.find(message, SecBuffer.BufferType.TOKEN)?.data
        if (data === undefined || sig === undefined || sig.length !== 20) return fail("no signature")
        const seq = new DataView(sig.buffer, sig.byteOffset).getUint32(0)
        if (!timingSafeEqual(sig.subarray(4), mac(state, seq, data))) {
          return Effect.fail(new SecurityError.MessageAltered({}))
        }
        if (seq !== state.recvSeq) return Effect.fail(new SecurityError.OutOfSequence({}))
        state.recvSeq++
        return Effect.succeed(0)
      }),
    encryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({})),
    decryptMessage: () => Effect.fail(new SecurityError.UnsupportedFunction({}))
  }
  return { pkg, live, keys, creds, levels }
}
