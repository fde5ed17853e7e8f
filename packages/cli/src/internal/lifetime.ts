/** kinit's lifetimes: `10h`, `1d`, `30m`, `90s`, `1h30m`, `3600` (seconds), `1:30` (h:mm). */
import { Duration, Option } from "effect"

const UNITS: Readonly<Record<string, number>> = { d: 86_400, h: 3600, m: 60, s: 1 }

/** The duration, or none when the text is not a lifetime. */
export const parseLifetime = (text: string): Option.Option<Duration.Duration> => {
  const t = text.trim()
  let seconds: number | undefined
  if (/^\d+$/.test(t)) seconds = Number(t)
  else if (/^\d+:\d{2}(?::\d{2})?$/.test(t)) {
    const [h, m, s] = t.split(":").map(Number)
    seconds = h! * 3600 + m! * 60 + (s ?? 0)
  } else if (/^(?:\d+[dhms])+$/.test(t)) {
    seconds = 0
    for (const [, n, unit] of t.matchAll(/(\d+)([dhms])/g)) seconds += Number(n) * UNITS[unit!]!
  }
  return seconds === undefined || seconds <= 0 ? Option.none() : Option.some(Duration.seconds(seconds))
}
