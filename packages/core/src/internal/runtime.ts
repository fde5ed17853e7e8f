/**
 * The runtime behind the Windows-shaped functions: credential and context
 * handle tables, the path of one call, deletion and shutdown.
 */
import { Clock, Effect, Exit, Fiber, FiberSet, Scope } from "effect"
import type { ExtendedProtection } from "../ChannelBindings.ts"
import type { AsyncCallResult, ContextStep, CredentialsAcquired, Released } from "../AsyncCallResult.ts"
import { CredentialUse, type CredentialUse as CredentialUseValue, DataRep } from "../Flags.ts"
import { SecBuffer } from "../SecBuffer.ts"
import {
  ContextExpired,
  InternalError,
  InvalidHandle,
  InvalidParameter,
  NoContext,
  NoCredentials,
  OutOfSequence,
  type SspiError,
  WrongCredentialHandle
} from "../SecurityError.ts"
import type {
  AnySecurityPackage,
  ContextAttribute,
  ContextAttributes,
  DelegationPolicy,
  HandshakeRequest,
  HandshakeStep,
  PackageAttribute,
  SecurityPackages,
  Unprotected
} from "../SecurityPackage.ts"
import { codes } from "../SecurityStatus.ts"
import { type AsyncNotifyCallback, AsyncCalls } from "./asyncCalls.ts"
import { type AsyncContextHandle, CredHandle, CtxtHandle, HandleTable } from "./handleTable.ts"

interface CredentialEntry {
  readonly pkg: AnySecurityPackage
  readonly state: unknown
  readonly use: CredentialUseValue
  readonly expiry: number
  /** The handle counts as one reference, and every context made with it as one more. */
  refs: number
}

type Role = "initiator" | "acceptor"

interface ContextEntry {
  readonly pkg: AnySecurityPackage
  readonly credential: CredentialEntry
  readonly role: Role
  readonly start: number
  state: unknown
  attributes: number
  expiry: number
  complete: boolean
  running: Fiber.Fiber<unknown, unknown> | undefined
}

/** AcquireCredentialsHandle parameters. */
export interface AcquireCredentialsParams {
  readonly principal?: string | undefined
  readonly packageName: string
  readonly credentialUse: CredentialUseValue
  /** Package-specific authentication data (for example a user name and a `Redacted` password). */
  readonly authData?: unknown
}

/** InitializeSecurityContext / AcceptSecurityContext parameters. */
export interface HandshakeParams {
  readonly credential: CredHandle
  /** `undefined` on the first call, which creates the context. */
  readonly context?: CtxtHandle | undefined
  /** InitializeSecurityContext only. */
  readonly targetName?: string | undefined
  /** ISC_REQ_* or ASC_REQ_* bits. */
  readonly contextReq?: number | undefined
  readonly dataRep?: number | undefined
  readonly input?: ReadonlyArray<SecBuffer> | undefined
  /**
   * The output buffers the caller asks for, by type (pOutput). The result's
   * `output` then has one buffer per entry, in this order, filled with the
   * package's buffer of that type or left empty. Without it, the package's
   * buffers are returned as they are. Buffers are always allocated for the
   * caller (ISC_REQ_ALLOCATE_MEMORY semantics).
   */
  readonly output?: ReadonlyArray<SecBuffer> | undefined
  /** AcceptSecurityContext: the Extended Protection level for this leg (see `HandshakeRequest`). */
  readonly extendedProtection?: ExtendedProtection | undefined
  /** InitializeSecurityContext: the delegation policy for this context (see `HandshakeRequest`). */
  readonly delegation?: DelegationPolicy | undefined
}

/** What the runtime can report as alive; every number returns to zero when nothing leaks. */
export interface RuntimeStats {
  readonly credentials: number
  readonly contexts: number
  readonly asyncContexts: number
  readonly calls: number
}

/** A package defect (a throw): SEC_E_INTERNAL_ERROR, as `SecurityStatus.fromExit` maps it. */
const packageDefect = () => new InternalError({ detail: "the security package failed unexpectedly" })

const invalid = (what: string) => new InvalidHandle({ detail: `not a live ${what} handle` })

/** Releases one reference to a credential; the last one frees the package's state. */
const releaseCredential = (entry: CredentialEntry): Effect.Effect<void> =>
  Effect.suspend(() => --entry.refs === 0 ? entry.pkg.freeCredentials(entry.state) : Effect.void)

/** Releases a context's package state (its keys are zeroed) and its credential reference. */
const finalizeContext = (entry: ContextEntry): Effect.Effect<void> =>
  Effect.suspend(() => {
    const running = entry.running
    return running === undefined ? Effect.void : Fiber.interrupt(running)
  }).pipe(
    Effect.andThen(Effect.suspend(() => entry.pkg.deleteContext(entry.state))),
    Effect.ensuring(releaseCredential(entry.credential)),
    Effect.uninterruptible
  )

const released: Released = { _tag: "Released", status: 0 }

/** The package's output buffers in the order and types the caller asked for. */
const arrangeOutput = (requested: ReadonlyArray<SecBuffer>, produced: ReadonlyArray<SecBuffer>): ReadonlyArray<SecBuffer> =>
  requested.map((want) => {
    const found = produced.find((buffer) => buffer.baseType === want.baseType)
    return new SecBuffer({ type: want.type, data: found?.data ?? new Uint8Array(0) })
  })

/** The runtime: one per `SspiRuntime` layer. */
export class Runtime {
  readonly calls: AsyncCalls
  readonly #packages: SecurityPackages["Service"]
  readonly #credentials = new HandleTable<CredHandle, CredentialEntry>(CredHandle)
  readonly #contexts = new HandleTable<CtxtHandle, ContextEntry>(CtxtHandle)

  constructor(packages: SecurityPackages["Service"], fibers: FiberSet.FiberSet<void, never>) {
    this.#packages = packages
    this.calls = new AsyncCalls(fibers)
  }

  stats(): Effect.Effect<RuntimeStats> {
    return Effect.map(this.calls.liveCalls(), (calls) => ({
      credentials: this.#credentials.size,
      contexts: this.#contexts.size,
      asyncContexts: this.calls.liveContexts,
      calls
    }))
  }

  // --- credentials -------------------------------------------------------

  acquireCredentials(asyncContext: AsyncContextHandle, params: AcquireCredentialsParams) {
    const work = Effect.gen({ self: this }, function*() {
      const pkg = yield* this.#packages.find(params.packageName)
      if ((params.credentialUse & CredentialUse.BOTH) === 0 || (params.credentialUse & ~CredentialUse.BOTH) !== 0) {
        return yield* new InvalidParameter({ detail: "credentialUse must be INBOUND, OUTBOUND or BOTH" })
      }
      const now = yield* Clock.currentTimeMillis
      return yield* Effect.uninterruptibleMask((restore) =>
        restore(pkg.acquireCredentials({
          principal: params.principal,
          credentialUse: params.credentialUse,
          authData: params.authData,
          now
        })).pipe(Effect.map((grant): CredentialsAcquired => ({
          _tag: "CredentialsAcquired",
          status: 0,
          credential: this.#credentials.add({
            pkg,
            state: grant.credential,
            use: params.credentialUse,
            expiry: grant.expiry,
            refs: 1
          }),
          expiry: grant.expiry
        })))
      )
    })
    return this.calls.queue(asyncContext, () => work, (result) => Effect.ignore(this.#freeCredentialNow(result.credential)))
  }

  #freeCredentialNow(handle: CredHandle): Effect.Effect<void, InvalidHandle> {
    return Effect.suspend(() => {
      const entry = this.#credentials.remove(handle)
      return entry === undefined ? Effect.fail(invalid("credential")) : releaseCredential(entry)
    }).pipe(Effect.uninterruptible)
  }

  freeCredentials(asyncContext: AsyncContextHandle, handle: CredHandle) {
    return this.calls.queue(
      asyncContext,
      () => {
        const entry = this.#credentials.remove(handle)
        return entry === undefined
          ? Effect.fail(invalid("credential"))
          : Effect.as(releaseCredential(entry).pipe(Effect.uninterruptible), released)
      },
      () => Effect.void
    )
  }

  // --- security contexts -------------------------------------------------

  initialize(asyncContext: AsyncContextHandle, params: HandshakeParams) {
    return this.#handshake(asyncContext, params, "initiator")
  }

  accept(asyncContext: AsyncContextHandle, params: HandshakeParams) {
    return this.#handshake(asyncContext, params, "acceptor")
  }

  #usableCredential(handle: CredHandle, role: Role, now: number): Effect.Effect<CredentialEntry, SspiError> {
    const entry = this.#credentials.get(handle)
    if (entry === undefined) return Effect.fail(invalid("credential"))
    if (now >= entry.expiry) return Effect.fail(new ContextExpired({ detail: "the credential has expired" }))
    const needed = role === "initiator" ? CredentialUse.OUTBOUND : CredentialUse.INBOUND
    if ((entry.use & needed) === 0) {
      return Effect.fail(new NoCredentials({ detail: `the credential is not for ${role} use` }))
    }
    return Effect.succeed(entry)
  }

  #existingContext(
    handle: CtxtHandle,
    credential: CredentialEntry,
    role: Role,
    now: number
  ): Effect.Effect<ContextEntry, SspiError> {
    const entry = this.#contexts.get(handle)
    if (entry === undefined || entry.role !== role) return Effect.fail(invalid("security context"))
    if (entry.credential !== credential) return Effect.fail(new WrongCredentialHandle({}))
    if (entry.running !== undefined) {
      return Effect.fail(new InvalidParameter({ detail: "a call is already running on this security context" }))
    }
    if (entry.complete) return Effect.fail(new OutOfSequence({ detail: "the handshake is already complete" }))
    if (now >= entry.expiry) return Effect.fail(new ContextExpired({}))
    // claimed in the same synchronous step as the check: no second call can slip in
    entry.running = Fiber.getCurrent()
    return Effect.succeed(entry)
  }

  #handshake(asyncContext: AsyncContextHandle, params: HandshakeParams, role: Role) {
    // a chain of steps rather than Effect.gen: this runs once per leg (a generator per call showed in profiles)
    const work = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(this.#usableCredential(params.credential, role, now), (credential) =>
        params.context === undefined
          ? this.#leg(params, role, now, credential, undefined)
          : Effect.flatMap(
            this.#existingContext(params.context, credential, role, now),
            (existing) => this.#leg(params, role, now, credential, existing)
          )))
    return this.calls.queue(
      asyncContext,
      () => work,
      (result) => params.context === undefined ? this.#deleteNow(result.context) : Effect.void
    )
  }

  /** One leg on a checked credential and, after the first leg, a claimed context. */
  #leg(
    params: HandshakeParams,
    role: Role,
    now: number,
    credential: CredentialEntry,
    existing: ContextEntry | undefined
  ): Effect.Effect<ContextStep, SspiError> {
    const request: HandshakeRequest = {
      targetName: params.targetName,
      contextReq: params.contextReq ?? 0,
      dataRep: params.dataRep ?? DataRep.NATIVE,
      input: params.input ?? [],
      now,
      ...(params.extendedProtection === undefined ? {} : { extendedProtection: params.extendedProtection }),
      ...(params.delegation === undefined ? {} : { delegation: params.delegation })
    }
    const pkg = credential.pkg
    // A package that throws (a defect), synchronously or inside its Effect, must not wedge the
    // context: the leg is suspended so the throw happens inside `restore(leg)`, where the
    // busy mark's release is installed (issue 9 D2); the defect is SEC_E_INTERNAL_ERROR.
    const leg = Effect.suspend(() =>
      role === "initiator"
        ? pkg.initialize(credential.state, existing?.state, request)
        : pkg.accept(credential.state, existing?.state, request)
    )
    if (existing !== undefined) {
      return Effect.uninterruptibleMask((restore) =>
        restore(leg).pipe(
          Effect.ensuring(Effect.sync(() => (existing.running = undefined))),
          Effect.map((step) => {
            existing.state = step.state
            return this.#record(existing, step, params.context!, params.output)
          })
        )
      )
    }
    return Effect.uninterruptibleMask((restore) => {
      // the leg uses the credential's state: hold a reference for it from the start
      credential.refs++
      return restore(leg).pipe(
        Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : releaseCredential(credential)),
        Effect.map((step) => {
          const entry: ContextEntry = {
            pkg,
            credential,
            role,
            start: now,
            state: step.state,
            attributes: 0,
            expiry: Infinity,
            complete: false,
            running: undefined
          }
          return this.#record(entry, step, this.#contexts.add(entry), params.output)
        })
      )
    })
  }

  #record(
    entry: ContextEntry,
    step: HandshakeStep<unknown>,
    context: CtxtHandle,
    requested: ReadonlyArray<SecBuffer> | undefined
  ): ContextStep {
    entry.attributes = step.attributes
    entry.expiry = step.expiry
    entry.complete = step.status === "SEC_E_OK" || step.status === "SEC_I_COMPLETE_NEEDED"
    return {
      _tag: "ContextStep",
      status: codes[step.status],
      statusName: step.status,
      context,
      output: requested === undefined ? step.output : arrangeOutput(requested, step.output),
      attributes: step.attributes,
      expiry: step.expiry
    }
  }

  #deleteNow(handle: CtxtHandle): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entry = this.#contexts.remove(handle)
      return entry === undefined ? Effect.void : finalizeContext(entry)
    })
  }

  /**
   * Deletes a context on the caller's fiber, awaited: what
   * deleteSecurityContextAsync's call does (the handle stops being valid at
   * once; a call still running on the context is interrupted; the package's
   * state is released, uninterruptibly), without an async context and a
   * call fiber. For the scoped API's release, which awaits the deletion
   * anyway. A handle that is not live (deleted already) is a no-op.
   */
  deleteContextNow(handle: CtxtHandle): Effect.Effect<void> {
    return this.#deleteNow(handle)
  }

  /**
   * The handle stops being valid when the request is queued; the finalizer
   * fiber interrupts a call still running on the context (that call reports
   * SEC_E_UNFINISHED_CONTEXT_DELETED), then releases the package's state.
   */
  deleteContext(asyncContext: AsyncContextHandle, handle: CtxtHandle) {
    return this.calls.queue(
      asyncContext,
      () => {
        const entry = this.#contexts.remove(handle)
        return entry === undefined ? Effect.fail(invalid("security context")) : Effect.as(finalizeContext(entry), released)
      },
      () => Effect.void
    )
  }

  // --- established contexts ---------------------------------------------

  #established(handle: CtxtHandle): Effect.Effect<ContextEntry, SspiError> {
    return Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<ContextEntry, SspiError> => {
      const entry = this.#contexts.get(handle)
      if (entry === undefined) return Effect.fail(invalid("security context"))
      if (!entry.complete) return Effect.fail(new NoContext({ detail: "the handshake is not complete" }))
      if (now >= entry.expiry) return Effect.fail(new ContextExpired({}))
      return Effect.succeed(entry)
    })
  }

  queryAttribute<K extends ContextAttribute>(
    handle: CtxtHandle,
    attribute: K
  ): Effect.Effect<ContextAttributes[K], SspiError> {
    const entry = this.#contexts.get(handle)
    if (entry === undefined) return Effect.fail(invalid("security context"))
    const answer = (value: ContextAttributes[ContextAttribute]) => Effect.succeed(value as ContextAttributes[K])
    switch (attribute) {
      case "Flags":
        return answer({ flags: entry.attributes })
      case "Lifespan":
        return answer({ start: entry.start, expiry: entry.expiry })
      case "PackageInfo":
        return answer(entry.pkg.info)
      default:
        return Effect.suspend(() => entry.pkg.queryAttribute(entry.state, attribute as PackageAttribute)).pipe(
          Effect.catchDefect(() => Effect.fail(packageDefect()))
        ) as Effect.Effect<ContextAttributes[K], SspiError>
    }
  }

  makeSignature(handle: CtxtHandle, qop: number, message: ReadonlyArray<SecBuffer>, sequence?: number) {
    return this.#message(handle, (e) => e.pkg.makeSignature(e.state, qop, message, sequence))
  }

  verifySignature(handle: CtxtHandle, message: ReadonlyArray<SecBuffer>, sequence?: number) {
    return this.#message(handle, (e) => e.pkg.verifySignature(e.state, message, sequence))
  }

  encryptMessage(handle: CtxtHandle, qop: number, message: ReadonlyArray<SecBuffer>, sequence?: number) {
    return this.#message(handle, (e) => e.pkg.encryptMessage(e.state, qop, message, sequence))
  }

  decryptMessage(
    handle: CtxtHandle,
    message: ReadonlyArray<SecBuffer>,
    sequence?: number
  ): Effect.Effect<Unprotected, SspiError> {
    return this.#message(handle, (e) => e.pkg.decryptMessage(e.state, message, sequence))
  }

  /** A message function on an established context; a package defect is SEC_E_INTERNAL_ERROR, never a throw. */
  #message<A>(handle: CtxtHandle, f: (entry: ContextEntry) => Effect.Effect<A, SspiError>): Effect.Effect<A, SspiError> {
    return Effect.flatMap(this.#established(handle), (entry) =>
      Effect.suspend(() => f(entry)).pipe(
        Effect.catchDefect(() => Effect.fail(packageDefect()))
      ))
  }

  // --- async contexts ------------------------------------------------------

  setCallback(handle: AsyncContextHandle, callback: AsyncNotifyCallback | null, data: unknown) {
    return this.calls.setCallback(handle, callback, data)
  }

  await(handle: AsyncContextHandle, claim?: (result: AsyncCallResult) => void): Effect.Effect<AsyncCallResult, SspiError> {
    return this.calls.await(handle, claim)
  }

  /** Runtime shutdown, after the call fibers were interrupted: releases everything left. */
  shutdown(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.calls.clear()
      return Effect.forEach(this.#contexts.drain(), finalizeContext, { discard: true })
    }).pipe(
      Effect.andThen(Effect.suspend(() =>
        Effect.forEach(this.#credentials.drain(), releaseCredential, { discard: true })
      )),
      Effect.uninterruptible
    )
  }
}

/** Registers the runtime's finalizers in the order shutdown needs them. */
export const makeRuntime = (packages: SecurityPackages["Service"]): Effect.Effect<Runtime, never, Scope.Scope> =>
  Effect.gen(function*() {
    let runtime: Runtime | undefined
    yield* Effect.addFinalizer(() => runtime === undefined ? Effect.void : runtime.shutdown())
    const fibers = yield* FiberSet.make<void, never>()
    runtime = new Runtime(packages, fibers)
    const rt = runtime
    yield* Effect.addFinalizer(() => Effect.sync(() => (rt.calls.shuttingDown = true)))
    return runtime
  })
