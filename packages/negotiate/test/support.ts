import { readFileSync } from "node:fs"
import { Oid } from "@effect-sspi/asn1"
import { Result } from "effect"

/** One captured handshake (see fixtures/capture.sh). */
export interface Fixture {
  readonly name: string
  readonly tokens: ReadonlyArray<{ readonly from: "initiator" | "acceptor"; readonly hex: string }>
}

export const fixture = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as Fixture

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"))
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

export const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${JSON.stringify(r.failure)}`)
  return r.success
}

/** Plain-data view for comparisons: OIDs as dotted strings, bytes as hex. */
export const plain = (v: unknown): unknown =>
  v instanceof Oid
    ? v.toString()
    : v instanceof Uint8Array
    ? toHex(v)
    : Array.isArray(v)
    ? v.map(plain)
    : typeof v === "object" && v !== null
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
    : v
