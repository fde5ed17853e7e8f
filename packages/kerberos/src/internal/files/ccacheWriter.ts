/**
 * Writes MIT credential cache files, format version 4 (what MIT's kinit
 * writes and `klist` reads): 0x0504, an empty header, the default principal,
 * then one record per credential (client, server, keyblock, four times,
 * is_skey, ticket flags, addresses, authdata, ticket, second ticket).
 *
 * @since 0.1.0
 */
import type { Principal } from "../messages/common.ts"
import type { CachedCredential } from "./ccache.ts"
import { Writer } from "./cursor.ts"

const counted = (w: Writer, bytes: Uint8Array) => w.u32(bytes.length).bytes(bytes)

const principal = (w: Writer, p: Principal) => {
  w.u32(p.name.nameType).u32(p.name.components.length)
  counted(w, new TextEncoder().encode(p.realm))
  for (const c of p.name.components) counted(w, new TextEncoder().encode(c))
}

/** Epoch milliseconds → the u32 seconds of the file (0 stays 0). */
const seconds = (ms: number) => Math.floor(ms / 1000) >>> 0

/**
 * Encodes a version 4 ccache. The result holds the session keys: zero it
 * once written.
 *
 * @since 0.1.0
 */
export const encodeCcache = (
  defaultPrincipal: Principal,
  credentials: ReadonlyArray<CachedCredential>
): Uint8Array => {
  const w = new Writer().u8(5).u8(4).u16(0)
  principal(w, defaultPrincipal)
  for (const c of credentials) {
    principal(w, c.client)
    principal(w, c.server)
    w.u16(c.key.keytype)
    counted(w, c.key.keyvalue)
    w.u32(seconds(c.authtime)).u32(seconds(c.starttime)).u32(seconds(c.endtime)).u32(seconds(c.renewTill))
    w.u8(0).u32(c.flags >>> 0)
    w.u32(0) // addresses
    w.u32(0) // authdata
    counted(w, c.ticket)
    w.u32(0) // second ticket
  }
  return w.done()
}
