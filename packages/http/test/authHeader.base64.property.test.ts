/**
 * fast-check: `AuthHeader.decodeBase64`'s one-pass check accepts exactly the
 * language of the strict padded-base64 expression it replaced (RFC 4648
 * section 4), non-empty: valid encodings, near misses (padding in the middle,
 * a length that is not a multiple of 4, three `=`, URL-safe or non-ASCII
 * characters, whitespace), and arbitrary text; and what it accepts decodes as
 * Buffer's base64 does.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { AuthHeader } from "@effect-sspi/http"

const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const accepts = (text: string) => text.length > 0 && STRICT.test(text)

/** Characters next to the alphabet: padding, URL-safe, whitespace, and non-ASCII ones whose low 7 bits are letters. */
const nearChars = ["=", "-", "_", " ", "\n", "\r", "\t", ".", "\0", "é", "Á", "\u0141", "\u0100", "\ud83d", "\uff21", "\u007f"]
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const anyChar = fc.oneof(fc.constantFrom(...alphabet), fc.constantFrom(...nearChars), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }))

const valid = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString("base64"))

/** A valid encoding with one edit: a character inserted, removed or replaced, or padding added. */
const nearMiss = fc.tuple(valid, fc.nat(), anyChar, fc.constantFrom("insert", "remove", "replace", "pad")).map(
  ([text, at, c, edit]) => {
    const i = text.length === 0 ? 0 : at % (text.length + 1)
    switch (edit) {
      case "insert":
        return text.slice(0, i) + c + text.slice(i)
      case "remove":
        return text.slice(0, i) + text.slice(i + 1)
      case "replace":
        return text.slice(0, i) + c + text.slice(i + 1)
      case "pad":
        return text + "="
    }
  }
)

const text = fc.oneof(
  valid,
  nearMiss,
  fc.array(fc.constantFrom(..."AZaz09+/="), { maxLength: 16 }).map((cs) => cs.join("")),
  fc.array(anyChar, { maxLength: 16 }).map((cs) => cs.join("")),
  fc.string({ unit: "binary", maxLength: 40 })
)

describe("AuthHeader.decodeBase64 accepts exactly strict padded base64", () => {
  it("the same verdict as the strict expression, and Buffer's bytes when accepted", () => {
    fc.assert(
      fc.property(text, (s) => {
        const decoded = AuthHeader.decodeBase64(s)
        assert.strictEqual(decoded !== undefined, accepts(s), JSON.stringify(s))
        if (decoded !== undefined) assert.deepStrictEqual(Buffer.from(decoded), Buffer.from(s, "base64"))
      }),
      { numRuns: 20000 }
    )
  })

  it("every string of up to 4 characters over a near-miss alphabet", () => {
    const chars = ["A", "z", "+", "/", "=", "-", "é", "\n"]
    let strings = [""]
    for (let length = 0; length <= 4; length++) {
      for (const s of strings) assert.strictEqual(AuthHeader.decodeBase64(s) !== undefined, accepts(s), JSON.stringify(s))
      strings = strings.flatMap((s) => chars.map((c) => s + c))
    }
  })

  it("named near misses are refused", () => {
    for (const s of ["", "=", "==", "A===", "AB=C", "AB==AAAA", "ABC", "ABCDE", "AB=", "ABC==", "QUJD\n", "QU JD", "QUJ-", "QUJ_", "QUJé", "QUJ\u0141"]) {
      assert.isUndefined(AuthHeader.decodeBase64(s), JSON.stringify(s))
    }
    assert.deepStrictEqual([...AuthHeader.decodeBase64("QUI=")!], [0x41, 0x42])
  })
})
