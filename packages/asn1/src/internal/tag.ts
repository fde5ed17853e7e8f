/**
 * Tag classes and the universal tag numbers used by the codec.
 *
 * @module
 */

/** The two high bits of an identifier octet (X.690 8.1.2.2). */
export const TagClass = {
  Universal: 0,
  Application: 1,
  Context: 2,
  Private: 3
} as const

/** A tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
export type TagClass = (typeof TagClass)[keyof typeof TagClass]

/** Universal tag numbers (X.680 8.4) that the codec reads and writes. */
export const UniversalTag = {
  Boolean: 1,
  Integer: 2,
  BitString: 3,
  OctetString: 4,
  Null: 5,
  ObjectIdentifier: 6,
  Enumerated: 10,
  Utf8String: 12,
  Sequence: 16,
  Set: 17,
  Ia5String: 22,
  GeneralizedTime: 24,
  GeneralString: 27
} as const
