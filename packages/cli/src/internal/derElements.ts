/** A run of DER elements read with @effect-sspi/asn1's `Reader` (never throws). */
import { type Asn1Error, decode, type Tlv } from "@effect-sspi/asn1"
import { Result } from "effect"

/** The elements of `bytes`, read as one whole run of DER elements, or the asn1 reason. */
export const elements = (bytes: Uint8Array): Result.Result<Array<Tlv>, string> =>
  Result.mapError(
    decode(bytes, (r): Result.Result<Array<Tlv>, Asn1Error> => {
      const out: Array<Tlv> = []
      while (!r.done) {
        const t = r.next()
        if (Result.isFailure(t)) return Result.fail(t.failure)
        out.push(t.success)
      }
      return Result.succeed(out)
    }),
    (e) => `${e.reason} at offset ${e.offset}`
  )

/** The single element of `bytes`, or `undefined`. */
export const single = (bytes: Uint8Array): Tlv | undefined => {
  const all = elements(bytes)
  return Result.isSuccess(all) && all.success.length === 1 ? all.success[0] : undefined
}
