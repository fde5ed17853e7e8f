/**
 * The two NDR20 string forms Netlogon needs that `@effect-sspi/ndr` does not
 * have (candidates to move there):
 *
 * - `[string] wchar_t*` (C706 14.3.4 / MS-RPCE 2.2.5.3.4.2): a conformant
 *   varying array of UTF-16 code units with its NUL terminator;
 * - STRING (MS-NRPC 2.2.1.4.6 NtChallengeResponse / LmChallengeResponse, the
 *   counted CHAR buffer `[size_is(MaximumLength), length_is(Length)]`).
 *
 * @since 0.1.0
 */
import type { NdrWriter } from "@effect-sspi/ndr"

/** Writes the pointee of a `[string] wchar_t*`: max, offset 0, actual, the units and NUL. */
export const writeStringz = (w: NdrWriter.NdrWriter, s: string): void => {
  const units = s.length + 1
  w.u32(units).u32(0).u32(units)
  for (let i = 0; i < s.length; i++) w.u16(s.charCodeAt(i))
  w.u16(0)
}

/** Writes a STRING: Length, MaximumLength, then a unique pointer to the bytes (deferred). */
export const writeCountedBytes = (w: NdrWriter.NdrWriter, b: Uint8Array): void => {
  w.u16(b.length).u16(b.length)
  w.pointer(b, (w, b) => {
    w.u32(b.length).u32(0).u32(b.length).bytes(b)
  })
}
