/** Test helpers: hex and text to bytes, and back. */
export const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ""), "hex"))

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
