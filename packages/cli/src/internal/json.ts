/**
 * A decoded tree as JSON (`sspi decode --json`): each `name: value` label
 * becomes a key and its value, a node with children an object of them
 * (its inline value under `value`); repeated names become arrays.
 */
import type { Tree } from "./tree.ts"

type Json = string | number | boolean | null | ReadonlyArray<Json> | { readonly [k: string]: Json }

const split = (label: string): readonly [string, string | undefined] => {
  const at = label.indexOf(": ")
  return at < 0 ? [label, undefined] : [label.slice(0, at), label.slice(at + 2)]
}

const scalar = (text: string): Json => {
  if (/^-?\d{1,15}$/.test(text)) return Number(text)
  if (text === "true" || text === "false") return text === "true"
  if (/^\[.*\]$|^".*"$/.test(text)) {
    try {
      return JSON.parse(text) as Json
    } catch {
      return text
    }
  }
  return text
}

const valueOf = (tree: Tree): Json => {
  const [, inline] = split(tree.label)
  if (tree.children === undefined) return inline === undefined ? true : scalar(inline)
  const out: Record<string, Json> = {}
  if (inline !== undefined) out["value"] = scalar(inline)
  for (const child of tree.children) {
    const [key] = split(child.label)
    const v = valueOf(child)
    const previous = out[key]
    out[key] = previous === undefined ? v : Array.isArray(previous) ? [...previous, v] : [previous, v]
  }
  return out
}

/** `{ "<title>": {...} }` for the tree. */
export const toJson = (tree: Tree): Json => ({ [split(tree.label)[0]]: valueOf(tree) })
