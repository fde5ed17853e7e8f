/**
 * `sspi klist [-c ccache] [-k [-t] keytab] [-e]`: the tickets of an MIT ccache
 * or the entries of a keytab, in MIT klist's layout. Never prints a key.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { toggle } from "../internal/flags.ts"
import type { CredentialCache } from "@effect-sspi/kerberos"
import { explained, usage } from "../internal/failure.ts"
import { enctypeName } from "../internal/kerberosNames.ts"
import { loadKerberos } from "../internal/kerberosModule.ts"

const two = (n: number) => String(n).padStart(2, "0")

/** MIT's `%m/%d/%y %H:%M:%S`, local time. */
export const klistTime = (ms: number): string => {
  const d = new Date(ms)
  return `${two(d.getMonth() + 1)}/${two(d.getDate())}/${two(d.getFullYear() % 100)} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

const flagLetters = (table: typeof CredentialCache.TicketFlags, flags: number) =>
  table.filter((f) => ((flags >>> (31 - f.bit)) & 1) === 1).map((f) => f.letter).join("")

const showCache = (name: string, enctypes: boolean, flags: boolean) =>
  Effect.gen(function*() {
    const { CredentialCache } = yield* loadKerberos
    const cache = yield* explained(CredentialCache.read(name))
    const lines = [
      `Ticket cache: ${name.includes(":") ? name : `FILE:${name}`}`,
      `Default principal: ${CredentialCache.principalName(cache.defaultPrincipal)}`,
      "",
      "Valid starting     Expires            Service principal"
    ]
    for (const c of cache.credentials) {
      lines.push(`${klistTime(c.starttime || c.authtime)}  ${klistTime(c.endtime)}  ${CredentialCache.principalName(c.server)}`)
      if (c.renewTill !== 0) lines.push(`\trenew until ${klistTime(c.renewTill)}`)
      const details: Array<string> = []
      if (flags) details.push(`Flags: ${flagLetters(CredentialCache.TicketFlags, c.flags)}`)
      if (enctypes) {
        const tkt = CredentialCache.ticketEnctype(c)
        details.push(`Etype (skey, tkt): ${enctypeName(c.key.keytype)}, ${tkt === undefined ? "?" : enctypeName(tkt)} `)
      }
      if (details.length > 0) lines.push(`\t${details.join(", ")}`)
    }
    CredentialCache.wipe(cache)
    yield* Console.log(lines.join("\n"))
  })

const showKeytab = (name: string, enctypes: boolean, times: boolean) =>
  Effect.gen(function*() {
    const { CredentialCache, Keytab } = yield* loadKerberos
    const entries = yield* explained(Keytab.read(name))
    const lines = [
      `Keytab name: ${name.includes(":") ? name : `FILE:${name}`}`,
      `KVNO ${times ? "Timestamp         " : ""}Principal`,
      `---- ${times ? "----------------- " : ""}${"-".repeat(times ? 56 : 74)}`
    ]
    for (const e of entries) {
      const principal = CredentialCache.principalName(e.principal)
      lines.push(
        `${String(e.kvno).padStart(4)} ${times ? `${klistTime(e.timestamp * 1000)} ` : ""}${principal}${enctypes ? ` (${enctypeName(e.enctype)}) ` : ""}`
      )
    }
    Keytab.wipe(entries)
    yield* Console.log(lines.join("\n"))
  })

/** The `klist` command. */
export const klist = Command.make(
  "klist",
  {
    name: Argument.String("name").pipe(Argument.withDescription("the ccache (or with -k the keytab) to list"), Argument.optional),
    keytab: toggle("keytab", "k", "list a keytab (default: KRB5_KTNAME, else /etc/krb5.keytab)"),
    cache: Flag.String("cache").pipe(Flag.withAlias("c"), Flag.withDescription("the ccache (default: KRB5CCNAME, else FILE:/tmp/krb5cc_<uid>)"), Flag.optional),
    enctypes: toggle("enctypes", "e", "show encryption types (default: no)"),
    flags: toggle("flags", "f", "show ticket flags, MIT letters (default: no)"),
    times: toggle("timestamps", "t", "with -k: show entry timestamps (default: no)")
  },
  (args) =>
    Effect.gen(function*() {
      if (args.keytab && Option.isSome(args.cache)) return yield* usage("-k (keytab) and -c (ccache) cannot be used together")
      if (args.times && !args.keytab) return yield* usage("-t (timestamps) needs -k (keytab)")
      if (args.flags && args.keytab) return yield* usage("-f (ticket flags) applies to a ccache, not to -k")
      if (Option.isSome(args.name) && Option.isSome(args.cache)) return yield* usage("give the ccache either as -c or as the argument, not both")
      if (args.keytab) {
        const name = Option.getOrElse(args.name, () => process.env["KRB5_KTNAME"] ?? "FILE:/etc/krb5.keytab")
        return yield* showKeytab(name, args.enctypes, args.times)
      }
      const { CredentialCache } = yield* loadKerberos
      const name = Option.getOrElse(Option.orElse(args.cache, () => args.name), () => CredentialCache.defaultName())
      return yield* showCache(name, args.enctypes, args.flags)
    })
).pipe(
  Command.withDescription("List the tickets of an MIT credential cache, or the keys of a keytab (like MIT klist; keys are never shown)"),
  Command.withExamples([
    { command: "sspi klist -e", description: "tickets of KRB5CCNAME with their encryption types" },
    { command: "sspi klist -c FILE:/tmp/cc -f", description: "another cache, with ticket flags" },
    { command: "sspi klist -k -e /etc/krb5.keytab", description: "a keytab's principals, kvno and enctypes" }
  ])
)
