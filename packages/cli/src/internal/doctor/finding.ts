/** One `sspi doctor` finding: ok / warning / error, a plain sentence, and the one-line fix. */

export interface Finding {
  readonly level: "ok" | "warning" | "error"
  readonly text: string
  readonly fix?: string | undefined
}

export const ok = (text: string): Finding => ({ level: "ok", text })
export const warning = (text: string, fix?: string): Finding => ({ level: "warning", text, fix })
export const error = (text: string, fix?: string): Finding => ({ level: "error", text, fix })

/** `ok      text` / `error   text` + `        fix: …`. */
export const formatFinding = (f: Finding): string =>
  `${f.level.padEnd(7)} ${f.text}${f.fix === undefined ? "" : `\n        fix: ${f.fix}`}`
