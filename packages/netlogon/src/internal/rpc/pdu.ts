/**
 * Connection-oriented DCE/RPC PDUs (C706 chapter 12.6, MS-RPCE 2.2.2): the
 * common header, bind, bind_ack, bind_nak, request, response and fault, with
 * the optional auth verifier (sec_trailer + auth_value, C706 13.2.6.1,
 * MS-RPCE 2.2.2.11). Little-endian data representation only.
 *
 * Encoders are total; `decodePdu` checks every length against the bytes it
 * was given and returns a typed error.
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/** PDU types used here (C706 12.6.4.1). */
export const PType = {
  request: 0,
  response: 2,
  fault: 3,
  bind: 11,
  bind_ack: 12,
  bind_nak: 13
} as const

/** pfc_flags (C706 12.6.3.1). */
export const PfcFlags = { FIRST_FRAG: 0x01, LAST_FRAG: 0x02, OBJECT_UUID: 0x80 } as const

/** Common header (16) length and the fixed parts after it. */
export const HEADER_LENGTH = 16
const SEC_TRAILER_LENGTH = 8
/** The largest fragment we send or accept (C706's usual 5840). */
export const MAX_FRAGMENT = 5840

/**
 * A PDU that is malformed, unexpected or larger than allowed.
 *
 * @since 0.1.0
 */
export class RpcProtocolError extends Data.TaggedError("RpcProtocolError")<{ readonly reason: string }> {}

/** An interface or transfer syntax: UUID (16 bytes, wire order) and version. */
export interface SyntaxId {
  readonly uuid: Uint8Array
  readonly major: number
  readonly minor: number
}

/** The auth verifier of a PDU (sec_trailer and auth_value). */
export interface AuthVerifier {
  readonly authType: number
  readonly authLevel: number
  readonly padLength: number
  readonly contextId: number
  readonly value: Uint8Array
}

export interface BindPdu {
  readonly type: "bind"
  readonly callId: number
  readonly assocGroup: number
  readonly contextId: number
  readonly abstract: SyntaxId
  readonly transfer: SyntaxId
  readonly auth?: AuthVerifier | undefined
}

export interface BindAckPdu {
  readonly type: "bind_ack"
  readonly callId: number
  readonly maxXmit: number
  readonly maxRecv: number
  readonly assocGroup: number
  /** Result of the first presentation context (0 = acceptance). */
  readonly result: number
  readonly reason: number
  readonly auth?: AuthVerifier | undefined
}

export interface BindNakPdu {
  readonly type: "bind_nak"
  readonly callId: number
  readonly reason: number
}

export interface RequestPdu {
  readonly type: "request"
  readonly callId: number
  readonly flags: number
  readonly allocHint: number
  readonly contextId: number
  readonly opnum: number
  /** Stub data; with an auth verifier, including its `padLength` pad bytes. */
  readonly stub: Uint8Array
  readonly auth?: AuthVerifier | undefined
}

export interface ResponsePdu {
  readonly type: "response"
  readonly callId: number
  readonly flags: number
  readonly allocHint: number
  readonly contextId: number
  /** Stub data; with an auth verifier, including its `padLength` pad bytes. */
  readonly stub: Uint8Array
  readonly auth?: AuthVerifier | undefined
}

export interface FaultPdu {
  readonly type: "fault"
  readonly callId: number
  readonly flags: number
  readonly status: number
}

export type Pdu = BindPdu | BindAckPdu | BindNakPdu | RequestPdu | ResponsePdu | FaultPdu

/** The NDR transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 v2.0. */
export const NDR20: SyntaxId = { uuid: uuidBytes("8a885d04-1ceb-11c9-9fe8-08002b104860"), major: 2, minor: 0 }

/** A UUID string in its wire (little-endian first three fields) order. */
export function uuidBytes(s: string): Uint8Array {
  const hex = s.replace(/-/g, "")
  const b = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)))
  return Uint8Array.of(b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8))
}

const typeOf = (pdu: Pdu): number => PType[pdu.type]

/** Writes header + body + optional auth verifier. */
const frame = (pdu: Pdu, flags: number, body: Uint8Array, auth: AuthVerifier | undefined): Uint8Array => {
  const authLength = auth === undefined ? 0 : auth.value.length
  const trailer = auth === undefined ? 0 : SEC_TRAILER_LENGTH + authLength
  const out = new Uint8Array(HEADER_LENGTH + body.length + trailer)
  const v = new DataView(out.buffer)
  out[0] = 5
  out[1] = 0
  out[2] = typeOf(pdu)
  out[3] = flags
  out[4] = 0x10 // little-endian integers, ASCII characters, IEEE floats
  v.setUint16(8, out.length, true)
  v.setUint16(10, authLength, true)
  v.setUint32(12, pdu.callId, true)
  out.set(body, HEADER_LENGTH)
  if (auth !== undefined) {
    const at = HEADER_LENGTH + body.length
    out[at] = auth.authType
    out[at + 1] = auth.authLevel
    out[at + 2] = auth.padLength
    out[at + 3] = 0
    v.setUint32(at + 4, auth.contextId, true)
    out.set(auth.value, at + SEC_TRAILER_LENGTH)
  }
  return out
}

const syntax = (v: DataView, out: Uint8Array, at: number, s: SyntaxId): void => {
  out.set(s.uuid, at)
  v.setUint16(at + 16, s.major, true)
  v.setUint16(at + 18, s.minor, true)
}

/** Pads `body` so an auth verifier that follows it starts 4-byte aligned. */
const alignBody = (body: Uint8Array, auth: AuthVerifier | undefined): Uint8Array => {
  if (auth === undefined || body.length % 4 === 0) return body
  const padded = new Uint8Array(body.length + 4 - (body.length % 4))
  padded.set(body)
  return padded
}

/**
 * Encodes a PDU (one fragment). Total: any values give bytes.
 *
 * @since 0.1.0
 */
export const encodePdu = (pdu: Pdu): Uint8Array => {
  switch (pdu.type) {
    case "bind": {
      const body = new Uint8Array(56)
      const v = new DataView(body.buffer)
      v.setUint16(0, MAX_FRAGMENT, true)
      v.setUint16(2, MAX_FRAGMENT, true)
      v.setUint32(4, pdu.assocGroup, true)
      body[8] = 1 // one presentation context
      v.setUint16(12, pdu.contextId, true)
      body[14] = 1 // one transfer syntax
      syntax(v, body, 16, pdu.abstract)
      syntax(v, body, 36, pdu.transfer)
      return frame(pdu, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, body, pdu.auth)
    }
    case "bind_ack": {
      // secondary address "" (length 0), padded to 4, one result
      const body = new Uint8Array(8 + 2 + 2 + 4 + 24)
      const v = new DataView(body.buffer)
      v.setUint16(0, pdu.maxXmit, true)
      v.setUint16(2, pdu.maxRecv, true)
      v.setUint32(4, pdu.assocGroup, true)
      body[12] = 1
      v.setUint16(16, pdu.result, true)
      v.setUint16(18, pdu.reason, true)
      syntax(v, body, 20, NDR20)
      return frame(pdu, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, body, pdu.auth)
    }
    case "bind_nak": {
      const body = new Uint8Array(4)
      new DataView(body.buffer).setUint16(0, pdu.reason, true)
      return frame(pdu, PfcFlags.FIRST_FRAG | PfcFlags.LAST_FRAG, body, undefined)
    }
    case "request":
    case "response": {
      const head = new Uint8Array(8)
      const v = new DataView(head.buffer)
      v.setUint32(0, pdu.allocHint, true)
      v.setUint16(4, pdu.contextId, true)
      if (pdu.type === "request") v.setUint16(6, pdu.opnum, true)
      const body = new Uint8Array(8 + pdu.stub.length)
      body.set(head)
      body.set(pdu.stub, 8)
      return frame(pdu, pdu.flags, alignBody(body, pdu.auth), pdu.auth)
    }
    case "fault": {
      const body = new Uint8Array(16)
      new DataView(body.buffer).setUint32(8, pdu.status, true)
      return frame(pdu, pdu.flags, body, undefined)
    }
  }
}

/**
 * The fragment length announced by a PDU's first 16 bytes, checked against
 * MAX_FRAGMENT and the header's own consistency (C706 12.6.3.1).
 *
 * @since 0.1.0
 */
export const fragmentLength = (header: Uint8Array): Result.Result<number, RpcProtocolError> => {
  if (header.length < HEADER_LENGTH) return Result.fail(new RpcProtocolError({ reason: "short header" }))
  if (header[0] !== 5 || header[1] !== 0) return Result.fail(new RpcProtocolError({ reason: "not DCE/RPC 5.0" }))
  if ((header[4]! & 0xf0) !== 0x10) {
    return Result.fail(new RpcProtocolError({ reason: "big-endian data representation is not supported" }))
  }
  const v = new DataView(header.buffer, header.byteOffset, HEADER_LENGTH)
  const length = v.getUint16(8, true)
  const authLength = v.getUint16(10, true)
  if (length < HEADER_LENGTH || length > MAX_FRAGMENT) {
    return Result.fail(new RpcProtocolError({ reason: `fragment length ${length} out of bounds` }))
  }
  if (authLength > 0 && authLength + SEC_TRAILER_LENGTH > length - HEADER_LENGTH) {
    return Result.fail(new RpcProtocolError({ reason: "auth length exceeds the fragment" }))
  }
  return Result.succeed(length)
}

const failWith = (reason: string) => Result.fail(new RpcProtocolError({ reason }))

const readSyntax = (v: DataView, bytes: Uint8Array, at: number): SyntaxId => ({
  uuid: bytes.slice(at, at + 16),
  major: v.getUint16(at + 16, true),
  minor: v.getUint16(at + 18, true)
})

/**
 * Decodes one whole fragment (exactly `fragmentLength` bytes).
 *
 * @since 0.1.0
 */
export const decodePdu = (bytes: Uint8Array): Result.Result<Pdu, RpcProtocolError> => {
  const length = fragmentLength(bytes)
  if (Result.isFailure(length)) return Result.fail(length.failure)
  if (length.success !== bytes.length) return failWith("fragment length differs from the bytes received")
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = bytes[2]!
  const flags = bytes[3]!
  const authLength = v.getUint16(10, true)
  const callId = v.getUint32(12, true)
  let bodyEnd = bytes.length
  let auth: AuthVerifier | undefined
  if (authLength > 0) {
    const at = bytes.length - authLength - SEC_TRAILER_LENGTH
    auth = {
      authType: bytes[at]!,
      authLevel: bytes[at + 1]!,
      padLength: bytes[at + 2]!,
      contextId: v.getUint32(at + 4, true),
      value: bytes.slice(at + SEC_TRAILER_LENGTH)
    }
    bodyEnd = at
  }
  const bodyLength = bodyEnd - HEADER_LENGTH
  switch (type) {
    case PType.bind_ack: {
      if (bodyLength < 10) return failWith("short bind_ack")
      const addrLength = v.getUint16(HEADER_LENGTH + 8, true)
      let at = HEADER_LENGTH + 10 + addrLength
      at += (4 - (at % 4)) % 4
      if (at + 4 + 24 > bodyEnd) return failWith("short bind_ack result list")
      if (bytes[at] === 0) return failWith("bind_ack without results")
      return Result.succeed({
        type: "bind_ack",
        callId,
        maxXmit: v.getUint16(HEADER_LENGTH, true),
        maxRecv: v.getUint16(HEADER_LENGTH + 2, true),
        assocGroup: v.getUint32(HEADER_LENGTH + 4, true),
        result: v.getUint16(at + 4, true),
        reason: v.getUint16(at + 6, true),
        auth
      })
    }
    case PType.bind_nak:
      if (bodyLength < 2) return failWith("short bind_nak")
      return Result.succeed({ type: "bind_nak", callId, reason: v.getUint16(HEADER_LENGTH, true) })
    case PType.request:
    case PType.response: {
      if (bodyLength < 8) return failWith("short request/response")
      const stub = bytes.slice(HEADER_LENGTH + 8, bodyEnd)
      if (auth !== undefined && auth.padLength > stub.length) return failWith("auth pad longer than the stub")
      const common = {
        callId,
        flags,
        allocHint: v.getUint32(HEADER_LENGTH, true),
        contextId: v.getUint16(HEADER_LENGTH + 4, true),
        stub,
        auth
      }
      return Result.succeed(
        type === PType.request
          ? { type: "request", ...common, opnum: v.getUint16(HEADER_LENGTH + 6, true) }
          : { type: "response", ...common }
      )
    }
    case PType.fault:
      if (bodyLength < 12) return failWith("short fault")
      return Result.succeed({ type: "fault", callId, flags, status: v.getUint32(HEADER_LENGTH + 8, true) })
    case PType.bind: {
      if (bodyLength < 56) return failWith("short bind")
      return Result.succeed({
        type: "bind",
        callId,
        assocGroup: v.getUint32(HEADER_LENGTH + 4, true),
        contextId: v.getUint16(HEADER_LENGTH + 12, true),
        abstract: readSyntax(v, bytes, HEADER_LENGTH + 16),
        transfer: readSyntax(v, bytes, HEADER_LENGTH + 36),
        auth
      })
    }
    default:
      return failWith(`unexpected PDU type ${type}`)
  }
}
