/**
 * `sspi decode [TOKEN|-|@FILE|FILE]…`: NTLM, SPNEGO and Kerberos tokens
 * (RFC 4120 messages, RFC 4121 GSS tokens) as named-field trees or JSON.
 * One token per argument and per input line; two tokens are two outputs.
 */
import * as Fs from "node:fs"
import { Console, Effect, Option, Redacted, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { decryptApReq, findApReq } from "../internal/decodeDecrypt.ts"
import { decode as decodeInput, tokenOf } from "../internal/decodeInput.ts"
import { decryptAsRep, type EtypeInfo2, etypeInfoOf, isAsRep } from "../internal/decodeKdcReply.ts"
import { checkNtlmPassword, ntlmPasswordTree } from "../internal/decodeNtlmPassword.ts"
import { NtlmMessage } from "@effect-sspi/ntlm"
import { CliFailure, explained, usage } from "../internal/failure.ts"
import { toggle } from "../internal/flags.ts"
import { loadKerberos } from "../internal/kerberosModule.ts"
import { toJson } from "../internal/json.ts"
import { node, render, type Tree } from "../internal/tree.ts"

/** The NTLM message type of a token, if it is one. */
const ntlmKind = (bytes: Uint8Array) => {
  const m = NtlmMessage.isNtlm(bytes) ? NtlmMessage.decode(bytes) : undefined
  return m === undefined || Result.isFailure(m) ? undefined : m.success._tag
}

/** Arguments that belong to the next one: a header name, a scheme. */
const joinsNext = (arg: string) => /:$/.test(arg) || /^(?:ntlm|negotiate|kerberos)$/i.test(arg)

/** The non-empty lines of a text. */
const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))

const readLines = (source: string) =>
  Effect.try({
    try: () => lines(Fs.readFileSync(source === "-" ? 0 : source.replace(/^@/, ""), "utf8")),
    catch: () => usage(`${source}: cannot read ${source === "-" ? "stdin" : "the file"}`)
  })

/** The inputs: arguments (header lines re-joined), `-` stdin, `@file` or an existing file: one per line. */
const inputsOf = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    if (args.length === 0) {
      if (process.stdin.isTTY === true) return yield* usage("no token: give one, - for stdin, or @FILE")
      return yield* readLines("-")
    }
    const out: Array<string> = []
    let pending = ""
    for (const arg of args) {
      if (pending === "" && (arg === "-" || arg.startsWith("@") || (arg.includes("/") && Fs.existsSync(arg) && Fs.statSync(arg).isFile()))) {
        out.push(...yield* readLines(arg))
        continue
      }
      pending = pending === "" ? arg : `${pending} ${arg}`
      if (!joinsNext(arg)) {
        out.push(pending)
        pending = ""
      }
    }
    if (pending !== "") out.push(pending)
    return out
  })

/** The `decode` command. */
export const decode = Command.make(
  "decode",
  {
    token: Argument.String("token").pipe(
      Argument.withDescription("base64 or hex token, a whole `Authorization:` / `WWW-Authenticate:` line, - (stdin) or @FILE: one token per line"),
      Argument.variadic({ min: 0 })
    ),
    json: toggle("json", undefined, "one JSON document per token (default: a tree)"),
    keytab: Flag.String("keytab").pipe(
      Flag.withDescription("decrypt the AP-REQ's ticket with this service keytab, then its authenticator (default: no decryption)"),
      Flag.optional
    ),
    password: Flag.String("password").pipe(
      Flag.withDescription("check an NTLM AUTHENTICATE against this password (give its CHALLENGE first) and derive its session keys; decrypt a Kerberos AS-REP's enc-part with the password's key (default: SSPI_PASSWORD, else none)"),
      Flag.optional
    ),
    showSecrets: toggle("show-secrets", undefined, "with --keytab or --password: show the session keys and subkeys (default: sizes only)")
  },
  ({ json, keytab, password: passwordFlag, showSecrets, token }) =>
    Effect.gen(function*() {
      const password = Option.getOrUndefined(passwordFlag) ?? (process.env["SSPI_PASSWORD"] || undefined)
      if (showSecrets && Option.isNone(keytab) && password === undefined) {
        return yield* usage("--show-secrets needs --keytab or --password (without them nothing secret is decrypted)")
      }
      const { Keytab } = Option.isNone(keytab) ? { Keytab: undefined } : yield* loadKerberos
      const keys = Option.isNone(keytab) || Keytab === undefined ? undefined : yield* explained(Keytab.read(keytab.value))
      yield* Effect.addFinalizer(() => Effect.sync(() => keys !== undefined && Keytab?.wipe(keys)))
      const inputs = yield* inputsOf(token)
      if (inputs.length === 0) return yield* usage("no token in the input")
      let failed: string | undefined
      let challenge: Uint8Array | undefined
      // --password: the ETYPE-INFO2 of a KRB-ERROR or AS-REQ, for the AS-REP that follows it
      let etypeInfo: ReadonlyArray<EtypeInfo2> = []
      for (const [i, input] of inputs.entries()) {
        const decoded = decodeInput(input)
        const bytes = Result.map(tokenOf(input), (t) => t.bytes)
        const withKeys = keys === undefined ? decoded : Result.map(decoded, (tree) => {
          const apReq = Result.isSuccess(bytes) ? findApReq(bytes.success) : undefined
          return apReq === undefined ? tree : { ...tree, children: [...(tree.children ?? []), decryptApReq(Keytab!.decrypt, apReq, keys, showSecrets)] }
        })
        // --password: the NTLM CHALLENGE is remembered for the AUTHENTICATE that follows it
        const kind = password === undefined || Result.isFailure(bytes) ? undefined : ntlmKind(bytes.success)
        if (kind === "Challenge" && Result.isSuccess(bytes)) challenge = bytes.success
        const result = kind !== "Authenticate" || Result.isFailure(bytes) ? withKeys : Result.map(withKeys, (tree) => {
          const check = challenge === undefined
            ? Result.fail("--password: give the NTLM CHALLENGE before the AUTHENTICATE")
            : checkNtlmPassword(challenge, bytes.success, password!)
          const extra = Result.isSuccess(check) ? ntlmPasswordTree(check.success, showSecrets) : node(check.failure)
          return { ...tree, children: [...(tree.children ?? []), extra] }
        })
        const earlier = password === undefined || Result.isFailure(bytes) ? undefined : etypeInfoOf(bytes.success)
        if (earlier !== undefined && earlier.length > 0) etypeInfo = earlier
        let asRep: Result.Result<Tree, string> | undefined
        if (password !== undefined && Result.isSuccess(bytes) && Result.isSuccess(result) && isAsRep(bytes.success)) {
          asRep = yield* decryptAsRep((yield* loadKerberos).Keytab, bytes.success, Redacted.make(password), etypeInfo, showSecrets)
        }
        if (asRep !== undefined && Result.isFailure(asRep)) failed ??= asRep.failure
        const shown = asRep === undefined || Result.isFailure(asRep)
          ? result
          : Result.map(result, (tree) => ({ ...tree, children: [...(tree.children ?? []), asRep.success] }))
        if (Result.isSuccess(shown)) {
          yield* Console.log(json ? JSON.stringify(toJson(shown.success)) : `${i > 0 ? "\n" : ""}${render(shown.success)}`)
        } else {
          const message = `cannot decode${inputs.length > 1 ? ` token ${i + 1}` : ""}: ${shown.failure}`
          if (inputs.length > 1) yield* Console.error(`sspi: ${message}`)
          failed ??= message
        }
      }
      if (failed !== undefined) {
        return yield* new CliFailure({ message: inputs.length > 1 && !failed.startsWith("--password:") ? "some tokens could not be decoded" : failed })
      }
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription("Show NTLM, SPNEGO and Kerberos tokens (AS/TGS/AP exchanges, KRB-ERROR, GSS MIC/Wrap) with every field named"),
  Command.withExamples([
    { command: "sspi decode 'WWW-Authenticate: Negotiate oYG2MIGzoAMKAQGh…'", description: "a header line" },
    { command: "sspi decode --json 6a81b63081b3a103…", description: "a Kerberos AS-REQ (hex) as JSON" },
    { command: "grep -o 'Negotiate [^ ]*' trace.log | sspi decode -", description: "one token per line from stdin" },
    { command: "sspi decode --keytab /etc/krb5.keytab 'Authorization: Negotiate YIIC…'", description: "the ticket and authenticator decrypted (keys by size)" },
    { command: "SSPI_PASSWORD=… sspi decode 'WWW-Authenticate: NTLM TlRMTVNTUAACAAAA…' 'Authorization: NTLM TlRMTVNTUAADAAAA…'", description: "does the password match the NTLM AUTHENTICATE (CHALLENGE first)?" },
    { command: "SSPI_PASSWORD=… sspi decode @as-exchange.txt", description: "a captured KRB-ERROR and AS-REP: the EncASRepPart decrypted with the password's key (salt from PA-ETYPE-INFO2)" }
  ])
)
