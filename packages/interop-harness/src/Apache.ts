/**
 * Apache httpd 2.4 with mod_auth_gssapi, run in the foreground (`-X`) from a
 * private configuration in a temporary directory, listening on 127.0.0.1
 * only; killed and removed when the scope closes. Start-up may take up to 30 s
 * on a loaded machine (a CI runner busy with other suites).
 */
import { spawn, spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, Schedule, type Scope } from "effect"

const modules = "/usr/lib/apache2/modules"

/** What differs between runs. */
export interface ApacheOptions {
  readonly port: number
  readonly serverName: string
  /** Directives inside `<Location />` after `AuthType GSSAPI` (e.g. `GssapiAllowedMech krb5`), given the server directory. */
  readonly gssapi: (dir: string) => ReadonlyArray<string>
  /** Writes files into the server directory first (e.g. a keytab copy, readable by nobody: httpd drops to it). */
  readonly files?: (dir: string) => void
  /** Environment of httpd, given the server directory. */
  readonly env?: (dir: string) => Readonly<Record<string, string>>
  /**
   * `"debug"` (default): one process, `-X`, requests served one at a time — enough for
   * interop tests. `"event"`: the event MPM in the foreground (`-DFOREGROUND`), threads
   * serving requests in parallel, as a production httpd does (benchmarks).
   */
  readonly mode?: "debug" | "event"
  /** More modules to load by name (e.g. `"cgid"`, `"alias"`), from Debian's module directory. */
  readonly modules?: ReadonlyArray<string>
  /** Server-level directives after the `<Location />` block, given the server directory. */
  readonly directives?: (dir: string) => ReadonlyArray<string>
  /** CPUs httpd may run on (`taskset -c`), e.g. `"0"`; default: any. */
  readonly cpus?: string
}

/** Starts httpd and waits until it accepts connections. Its directory is returned. */
export const start = (options: ApacheOptions): Effect.Effect<{ readonly dir: string }, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), "sspi-apache-"))
      mkdirSync(join(dir, "htdocs"))
      writeFileSync(join(dir, "htdocs", "index.html"), "hello from apache\n")
      options.files?.(dir)
      writeFileSync(join(dir, "httpd.conf"), [
        `ServerRoot ${dir}`, `ServerName ${options.serverName}`, `Listen 127.0.0.1:${options.port}`,
        ...[
          options.mode === "event" ? "mpm_event" : "mpm_prefork",
          "authn_core", "authz_core", "authz_user", "auth_gssapi", ...(options.modules ?? [])
        ].map((m) =>
          `LoadModule ${m}_module ${modules}/mod_${m}.so`
        ),
        "User nobody", "Group nogroup", `PidFile ${dir}/httpd.pid`, `ErrorLog ${dir}/error.log`, "LogLevel info",
        `DocumentRoot ${dir}/htdocs`, "KeepAlive On",
        "<Location />", "AuthType GSSAPI", "AuthName sspi", ...options.gssapi(dir), "Require valid-user", "</Location>",
        ...(options.directives?.(dir) ?? []), ""
      ].join("\n"))
      chmodSync(dir, 0o755)
      const httpd = ["/usr/sbin/apache2", options.mode === "event" ? "-DFOREGROUND" : "-X", "-f", join(dir, "httpd.conf")]
      const [command, ...args] = options.cpus === undefined ? httpd : ["taskset", "-c", options.cpus, ...httpd]
      const child = spawn(command!, args, {
        env: { ...process.env, ...options.env?.(dir) },
        stdio: ["ignore", "ignore", "pipe"]
      })
      // what httpd says before its error log is open (e.g. "could not bind to address"), kept short
      let stderr = ""
      child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString("utf8")).slice(-2000)))
      return { dir, child, stderr: () => stderr }
    }),
    ({ child, dir }) =>
      Effect.sync(() => {
        child.kill("SIGKILL")
        // the event MPM's children outlive a killed parent until they notice; stop them too
        if (options.mode === "event") spawnSync("pkill", ["-KILL", "-f", join(dir, "httpd.conf")])
        rmSync(dir, { recursive: true, force: true })
      })
  ).pipe(
    Effect.tap(({ child, dir, stderr }) =>
      Effect.suspend(() => {
        // httpd that exited (a port taken, a bad directive) is not waited for: its error log says why
        if (child.exitCode !== null || child.signalCode !== null) {
          const log = `${stderr()}\n${existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : ""}`
            .trim().split("\n").filter((l) => l !== "").slice(-3).join(" | ")
          return Effect.fail(new Error(`httpd on 127.0.0.1:${options.port} exited (${child.exitCode ?? child.signalCode}): ${log}`))
        }
        // httpd writes its PidFile once it holds the port: before that a connection may reach another listener
        if (!existsSync(join(dir, "httpd.pid"))) return Effect.fail(new Error(`httpd on 127.0.0.1:${options.port}: not listening yet`))
        return Effect.callback<void, Error>((resume) => {
          const socket = connect(options.port, "127.0.0.1")
          socket.once("connect", () => {
            socket.destroy()
            resume(Effect.void)
          })
          socket.once("error", (e) => resume(Effect.fail(e)))
        })
      }).pipe(Effect.retry({
        schedule: Schedule.spaced(Duration.millis(100)),
        times: 300,
        while: (e) => !/^httpd on \S+ exited/.test(e.message)
      }))
    ),
    Effect.map(({ dir }) => ({ dir }))
  )

/**
 * A port for a test's httpd: below Linux's ephemeral range (32768–60999),
 * so no outgoing connection or kernel-chosen listener of a parallel suite
 * holds it, and distinct across test files when each file uses its own
 * `slot` (0–7): `20000 + (8 × pid + slot) mod 12000` (12000 is a multiple
 * of 8, so two files with different slots never meet).
 */
export const testPort = (slot: number): number => 20_000 + ((process.pid * 8 + slot) % 12_000)
