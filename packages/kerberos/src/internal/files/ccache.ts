/**
 * MIT credential cache files, format versions 4 and 3 (`FILE:` ccaches as
 * written by kinit): the default principal, then credentials until the end.
 * Configuration entries (realm "X-CACHECONF:") are skipped.
 *
 * @since 0.1.0
 */
import type { EncryptionKey, Principal } from "../messages/common.ts"
import { type Cursor, decodeFile, malformed, text } from "./cursor.ts"
import { copyBytes } from "../bytes.ts"
import { wipeKey } from "../crypto/profile.ts"

/**
 * One cached credential (times in epoch milliseconds). `key.keyvalue` is
 * secret: zero it when done.
 *
 * @since 0.1.0
 */
export interface CachedCredential {
  readonly client: Principal
  readonly server: Principal
  readonly key: EncryptionKey
  readonly authtime: number
  readonly starttime: number
  readonly endtime: number
  readonly renewTill: number
  readonly flags: number
  /** The ticket's DER. */
  readonly ticket: Uint8Array
}

/**
 * A decoded credential cache.
 *
 * @since 0.1.0
 */
export interface CredentialCache {
  readonly version: number
  readonly defaultPrincipal: Principal
  readonly credentials: ReadonlyArray<CachedCredential>
}

const MAX_COUNT = 1024

const data = (c: Cursor) => c.take(c.u32())

const principal = (c: Cursor, version: number): Principal => {
  const nameType = version === 1 ? 1 : c.u32()
  let count = c.u32()
  if (version === 1) count -= 1
  if (count > 64) malformed("ccache: unreasonable component count")
  const realm = text(data(c))
  const components: Array<string> = []
  for (let i = 0; i < count; i++) components.push(text(data(c)))
  return { name: { nameType, components }, realm }
}

const skipList = (c: Cursor) => {
  const n = c.u32()
  if (n > MAX_COUNT) malformed("ccache: unreasonable list length")
  for (let i = 0; i < n; i++) {
    c.u16()
    data(c)
  }
}

const credential = (c: Cursor, version: number): CachedCredential => {
  const client = principal(c, version)
  const server = principal(c, version)
  const keytype = c.u16()
  if (version === 3) c.u16()
  const keyvalue = copyBytes(data(c))
  const authtime = c.u32() * 1000
  const starttime = c.u32() * 1000
  const endtime = c.u32() * 1000
  const renewTill = c.u32() * 1000
  c.u8()
  const flags = c.u32()
  skipList(c)
  skipList(c)
  const ticket = copyBytes(data(c))
  data(c)
  return { client, server, key: { keytype, keyvalue }, authtime, starttime, endtime, renewTill, flags, ticket }
}

/**
 * Decodes a ccache file; never throws.
 *
 * @since 0.1.0
 */
export const decodeCcache = decodeFile((c): CredentialCache => {
  if (c.u8() !== 5) malformed("ccache: bad magic")
  const version = c.u8()
  if (version !== 3 && version !== 4) malformed(`ccache: unsupported version ${version}`)
  if (version === 4) c.take(c.u16())
  const defaultPrincipal = principal(c, version)
  const credentials: Array<CachedCredential> = []
  while (c.remaining > 0) {
    const cred = credential(c, version)
    if (cred.server.realm === "X-CACHECONF:") {
      wipeKey(cred.key.keyvalue)
      continue
    }
    credentials.push(cred)
  }
  return { version, defaultPrincipal, credentials }
})
