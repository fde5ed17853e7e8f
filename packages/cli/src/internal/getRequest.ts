/**
 * The request of `sspi get` from curl's `-X`, `-H`, `-d` (`@file`, `@-`):
 * `-d` makes it a POST of `application/x-www-form-urlencoded` unless told
 * otherwise; several `-d` are joined with `&`, as curl.
 */
import * as Fs from "node:fs"
import { Effect } from "effect"
import { HttpClientRequest, HttpMethod } from "effect/http"
import { ExitCode } from "./exitCodes.ts"
import { CliFailure, usage } from "./failure.ts"

const readData = (item: string) =>
  item.startsWith("@")
    ? Effect.try({
      try: () => Fs.readFileSync(item === "@-" ? 0 : item.slice(1), "utf8").replace(/[\r\n]/g, ""),
      catch: () => new CliFailure({ message: `-d ${item}: cannot read the file`, exitCode: ExitCode.READ_ERROR })
    })
    : Effect.succeed(item)

/** Builds the request (usage errors for a bad method or header). */
export const buildRequest = (url: URL, options: {
  readonly method: string | undefined
  readonly headers: ReadonlyArray<string>
  readonly data: ReadonlyArray<string>
}) =>
  Effect.gen(function*() {
    const method = (options.method ?? (options.data.length > 0 ? "POST" : "GET")).toUpperCase()
    if (!HttpMethod.isHttpMethod(method)) return yield* usage(`-X ${options.method}: not an HTTP method`)
    const headers: Record<string, string> = {}
    for (const h of options.headers) {
      const colon = h.indexOf(":")
      if (colon <= 0) return yield* usage(`-H ${JSON.stringify(h)}: expected "Name: value"`)
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
    }
    let request = HttpClientRequest.make(method)(url, { headers })
    if (options.data.length > 0) {
      const body = (yield* Effect.forEach(options.data, readData)).join("&")
      request = HttpClientRequest.bodyText(request, body, headers["content-type"] ?? "application/x-www-form-urlencoded")
    }
    return request
  })
