/** A labelled tree and its text rendering (├─ └─ │). */

export interface Tree {
  readonly label: string
  readonly children?: ReadonlyArray<Tree>
}

export const node = (label: string, children?: ReadonlyArray<Tree>): Tree =>
  children === undefined || children.length === 0 ? { label } : { label, children }

export const render = (tree: Tree): string => {
  const lines = [tree.label]
  const walk = (children: ReadonlyArray<Tree>, prefix: string) =>
    children.forEach((child, i) => {
      const last = i === children.length - 1
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${child.label}`)
      if (child.children !== undefined) walk(child.children, `${prefix}${last ? "   " : "│  "}`)
    })
  if (tree.children !== undefined) walk(tree.children, "")
  return lines.join("\n")
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
