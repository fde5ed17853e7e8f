/** Our initiator as a handshake `Stepper`, on an SSPI runtime of its own (a client machine). */
import { Context, Effect, Layer } from "effect"
import { SecurityContext, SspiRuntime } from "@effect-sspi/core"
import { Ours } from "@effect-sspi/interop-harness"
import type { Ntlm } from "@effect-sspi/ntlm"
import { alice, clientCredentials, ntlmLayer } from "./runtime.ts"

/** alice, NTLMv2 (NTLMv1 with `allowNtlmV1`), targeting HTTP/server.example. */
export const ours = (auth: Partial<Ntlm.NtlmAuthData> = {}, options: SecurityContext.ContextOptions = {}) =>
  Effect.gen(function*() {
    const runtime = Context.get(yield* Layer.build(ntlmLayer()), SspiRuntime.SspiRuntime)
    return yield* Effect.gen(function*() {
      const context = yield* SecurityContext.initiator(yield* clientCredentials({ ...alice, ...auth }), { targetName: "HTTP/server.example", ...options })
      return yield* Ours.ourStepper(context)
    }).pipe(Effect.provideService(SspiRuntime.SspiRuntime, runtime))
  })
