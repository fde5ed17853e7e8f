/**
 * SecBuffer and its types (SECBUFFER_*): the token and message buffers that
 * the handshake and message functions take and give.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Buffer types (the low bits of BufferType).
 *
 * @since 0.1.0
 */
export const BufferType = {
  EMPTY: 0,
  DATA: 1,
  TOKEN: 2,
  PKG_PARAMS: 3,
  MISSING: 4,
  EXTRA: 5,
  STREAM_TRAILER: 6,
  STREAM_HEADER: 7,
  NEGOTIATION_INFO: 8,
  PADDING: 9,
  STREAM: 10,
  MECHLIST: 11,
  MECHLIST_SIGNATURE: 12,
  TARGET: 13,
  CHANNEL_BINDINGS: 14,
  CHANGE_PASS_RESPONSE: 15,
  TARGET_HOST: 16,
  ALERT: 17,
  APPLICATION_PROTOCOLS: 18
} as const

/**
 * Buffer attribute bits (the high bits of BufferType).
 *
 * @since 0.1.0
 */
export const BufferAttribute = {
  READONLY: 0x80000000,
  READONLY_WITH_CHECKSUM: 0x10000000,
  ATTRMASK: 0xf0000000
} as const

/**
 * One buffer: its type (with attribute bits) and its bytes.
 *
 * @since 0.1.0
 */
export class SecBuffer extends Schema.Class<SecBuffer>("@effect-sspi/core/SecBuffer")({
  type: Schema.Int,
  data: Schema.Uint8Array
}) {
  /** The buffer type without its attribute bits. */
  get baseType(): number {
    return (this.type & ~BufferAttribute.ATTRMASK) >>> 0
  }
  /** Whether the buffer is marked read-only. */
  get readonly(): boolean {
    return (this.type & (BufferAttribute.READONLY | BufferAttribute.READONLY_WITH_CHECKSUM)) !== 0
  }
}

/**
 * A SECBUFFER_TOKEN buffer.
 *
 * @since 0.1.0
 */
export const token = (data: Uint8Array): SecBuffer => new SecBuffer({ type: BufferType.TOKEN, data })

/**
 * A SECBUFFER_DATA buffer.
 *
 * @since 0.1.0
 */
export const data = (bytes: Uint8Array): SecBuffer => new SecBuffer({ type: BufferType.DATA, data: bytes })

/**
 * The first buffer of a base type, or `undefined`.
 *
 * @since 0.1.0
 */
export const find = (buffers: ReadonlyArray<SecBuffer>, type: number): SecBuffer | undefined =>
  buffers.find((buffer) => buffer.baseType === type)

/**
 * A SECBUFFER_CHANNEL_BINDINGS buffer holding a SEC_CHANNEL_BINDINGS
 * structure (eight little-endian 32-bit fields: initiator address type,
 * length, offset; acceptor address type, length, offset; application data
 * length, offset) with only application data, e.g.
 * `"tls-server-end-point:" + certificate hash` (RFC 5929).
 *
 * @since 0.1.0
 */
export const channelBindings = (applicationData: Uint8Array): SecBuffer => {
  const bytes = new Uint8Array(32 + applicationData.length)
  const view = new DataView(bytes.buffer)
  view.setUint32(24, applicationData.length, true)
  view.setUint32(28, 32, true)
  bytes.set(applicationData, 32)
  return new SecBuffer({ type: BufferType.CHANNEL_BINDINGS, data: bytes })
}
