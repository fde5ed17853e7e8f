/**
 * SPNEGO token decoders: strict DER, never throw. Accepts exactly what
 * {@link encodeToken} writes: a framed NegTokenInit / NegTokenInit2 or a bare
 * NegTokenResp. Unknown extension fields are rejected (TrailingData).
 *
 * @module
 */
import { type Asn1Error, asn1Fail, decode, type Oid, type Reader, type ReaderOptions, TagClass, UniversalTag } from "@effect-sspi/asn1"
import { Result } from "effect"
import { SPNEGO } from "./oids.ts"
import type { NegHints, NegotiationToken, NegState, NegTokenInit, NegTokenInit2, NegTokenResp } from "./tokens.ts"

type R<A> = Result.Result<A, Asn1Error>

/** Limits for SPNEGO tokens: shallow nesting, 256 KiB (Kerberos tickets with PACs fit). */
const LIMITS: ReaderOptions = { maxDepth: 8, maxLength: 256 * 1024 }

const octets = (r: Reader) => r.octetString()
const mechTypeList = (r: Reader): R<Array<Oid>> => r.sequenceOf((m) => m.oid())
const latin1 = (b: Uint8Array): string => {
  let s = ""
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!)
  return s
}

const negHints = (r: Reader): R<NegHints> =>
  r.sequenceWith((s) =>
    Result.gen(function*() {
      const hintName = yield* s.optionalField(0, (f) => f.generalString())
      const hintAddress = yield* s.optionalField(1, octets)
      return {
        ...(hintName !== undefined ? { hintName: latin1(hintName) } : {}),
        ...(hintAddress !== undefined ? { hintAddress } : {})
      }
    })
  )

const negTokenInit = (r: Reader): R<NegTokenInit | NegTokenInit2> =>
  r.sequenceWith((s) =>
    Result.gen(function*() {
      const mechTypes = yield* s.optionalField(0, mechTypeList)
      const reqFlags = yield* s.optionalField(1, (f) => f.namedBits())
      const mechToken = yield* s.optionalField(2, octets)
      // [3] is mechListMIC (OCTET STRING) in RFC 4178, negHints (SEQUENCE) in MS-SPNG.
      const three = yield* s.optionalExplicit(3)
      const hints = three?.nextIs(TagClass.Universal, UniversalTag.Sequence) ? yield* three.whole(negHints) : undefined
      const mic3 = three !== undefined && hints === undefined ? yield* three.whole(octets) : undefined
      const mic4 = yield* s.optionalField(4, octets)
      const common = {
        ...(reqFlags !== undefined ? { reqFlags } : {}),
        ...(mechToken !== undefined ? { mechToken } : {})
      }
      if (mic3 !== undefined && mic4 !== undefined) return yield* asn1Fail("UnexpectedTag", s.offset)
      if (mechTypes !== undefined && hints === undefined && mic4 === undefined) {
        return { _tag: "NegTokenInit", mechTypes, ...common, ...(mic3 !== undefined ? { mechListMIC: mic3 } : {}) }
      }
      if (mic3 !== undefined) return yield* asn1Fail("UnexpectedTag", s.offset)
      return {
        _tag: "NegTokenInit2",
        ...(mechTypes !== undefined ? { mechTypes } : {}),
        ...common,
        ...(hints !== undefined ? { negHints: hints } : {}),
        ...(mic4 !== undefined ? { mechListMIC: mic4 } : {})
      }
    })
  )

const negState = (r: Reader): R<NegState> => {
  const offset = r.offset
  return r.enumerated().pipe(Result.flatMap((v) =>
    v >= 0 && v <= 3 ? Result.succeed(v as NegState) : asn1Fail("UnexpectedValue", offset)
  ))
}

const negTokenResp = (r: Reader): R<NegTokenResp> =>
  r.sequenceWith((s) =>
    Result.gen(function*() {
      const state = yield* s.optionalField(0, negState)
      const supportedMech = yield* s.optionalField(1, (f) => f.oid())
      const responseToken = yield* s.optionalField(2, octets)
      const mechListMIC = yield* s.optionalField(3, octets)
      return {
        _tag: "NegTokenResp",
        ...(state !== undefined ? { negState: state } : {}),
        ...(supportedMech !== undefined ? { supportedMech } : {}),
        ...(responseToken !== undefined ? { responseToken } : {}),
        ...(mechListMIC !== undefined ? { mechListMIC } : {})
      }
    })
  )

const framedInit = (r: Reader): R<NegTokenInit | NegTokenInit2> =>
  Result.gen(function*() {
    const { inner, mech } = yield* r.gssInitialContextToken()
    if (!mech.equals(SPNEGO)) return yield* asn1Fail("UnexpectedValue", r.offset)
    return yield* inner.whole((i) => i.field(0, negTokenInit))
  })

/**
 * Decodes a SPNEGO token as sent on the wire: a framed NegTokenInit /
 * NegTokenInit2 (first byte 0x60) or a bare NegTokenResp (`[1]`).
 */
export const decodeToken = (bytes: Uint8Array): R<NegotiationToken> =>
  decode<NegotiationToken, Asn1Error>(
    bytes,
    (r) => r.nextIs(TagClass.Context, 1) ? r.field(1, negTokenResp) : framedInit(r),
    LIMITS
  )

/** Decodes the DER of a MechTypeList alone. */
export const decodeMechTypeList = (bytes: Uint8Array): R<Array<Oid>> => decode(bytes, mechTypeList, LIMITS)
