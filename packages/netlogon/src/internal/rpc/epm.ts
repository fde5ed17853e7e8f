/**
 * The endpoint mapper (C706 appendix L / MS-RPCE 2.2.1.2.5): `ept_map`
 * (opnum 3) on port 135 answers the TCP port of an interface. Towers are
 * encoded as in C706 appendix L (floors of lhs/rhs octet strings, the port
 * and IPv4 address big-endian).
 *
 * @since 0.1.0
 */
import { Duration, Effect, Result } from "effect"
import { NdrReader, NdrWriter } from "@effect-sspi/ndr"
import { bind, type CallError } from "./binding.ts"
import { NDR20, RpcProtocolError, type SyntaxId, uuidBytes } from "./pdu.ts"
import { connect, type RpcTransportError } from "./transport.ts"

/** The endpoint mapper interface e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0. */
export const EPM: SyntaxId = { uuid: uuidBytes("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), major: 3, minor: 0 }
const EPT_MAP = 3
const EPM_PORT = 135
const PROTOCOL_UUID = 0x0d
const PROTOCOL_NCACN = 0x0b
const PROTOCOL_TCP = 0x07
const PROTOCOL_IP = 0x09

const floor = (lhs: Uint8Array, rhs: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + lhs.length + rhs.length)
  const v = new DataView(out.buffer)
  v.setUint16(0, lhs.length, true)
  out.set(lhs, 2)
  v.setUint16(2 + lhs.length, rhs.length, true)
  out.set(rhs, 4 + lhs.length)
  return out
}

const syntaxFloor = (s: SyntaxId): Uint8Array =>
  floor(Uint8Array.of(PROTOCOL_UUID, ...s.uuid, s.major & 0xff, s.major >> 8), Uint8Array.of(s.minor & 0xff, s.minor >> 8))

/**
 * The ncacn_ip_tcp tower of `iface` (C706 L.3): interface, NDR, RPC
 * connection-oriented, TCP port, IPv4 address.
 *
 * @since 0.1.0
 */
export const tcpTower = (iface: SyntaxId, port: number, ipv4: ReadonlyArray<number>): Uint8Array => {
  const floors = [
    syntaxFloor(iface),
    syntaxFloor(NDR20),
    floor(Uint8Array.of(PROTOCOL_NCACN), Uint8Array.of(0, 0)),
    floor(Uint8Array.of(PROTOCOL_TCP), Uint8Array.of(port >> 8, port & 0xff)),
    floor(Uint8Array.of(PROTOCOL_IP), Uint8Array.from(ipv4))
  ]
  const out = new Uint8Array(2 + floors.reduce((n, f) => n + f.length, 0))
  new DataView(out.buffer).setUint16(0, floors.length, true)
  let at = 2
  for (const f of floors) {
    out.set(f, at)
    at += f.length
  }
  return out
}

/**
 * The TCP port in a tower, if it is an ncacn_ip_tcp tower for `iface`.
 *
 * @since 0.1.0
 */
export const towerPort = (tower: Uint8Array, iface: SyntaxId): number | undefined => {
  if (tower.length < 2) return undefined
  const v = new DataView(tower.buffer, tower.byteOffset, tower.byteLength)
  const count = v.getUint16(0, true)
  let at = 2
  let port: number | undefined
  let ifaceMatches = false
  for (let i = 0; i < count; i++) {
    if (at + 2 > tower.length) return undefined
    const lhsLength = v.getUint16(at, true)
    if (at + 2 + lhsLength + 2 > tower.length) return undefined
    const lhs = tower.subarray(at + 2, at + 2 + lhsLength)
    const rhsLength = v.getUint16(at + 2 + lhsLength, true)
    const rhsAt = at + 4 + lhsLength
    if (rhsAt + rhsLength > tower.length) return undefined
    const rhs = tower.subarray(rhsAt, rhsAt + rhsLength)
    if (i === 0) {
      const expected = syntaxFloor(iface).subarray(2, 2 + 19)
      ifaceMatches = lhs.length === expected.length && lhs.every((b, k) => b === expected[k])
    }
    if (lhs[0] === PROTOCOL_TCP && rhs.length === 2) port = (rhs[0]! << 8) | rhs[1]!
    at = rhsAt + rhsLength
  }
  return ifaceMatches ? port : undefined
}

/** ept_map request stub: no object, the map tower, a zero handle, max 4 towers. */
const eptMapRequest = (iface: SyntaxId): Uint8Array => {
  const tower = tcpTower(iface, 0, [0, 0, 0, 0])
  const w = new NdrWriter.NdrWriter()
  w.pointer(undefined, () => {}) // object: null
  w.pointer(tower, (w, t) => {
    w.u32(t.length).u32(t.length).bytes(t) // twr_t: conformance, tower_length, octets
  })
  w.bytes(new Uint8Array(20)) // entry_handle
  w.u32(4) // max_towers
  return w.finish()
}

/**
 * Decodes an ept_map response: the first tower that is ncacn_ip_tcp for
 * `iface` gives the port.
 *
 * @since 0.1.0
 */
export const decodeEptMapResponse = (stub: Uint8Array, iface: SyntaxId): Result.Result<number, RpcProtocolError> =>
  Result.mapError(
    NdrReader.decode(stub, (r) => {
      r.bytes(20) // entry_handle
      const numTowers = r.u32()
      // towers: [length_is(num_towers), size_is(max_towers)] twr_p_t[], each a unique pointer to twr_t
      const towers = r.scope(() =>
        r.conformantVaryingArray(
          (r) =>
            r.pointer((r) => {
              const conformance = r.u32()
              const length = r.u32()
              if (conformance !== length) r.fail("twr_t: conformance differs from tower_length")
              return r.bytes(r.fits(length, 1, "tower"))
            }),
          4
        ).items
      )
      if (towers.length !== numTowers) r.fail("num_towers differs from the array")
      const status = r.u32()
      const port = towers.map((t) => (t.value === undefined ? undefined : towerPort(t.value, iface))).find((p) => p !== undefined)
      if (status !== 0 || port === undefined) r.fail(`endpoint not registered (status 0x${status.toString(16)})`)
      return port!
    }),
    (e) => new RpcProtocolError({ reason: `ept_map: ${e.reason}` })
  )

/**
 * Asks the endpoint mapper on `host`:135 for the TCP port of `iface`.
 *
 * @since 0.1.0
 */
export const mapEndpoint = (
  host: string,
  iface: SyntaxId,
  timeout: Duration.Duration,
  port: number = EPM_PORT
): Effect.Effect<number, CallError | RpcTransportError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const conn = yield* connect(host, port, timeout)
      const binding = yield* bind(conn, EPM)
      const stub = yield* binding.call(EPT_MAP, eptMapRequest(iface))
      return yield* Effect.fromResult(decodeEptMapResponse(stub, iface))
    })
  )
