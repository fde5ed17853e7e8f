/** Test helper: the registered profile of an enctype, or a thrown error. */
import { Option } from "effect"
import { enctype } from "../../src/internal/crypto/encryptionType.ts"
import type { EncryptionProfile } from "../../src/internal/crypto/profile.ts"

export const profile = (n: number): EncryptionProfile => Option.getOrThrow(enctype(n))
