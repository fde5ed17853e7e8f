/** `npm run bench`: prints the figures quoted in the READMEs. */
import { runCore } from "./core.ts"
import { runKerberos } from "./kerberos.ts"
import { runNtlm } from "./ntlm.ts"

await runCore()
await runNtlm()
await runKerberos()
