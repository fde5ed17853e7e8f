/**
 * The messages of `sspi serve --workers N` without Redis: each worker asks
 * the primary process, over node:cluster's IPC channel (JSON), to record a
 * replay-cache key or to put / take a handshake-store entry, and the primary
 * answers. Both sides decode what they receive with these Schemas; a message
 * that does not decode is never acted on (the primary answers it with
 * SEC_E_INTERNAL_ERROR when it can read its id, else ignores it; a worker
 * ignores it and its call times out, failing closed).
 *
 * What travels: replay-cache keys (digests of a token's identifying fields,
 * never a secret) and NTLM handshake entries, the same bytes core's memory
 * store holds (the NEGOTIATE and CHALLENGE messages the wire already showed
 * and the channel-bindings hash; no password hash, no session key). The
 * channel is a pipe between processes of the same user on one machine.
 */
import { Schema } from "effect"
import { SecurityError } from "@effect-sspi/core"

/** Marks our messages among whatever else an app sends over the cluster channel. */
export const channel = "effect-sspi/shared-state"

/** The largest handshake entry a worker sends (core's memory store refuses larger ones too). */
export const maxEntryBytes = 16 * 1024

/** The largest replay-cache key (a digest: tens of bytes). */
export const maxKeyBytes = 1024

/** The longest handshake id (the acceptor's ids are a few dozen characters). */
export const maxHandshakeIdLength = 256

/** A call's number, unique among a worker's calls in flight. */
const CallId = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }))

/** The length of a caller tag: 16 random bytes in hex. */
export const callerLength = 32

/**
 * Names the worker-side Layer instance that made a call (16 random bytes in
 * hex, drawn when the Layer is built) and is echoed in the answer: every
 * instance in a worker process hears every answer the primary sends that
 * process (`process.on("message")`), and call ids alone (each instance
 * counting from 0) would let one instance take another's answer, e.g. a
 * `"Fresh"` meant for another key. Optional on the wire (the primary echoes
 * what it got); a worker only takes answers that carry its own.
 */
const Caller = Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[0-9a-f]{32}$/)))

/** A time-to-live in milliseconds: finite, at most a day (the callers' TTLs are minutes). */
const TtlMs = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 86_400_000 }))

const Bytes = (max: number) => Schema.Uint8ArrayFromBase64.check(Schema.isMaxLength(max))

const HandshakeId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(maxHandshakeIdLength))

/** `ReplayCache.record(key, ttl)`. */
export const Record = Schema.TaggedStruct("Record", { key: Bytes(maxKeyBytes).check(Schema.isMinLength(1)), ttlMs: TtlMs })

/** `HandshakeStore.put` (`ifAbsent: false`) or `putIfAbsent` (`true`). */
export const Put = Schema.TaggedStruct("Put", {
  handshake: HandshakeId,
  bytes: Bytes(maxEntryBytes),
  ttlMs: TtlMs,
  ifAbsent: Schema.Boolean
})

/** `HandshakeStore.take(id)`. */
export const Take = Schema.TaggedStruct("Take", { handshake: HandshakeId })

/** What a worker asks. */
export const Operation = Schema.Union([Record, Put, Take])

/** A worker's request. */
export const Request = Schema.Struct({ channel: Schema.Literal(channel), from: Caller, id: CallId, op: Operation })

/** The primary's answer to `Record`. */
export const Verdict = Schema.TaggedStruct("Verdict", { verdict: Schema.Literals(["Fresh", "Replay"]) })

/** The primary's answer to `Put`: whether the entry was stored (always `true` for a plain put). */
export const Stored = Schema.TaggedStruct("Stored", { stored: Schema.Boolean })

/** The primary's answer to `Take`: the entry, or `null` when there is none. */
export const Taken = Schema.TaggedStruct("Taken", { bytes: Schema.NullOr(Bytes(maxEntryBytes)) })

/** The typed error the primary's store or cache failed with (core's status errors are Schemas). */
export const Failed = Schema.TaggedStruct("Failed", {
  error: Schema.Union([SecurityError.InsufficientMemory, SecurityError.InternalError])
})

/** What the primary answers. */
export const Result = Schema.Union([Verdict, Stored, Taken, Failed])

/** The primary's response to the request with the same `from` and `id`. */
export const Response = Schema.Struct({ channel: Schema.Literal(channel), from: Caller, id: CallId, result: Result })

/** Just the envelope: lets the primary answer a request it cannot otherwise read. */
export const Envelope = Schema.Struct({ channel: Schema.Literal(channel), from: Caller, id: CallId })

/** A decoded operation. */
export type Operation = typeof Operation.Type
/** A decoded result. */
export type Result = typeof Result.Type

/** A worker's message as the primary reads it: `None` when it is not a well-formed request. */
export const decodeRequest = Schema.decodeUnknownOption(Request)
/** The primary's message as a worker reads it: `None` when it is not a well-formed response. */
export const decodeResponse = Schema.decodeUnknownOption(Response)
/** The id of a message that is ours but not a well-formed request. */
export const decodeEnvelope = Schema.decodeUnknownOption(Envelope)
/** A request as sent (JSON-safe: bytes in base64); a failure is never thrown. */
export const encodeRequest = Schema.encodeResult(Request)
/** A response as sent (JSON-safe: bytes in base64); a failure is never thrown. */
export const encodeResponse = Schema.encodeResult(Response)
