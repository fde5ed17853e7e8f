/**
 * MIT keytab files, format version 2 (and 1), as written by kadmin and
 * ktutil: a 0x05 0x0v header, then length-prefixed entries (negative
 * lengths are holes).
 *
 * @since 0.1.0
 */
import type { Principal } from "../messages/common.ts"
import { type Cursor, decodeFile, malformed, text, Writer } from "./cursor.ts"
import { copyBytes } from "../bytes.ts"

/**
 * One keytab entry. `key` is secret: zero it when done.
 *
 * @since 0.1.0
 */
export interface KeytabEntry {
  readonly principal: Principal
  readonly timestamp: number
  readonly kvno: number
  readonly enctype: number
  readonly key: Uint8Array
}

const entry = (c: Cursor, version: number): KeytabEntry => {
  let count = c.u16()
  if (version === 1) count -= 1
  if (count < 0 || count > 64) malformed("keytab: unreasonable component count")
  const realm = text(c.take(c.u16()))
  const components: Array<string> = []
  for (let i = 0; i < count; i++) components.push(text(c.take(c.u16())))
  const nameType = version === 1 ? 1 : c.u32()
  const timestamp = c.u32()
  let kvno = c.u8()
  const enctype = c.u16()
  const key = copyBytes(c.take(c.u16()))
  if (c.remaining >= 4) {
    const kvno32 = c.u32()
    if (kvno32 !== 0) kvno = kvno32
  }
  return { principal: { name: { nameType, components }, realm }, timestamp, kvno, enctype, key }
}

/**
 * Decodes a keytab; never throws.
 *
 * @since 0.1.0
 */
export const decodeKeytab = decodeFile((c): Array<KeytabEntry> => {
  if (c.u8() !== 5) malformed("keytab: bad magic")
  const version = c.u8()
  if (version !== 1 && version !== 2) malformed(`keytab: unsupported version ${version}`)
  const entries: Array<KeytabEntry> = []
  while (c.remaining > 0) {
    if (c.remaining < 4) break
    const length = c.i32()
    if (length < 0) {
      c.take(-length)
      continue
    }
    if (length === 0) break
    entries.push(entry(c.sub(length), version))
  }
  return entries
})

const counted = (w: Writer, s: string) => {
  const b = new TextEncoder().encode(s)
  w.u16(b.length).bytes(b)
}

/**
 * Encodes entries as a version 2 keytab.
 *
 * @since 0.1.0
 */
export const encodeKeytab = (entries: ReadonlyArray<KeytabEntry>): Uint8Array => {
  const out = new Writer().u8(5).u8(2)
  for (const e of entries) {
    const w = new Writer().u16(e.principal.name.components.length)
    counted(w, e.principal.realm)
    for (const comp of e.principal.name.components) counted(w, comp)
    w.u32(e.principal.name.nameType).u32(e.timestamp).u8(e.kvno & 0xff).u16(e.enctype).u16(e.key.length).bytes(e.key)
    w.u32(e.kvno)
    const body = w.done()
    out.u32(body.length).bytes(body)
  }
  return out.done()
}
