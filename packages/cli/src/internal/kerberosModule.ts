/** @effect-sspi/kerberos, loaded on first use: commands that need no Kerberos (demo, NTLM, decode) start without it. */
import { Effect } from "effect"

export const loadKerberos = Effect.promise(() => import("@effect-sspi/kerberos"))
