/**
 * Processes of the HTTP bench as scoped resources: Node children (our
 * server, `sspi serve`, the driver) pinned with `taskset`, the two Apache
 * instances (mod_auth_gssapi over MIT Kerberos, over gss-ntlmssp), and the CPU
 * time of a process tree read from /proc.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import { Apache, type Realm } from "@effect-sspi/interop-harness"

const nodeArgs = ["--conditions=@effect-sspi/source", "--import", "tsx"]

/** A TCP port nobody listens on now (the kernel's pick). */
export const freePort: Effect.Effect<number, Error> = Effect.callback<number, Error>((resume) => {
  const server = createServer()
  server.once("error", (e) => resume(Effect.fail(e)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    server.close(() => resume(typeof address === "object" && address !== null ? Effect.succeed(address.port) : Effect.fail(new Error("no port"))))
  })
})

/** `taskset -c CPUS node … script args` (no taskset when `cpus` is undefined); killed when the scope closes. */
export const spawnNode = (
  script: string,
  args: ReadonlyArray<string>,
  options: {
    readonly cpus: string | undefined
    readonly env: Readonly<Record<string, string>>
    readonly ipc?: boolean
    /** Load the TypeScript sources through tsx (default); `false` for a launcher that does it itself (bin/sspi.js). */
    readonly tsx?: boolean
    /** More node options (e.g. `--cpu-prof`). */
    readonly nodeOptions?: ReadonlyArray<string>
  }
): Effect.Effect<ChildProcess, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const command = [
        process.execPath,
        ...(options.nodeOptions ?? []),
        ...(options.tsx === false ? nodeArgs.slice(0, 1) : nodeArgs),
        script,
        ...args
      ]
      const [file, ...rest] = options.cpus === undefined ? command : ["taskset", "-c", options.cpus, ...command]
      return spawn(file!, rest, {
        env: { ...process.env, ...options.env },
        stdio: options.ipc === true ? ["ignore", "pipe", "inherit", "ipc"] : ["ignore", "pipe", "inherit"]
      })
    }),
    (child) =>
      Effect.callback<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGTERM")
        setTimeout(() => child.kill("SIGKILL"), 5000).unref()
      })
  )

/** Waits until the child prints a line matching `pattern` (time-out 60 s); the match. */
export const waitForLine = (child: ChildProcess, pattern: RegExp): Effect.Effect<RegExpExecArray, Error> =>
  Effect.callback<RegExpExecArray, Error>((resume) => {
    let seen = ""
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      const m = pattern.exec(seen)
      if (m) {
        child.stdout!.off("data", onData)
        // keep draining, so that a chatty child never blocks on a full pipe
        child.stdout!.resume()
        resume(Effect.succeed(m))
      }
    }
    child.stdout!.on("data", onData)
    child.once("exit", (code) => resume(Effect.fail(new Error(`exited with ${code} before ${pattern}: ${seen}`))))
  }).pipe(Effect.timeout("60 seconds"))

/** User time + system time (ms) of the processes whose command line contains `needle`, with their threads. */
export const cpuMsOf = (needle: string): number => {
  const pids = spawnSync("pgrep", ["-f", needle], { encoding: "utf8" }).stdout.split("\n").filter((p) => p !== "")
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      // fields 14 and 15 of stat (utime, stime), counted after the ")" of the command name
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10 // USER_HZ is 100 on Linux
}

/** Files both Apache instances serve: `/auth` behind mod_auth_gssapi, `/public` without authentication. */
const pages = (dir: string) => {
  writeFileSync(join(dir, "htdocs", "auth"), "hello\n")
  writeFileSync(join(dir, "htdocs", "public"), "hello anyone\n")
}

/** Server directives of both instances: production log level, unlimited keep-alive (as our server), a public location. */
const directives = () => [
  "LogLevel warn",
  "MaxKeepAliveRequests 0",
  "KeepAliveTimeout 60",
  "<Location /public>",
  "AuthType None",
  "Require all granted",
  "</Location>"
]

/** Apache + mod_auth_gssapi over MIT Kerberos with the realm's keytab, MIT's replay cache on (its own directory). */
export const apacheKerberos = (port: number, realm: Realm.Realm) =>
  Apache.start({
    port,
    serverName: "localhost",
    mode: "event",
    cpus: "0",
    gssapi: (dir) => ["GssapiAllowedMech krb5", `GssapiCredStore keytab:${dir}/http.keytab`, "GssapiConnectionBound On"],
    directives,
    files: (dir) => {
      pages(dir)
      copyFileSync(realm.keytab, join(dir, "http.keytab"))
      chmodSync(join(dir, "http.keytab"), 0o644)
      copyFileSync(realm.env["KRB5_CONFIG"]!, join(dir, "krb5.conf"))
      mkdirSync(join(dir, "rcache"))
      chmodSync(join(dir, "rcache"), 0o777)
    },
    env: (dir) => ({ KRB5_CONFIG: join(dir, "krb5.conf"), KRB5_KTNAME: `FILE:${dir}/http.keytab`, KRB5RCACHEDIR: join(dir, "rcache") })
  })

/** Apache + mod_auth_gssapi over gss-ntlmssp with the same user file. */
export const apacheNtlm = (port: number, users: string) =>
  Apache.start({
    port,
    serverName: "localhost",
    mode: "event",
    cpus: "0",
    gssapi: () => ["GssapiAllowedMech ntlmssp", "GssapiConnectionBound On"],
    directives,
    files: (dir) => {
      pages(dir)
      writeFileSync(join(dir, "users"), users)
    },
    env: (dir) => ({ NTLM_USER_FILE: join(dir, "users") })
  })
