import { describe, expect, it } from "@effect/vitest"
import { nFold } from "../../src/internal/crypto/nfold.ts"
import { toHex, utf8 } from "./hex.ts"

// RFC 3961 appendix A.1, every vector.
const vectors: ReadonlyArray<readonly [bits: number, input: string, output: string]> = [
  [64, "012345", "be072631276b1955"],
  [56, "password", "78a07b6caf85fa"],
  [64, "Rough Consensus, and Running Code", "bb6ed30870b7f0e0"],
  [168, "password", "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"],
  [192, "MASSACHVSETTS INSTITVTE OF TECHNOLOGY", "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"],
  [168, "Q", "518a54a215a8452a518a54a215a8452a518a54a215"],
  [168, "ba", "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"],
  [64, "kerberos", "6b65726265726f73"],
  [128, "kerberos", "6b65726265726f737b9b5b2b93132b93"],
  [168, "kerberos", "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"],
  [256, "kerberos", "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"]
]

describe("n-fold (RFC 3961 A.1)", () => {
  for (const [bits, input, output] of vectors) {
    it(`${bits}-fold(${JSON.stringify(input)})`, () => {
      expect(toHex(nFold(utf8(input), bits / 8))).toBe(output)
    })
  }

  it("rejects empty input and non-positive lengths", () => {
    expect(() => nFold(new Uint8Array(0), 8)).toThrow(RangeError)
    expect(() => nFold(utf8("a"), 0)).toThrow(RangeError)
  })
})
