/**
 * Attack plumbing for tests: a man in the middle on a stepper's input, and
 * real curl as an NTLM initiator (its tokens carried over a loopback HTTP
 * connection to a test server that hands them to the handshake driver).
 */
import { createServer, type ServerResponse } from "node:http"
import { Effect, Scope } from "effect"
import { Command, Drivers, Paths } from "@effect-sspi/interop-harness"

/** `stepper` whose n-th received token (0-based) first goes through `tamper` (n counts non-null tokens). */
export const mitm = <E>(
  stepper: Drivers.Stepper<E>,
  tamper: (token: Uint8Array, n: number) => Uint8Array
): Drivers.Stepper<E> => {
  let n = 0
  return { step: (token) => stepper.step(token === null ? null : tamper(token, n++)) }
}

/**
 * curl --ntlm as a handshake initiator: step(null) gives its NEGOTIATE,
 * step(CHALLENGE) answers its request with 401 + the CHALLENGE and gives its
 * AUTHENTICATE (done). Its last request is answered when the scope closes.
 */
export const curlInitiator = (userPassword: string): Effect.Effect<Drivers.Stepper<Error>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const tokens: Array<Uint8Array> = []
    let waiting: ((token: Uint8Array) => void) | undefined
    let pending: ServerResponse | undefined
    const server = createServer((request, response) => {
      const auth = request.headers.authorization
      if (auth === undefined || !auth.startsWith("NTLM ")) {
        response.writeHead(401, { "www-authenticate": "NTLM" }).end()
        return
      }
      pending = response
      const token = new Uint8Array(Buffer.from(auth.slice(5), "base64"))
      if (waiting !== undefined) {
        const w = waiting
        waiting = undefined
        w(token)
      } else tokens.push(token)
    })
    const port = yield* Effect.acquireRelease(
      Effect.promise(() =>
        new Promise<number>((resolve) =>
          server.listen(0, "127.0.0.1", () => {
            const address = server.address()
            resolve(typeof address === "object" && address !== null ? address.port : 0)
          })
        )
      ),
      () =>
        Effect.promise(() =>
          new Promise<void>((resolve) => {
            pending?.writeHead(200).end()
            server.closeAllConnections()
            server.close(() => resolve())
          })
        )
    )
    yield* Effect.forkScoped(Command.run(
      "/usr/bin/curl",
      ["-sS", "--ntlm", "-K", "-", "--max-time", "20", `http://127.0.0.1:${port}/`],
      {
        env: { OPENSSL_CONF: Paths.opensslLegacyConf },
        input: `user = "${userPassword.replace(/\\/g, "\\\\")}"\n`,
        timeout: "30 seconds"
      }
    ))
    const next = Effect.promise(() =>
      new Promise<Uint8Array>((resolve) => {
        const queued = tokens.shift()
        if (queued !== undefined) resolve(queued)
        else waiting = resolve
      })
    ).pipe(
      Effect.timeoutOrElse({ duration: "20 seconds", orElse: () => Effect.fail(new Error("curl sent no token")) })
    )
    return {
      step: (token) =>
        token === null
          ? Effect.map(next, (t) => ({ token: t, done: false }))
          : Effect.suspend(() => {
            pending?.writeHead(401, { "www-authenticate": `NTLM ${Buffer.from(token).toString("base64")}` }).end()
            pending = undefined
            return Effect.map(next, (t) => ({ token: t, done: true }))
          })
    }
  })
