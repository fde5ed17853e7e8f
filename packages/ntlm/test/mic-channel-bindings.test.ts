import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { ChannelBindings } from "@effect-sspi/core"
import { writeU32 } from "../src/internal/bytes.ts"
import { MIC_OFFSET } from "../src/internal/constants.ts"
import { decodeAuthenticate } from "../src/internal/messages.ts"
import { computeMic } from "../src/internal/mic.ts"
import { CHALLENGE_V2, chromium, hex } from "./vectors.ts"

describe("channel bindings hash", () => {
  it("tls-server-end-point example (Microsoft Open Specifications blog, via Chromium)", () => {
    expect(ChannelBindings.hash(ChannelBindings.fromApplicationData(chromium.channelBindingsApplicationData))).toEqual(
      chromium.channelBindingsHash
    )
  })

  it("from a SEC_CHANNEL_BINDINGS struct", () => {
    const app = chromium.channelBindingsApplicationData
    const struct = new Uint8Array(32 + app.length)
    writeU32(struct, 24, app.length)
    writeU32(struct, 28, 32)
    struct.set(app, 32)
    const cb = Result.getOrThrow(ChannelBindings.decode(struct))
    expect(ChannelBindings.hash(cb)).toEqual(chromium.channelBindingsHash)
  })

  it("serializes addresses with their types and lengths", () => {
    const addr = new Uint8Array([10, 0, 0, 1])
    const struct = new Uint8Array(40)
    writeU32(struct, 0, 2)
    writeU32(struct, 4, 4)
    writeU32(struct, 8, 32)
    writeU32(struct, 12, 2)
    writeU32(struct, 16, 4)
    writeU32(struct, 20, 36)
    struct.set(addr, 32)
    struct.set(addr, 36)
    const cb = Result.getOrThrow(ChannelBindings.decode(struct))
    expect(cb.initiatorAddress).toEqual(addr)
    expect(hex(ChannelBindings.hash(cb))).not.toBe(hex(ChannelBindings.hash(ChannelBindings.fromApplicationData(new Uint8Array(0)))))
  })

  it("rejects truncated or out-of-bounds structs", () => {
    expect(Result.isFailure(ChannelBindings.decode(new Uint8Array(31)))).toBe(true)
    const bad = new Uint8Array(32)
    writeU32(bad, 24, 1)
    writeU32(bad, 28, 32)
    expect(Result.isFailure(ChannelBindings.decode(bad))).toBe(true)
  })
})

describe("MIC", () => {
  it("reproduces Chromium's MIC over NEGOTIATE || CHALLENGE (4.2.4.3) || AUTHENTICATE", () => {
    const decoded = Result.getOrThrow(decodeAuthenticate(chromium.authenticate))
    expect(decoded.micOffset).toBe(MIC_OFFSET)
    expect(decoded.message.mic).toEqual(chromium.mic)
    // No KEY_EXCH: the exported session key is the session base key.
    const mic = computeMic(chromium.sessionBaseKey, chromium.negotiate, CHALLENGE_V2, chromium.authenticate, MIC_OFFSET)
    expect(mic).toEqual(chromium.mic)
  })
})
