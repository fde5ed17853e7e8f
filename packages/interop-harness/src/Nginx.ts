/**
 * Debian's nginx (the open-source build: no NTLM support) as a reverse proxy
 * on 127.0.0.1, on a free port, with a private prefix and configuration in a
 * temporary directory, as a scoped resource. Its upstream keeps a pool of
 * keep-alive connections that it shares between clients
 * (`upstream { server A; server B; keepalive 16; }`, `proxy_http_version
 * 1.1`, `proxy_set_header Connection ""`): a client's next request may go to
 * another upstream connection or another server — the set-up that breaks
 * connection-bound NTLM.
 *
 * @since 0.2.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { connect, createServer } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Data, Duration, Effect, Schedule, type Scope } from "effect"
import { isCI } from "./Availability.ts"

/** The server binary (Debian's `nginx`, `nginx-core` or `nginx-light`). */
export const binary = "/usr/sbin/nginx"

/** nginx could not be started or did not accept connections in time. */
export class NginxError extends Data.TaggedError("NginxError")<{
  readonly message: string
  readonly log?: string | undefined
}> {}

/** A running proxy. */
export interface Nginx {
  readonly port: number
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  /** The error log so far (start-up problems, upstream errors). */
  readonly log: Effect.Effect<string>
}

/** Options of {@link start}. */
export interface StartOptions {
  /** `host:port` of each upstream server (round robin between them). */
  readonly upstreams: ReadonlyArray<string>
  /** Idle keep-alive connections to the upstreams kept per worker (default 16). */
  readonly keepalive?: number | undefined
}

/**
 * `true` when nginx is installed. When it is not: `false` after a loud line
 * on stderr, or a throw under `CI=true` (missing peers fail CI).
 */
export const requireSync = (): boolean => {
  try {
    Fs.accessSync(binary, Fs.constants.X_OK)
    return true
  } catch {
    const message = `nginx is missing (${binary}); install Debian's nginx (scripts/peers/install.sh)`
    if (isCI()) throw new NginxError({ message: `${message} with CI=true` })
    process.stderr.write(`\n!!! INTEROP PEER MISSING: ${message}; tests that need it are SKIPPED\n\n`)
    return false
  }
}

const freePort: Effect.Effect<number, NginxError> = Effect.callback((resume) => {
  const server = createServer()
  server.once("error", (e) => resume(Effect.fail(new NginxError({ message: `no free port: ${e.message}` }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

const accepts = (port: number): Effect.Effect<void, NginxError> =>
  Effect.callback((resume) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.void)
    })
    socket.once("error", (e) => resume(Effect.fail(new NginxError({ message: e.message }))))
    return Effect.sync(() => socket.destroy())
  })

/**
 * The configuration: one process in the foreground (`master_process off`:
 * no user switch, nothing outside the prefix), logs and temporary files in
 * the prefix, listening on 127.0.0.1 only.
 */
export const config = (dir: string, port: number, options: StartOptions): string => `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream sspi {
${options.upstreams.map((u) => `    server ${u};`).join("\n")}
    keepalive ${options.keepalive ?? 16};
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://sspi;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`

/**
 * Starts nginx in front of `options.upstreams` on a free port of 127.0.0.1
 * and waits until it accepts connections; closing the scope stops it and
 * deletes its directory.
 */
export const start = (options: StartOptions): Effect.Effect<Nginx, NginxError, Scope.Scope> =>
  Effect.gen(function*() {
    const port = yield* freePort
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-sspi-nginx-"))),
      (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
    const conf = Path.join(dir, "nginx.conf")
    Fs.writeFileSync(conf, config(dir, port, options))
    const log = Effect.sync(() => {
      try {
        return Fs.readFileSync(Path.join(dir, "error.log"), "utf8")
      } catch {
        return ""
      }
    })
    let stderr = ""
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(binary, ["-p", dir, "-c", conf, "-e", Path.join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] })
        child.stderr?.on("data", (c) => (stderr += c))
        return child
      }),
      (child: ChildProcess) =>
        Effect.callback<void>((resume) => {
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
          child.once("exit", () => resume(Effect.void))
          child.kill("SIGKILL")
        })
    )
    yield* accepts(port).pipe(
      Effect.retry({ schedule: Schedule.spaced(Duration.millis(50)), times: 100 }),
      Effect.catch(() => Effect.flatMap(log, (text) => Effect.fail(new NginxError({ message: `nginx did not listen on 127.0.0.1:${port}: ${stderr}`, log: text }))))
    )
    return { port, url: `http://127.0.0.1:${port}`, log } satisfies Nginx
  })
