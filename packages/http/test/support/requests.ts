/** Plain Node HTTP requests (no middleware), for tests that drive headers themselves. */
import { type Agent, request as httpRequest } from "node:http"
import { Effect } from "effect"

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/** GET `url` through `agent` (`false`: a new connection) with `headers`. */
export const get = (url: string, agent: Agent | false, headers: Record<string, string> = {}) =>
  Effect.callback<Reply, Error>((resume) => {
    const req = httpRequest(url, { agent, headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end()
  })
