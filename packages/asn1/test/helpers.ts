import { Result } from "effect"

/** Hex (spaces allowed) to bytes. */
export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"))

/** Bytes to lowercase hex. */
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

/** The success value, or a thrown error naming the failure (tests only). */
export const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${JSON.stringify(r.failure)}`)
  return r.success
}

/** The failure's `reason` (tests only). */
export const reason = <A, E>(r: Result.Result<A, E>): string => {
  if (Result.isSuccess(r)) throw new Error("expected failure")
  return (r.failure as { reason?: string }).reason ?? String(r.failure)
}
