/**
 * A security context as a scoped resource. Each `step` is one
 * initializeSecurityContextAsync / acceptSecurityContextAsync call, awaited;
 * closing the scope deletes the context as deleteSecurityContextAsync does
 * (on the closing fiber) and awaits it, whether the handshake finished or not.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import type { ContextStep } from "./AsyncCallResult.ts"
import type { ExtendedProtection } from "./ChannelBindings.ts"
import type { Credentials } from "./Credentials.ts"
import { callAndAwait } from "./internal/call.ts"
import type { CtxtHandle } from "./internal/handleTable.ts"
import { BufferType, data as dataBuffer, SecBuffer, token as tokenBuffer } from "./SecBuffer.ts"
import { missingAttributes } from "./internal/requiredAttributes.ts"
import { flagNames, AscRet, IscRet } from "./Flags.ts"
import { NoContext, SecurityQosFailed, type SspiError } from "./SecurityError.ts"
import type { ContextAttribute, ContextAttributes, DelegationPolicy, HandshakeStatus, Unprotected } from "./SecurityPackage.ts"
import * as Sspi from "./Sspi.ts"
import { SspiRuntime } from "./SspiRuntime.ts"

/**
 * Options of a context.
 *
 * @since 0.1.0
 */
export interface ContextOptions {
  /** The service principal (initiator only), e.g. `HTTP/server.example`. */
  readonly targetName?: string | undefined
  /** ISC_REQ_* / ASC_REQ_* bits. */
  readonly contextReq?: number | undefined
  /** Extra input buffers for every leg, e.g. SECBUFFER_CHANNEL_BINDINGS. */
  readonly extraInput?: ReadonlyArray<SecBuffer> | undefined
  /**
   * Whether the protection attributes asked for in `contextReq`
   * (MUTUAL_AUTH, REPLAY_DETECT, SEQUENCE_DETECT, CONFIDENTIALITY,
   * INTEGRITY) are required. Default `true`: a finished handshake that did
   * not grant one of them fails with SEC_E_SECURITY_QOS_FAILED and the
   * context is deleted. `false` keeps SSPI's behaviour (the Windows-shaped
   * `Sspi` functions never check; the caller reads the attributes).
   */
  readonly requireRequested?: boolean | undefined
  /** Acceptor: the Extended Protection level of every leg (overrides the package's setting). */
  readonly extendedProtection?: ExtendedProtection | undefined
  /** Initiator: the delegation policy (see `HandshakeRequest.delegation`); unset, ISC_REQ_DELEGATE means `"policy"`. */
  readonly delegation?: DelegationPolicy | undefined
}

/**
 * One leg's outcome.
 *
 * @since 0.1.0
 */
export interface Step {
  readonly status: HandshakeStatus
  /** The token to send to the peer, if any. */
  readonly token: Uint8Array | undefined
  /** Whether this side has finished (SEC_E_OK or SEC_I_COMPLETE_NEEDED). */
  readonly done: boolean
  readonly attributes: number
  readonly expiry: number
}

/**
 * A client or server security context.
 *
 * @since 0.1.0
 */
export interface SecurityContext {
  readonly role: "initiator" | "acceptor"
  /** The handle, once the first leg created it. */
  readonly handle: () => CtxtHandle | undefined
  /** Whether the handshake has finished on this side. */
  readonly established: () => boolean
  /** Runs one leg with the peer's token (none on the initiator's first leg). */
  readonly step: (input?: Uint8Array) => Effect.Effect<Step, SspiError, SspiRuntime>
  readonly query: <K extends ContextAttribute>(
    attribute: K
  ) => Effect.Effect<ContextAttributes[K], SspiError, SspiRuntime>
  readonly makeSignature: (message: Uint8Array) => Effect.Effect<Uint8Array, SspiError, SspiRuntime>
  readonly verifySignature: (message: Uint8Array, signature: Uint8Array) => Effect.Effect<number, SspiError, SspiRuntime>
  readonly encrypt: (message: Uint8Array) => Effect.Effect<ReadonlyArray<SecBuffer>, SspiError, SspiRuntime>
  readonly decrypt: (buffers: ReadonlyArray<SecBuffer>) => Effect.Effect<Unprotected, SspiError, SspiRuntime>
}

const make = (
  role: SecurityContext["role"],
  credentials: Credentials,
  options: ContextOptions
): Effect.Effect<SecurityContext, never, SspiRuntime | Scope.Scope> => {
  let handle: CtxtHandle | undefined
  let established = false
  const call = role === "initiator" ? Sspi.initializeSecurityContextAsync : Sspi.acceptSecurityContextAsync
  const withHandle = <A>(f: (handle: CtxtHandle) => Effect.Effect<A, SspiError, SspiRuntime>) =>
    Effect.suspend(() =>
      handle === undefined ? Effect.fail(new NoContext({ detail: "no handshake leg has run yet" })) : f(handle)
    )

  /**
   * Deletes the context (awaited); afterwards the handle is gone. It does
   * what deleteSecurityContextAsync's call does, on this fiber: no async
   * context, no call fiber (about a third of a scoped handshake's runtime
   * cost with a no-op package).
   */
  const release = Effect.suspend(() => {
    const h = handle
    handle = undefined
    established = false
    return h === undefined ? Effect.void : SspiRuntime.use((runtime) => runtime.deleteContextNow(h))
  })

  const step = (input?: Uint8Array): Effect.Effect<Step, SspiError, SspiRuntime> =>
    Effect.suspend(() => {
      const buffers = input === undefined ? [] : [tokenBuffer(input)]
      return callAndAwait(
        "ContextStep",
        (ctx) =>
          call(ctx, {
            credential: credentials.handle,
            context: handle,
            targetName: options.targetName,
            contextReq: options.contextReq,
            input: options.extraInput === undefined ? buffers : [...buffers, ...options.extraInput],
            ...(options.extendedProtection === undefined ? {} : { extendedProtection: options.extendedProtection }),
            ...(options.delegation === undefined ? {} : { delegation: options.delegation })
          }),
        // the new context is ours from the moment its result is taken: the scope deletes it even if interrupted next
        (result) => {
          handle = result.context
        }
      )
    }).pipe(Effect.flatMap((result: ContextStep): Effect.Effect<Step, SspiError, SspiRuntime> => {
      handle = result.context
      const done = result.statusName === "SEC_E_OK" || result.statusName === "SEC_I_COMPLETE_NEEDED"
      const missing = done && options.requireRequested !== false
        ? missingAttributes(role, options.contextReq ?? 0, result.attributes)
        : 0
      // ASC_REQ vs ASC_RET (ISC_REQ vs ISC_RET): SEC_E_SECURITY_QOS_FAILED is Windows' status for "the
      // context could not be established due to a failure in the requested quality of service (for
      // example, mutual authentication or delegation)" (SSPI status codes); the context is deleted.
      if (missing !== 0) return Effect.andThen(release, Effect.fail(qosFailed(role, missing)))
      established = done
      const output = result.output.find((buffer) => buffer.baseType === BufferType.TOKEN)
      return Effect.succeed({
        status: result.statusName,
        token: output !== undefined && output.data.length > 0 ? output.data : undefined,
        done: established,
        attributes: result.attributes,
        expiry: result.expiry
      })
    }))

  const context: SecurityContext = {
    role,
    handle: () => handle,
    established: () => established,
    step,
    query: (attribute) => withHandle((h) => Sspi.queryContextAttributes(h, attribute)),
    makeSignature: (message) =>
      withHandle((h) =>
        Effect.map(
          Sspi.makeSignature(h, 0, [dataBuffer(message), tokenBuffer(new Uint8Array(0))]),
          (buffers) => buffers.find((b) => b.baseType === BufferType.TOKEN)!.data
        )
      ),
    verifySignature: (message, signature) =>
      withHandle((h) => Sspi.verifySignature(h, [dataBuffer(message), tokenBuffer(signature)])),
    // the message functions may work in place, as on Windows: this level works on copies
    encrypt: (message) =>
      withHandle((h) => Sspi.encryptMessage(h, 0, [tokenBuffer(new Uint8Array(0)), dataBuffer(Uint8Array.from(message))])),
    decrypt: (buffers) =>
      withHandle((h) =>
        Sspi.decryptMessage(
          h,
          buffers.map((b) => b.baseType === BufferType.DATA ? new SecBuffer({ type: b.type, data: Uint8Array.from(b.data) }) : b)
        )
      )
  }
  return Effect.acquireRelease(Effect.succeed(context), () => release)
}

const qosFailed = (role: SecurityContext["role"], missing: number) =>
  new SecurityQosFailed({
    detail: `requested attributes not granted: ${flagNames(role === "initiator" ? IscRet : AscRet, missing).join(", ")}`
  })

/**
 * A client context (InitializeSecurityContext side).
 *
 * @since 0.1.0
 */
export const initiator = (
  credentials: Credentials,
  options: ContextOptions = {}
): Effect.Effect<SecurityContext, never, SspiRuntime | Scope.Scope> => make("initiator", credentials, options)

/**
 * A server context (AcceptSecurityContext side).
 *
 * @since 0.1.0
 */
export const acceptor = (
  credentials: Credentials,
  options: ContextOptions = {}
): Effect.Effect<SecurityContext, never, SspiRuntime | Scope.Scope> => make("acceptor", credentials, options)
