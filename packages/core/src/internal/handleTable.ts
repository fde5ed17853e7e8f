/**
 * Handle tables: opaque, unforgeable handles with a slot index and a
 * generation count, so a stale handle never reaches a newer entry.
 */

/** Common shape of every handle kind: the slot and generation are private. */
abstract class HandleBase {
  readonly #table: object
  readonly #slot: number
  readonly #generation: number
  constructor(table: object, slot: number, generation: number) {
    this.#table = table
    this.#slot = slot
    this.#generation = generation
  }
  /** dwLower: the slot index (informational only). */
  get lower(): number {
    return this.#slot
  }
  /** dwUpper: the generation (informational only). */
  get upper(): number {
    return this.#generation
  }
  /** @internal */
  static locate(handle: unknown, table: object): readonly [slot: number, generation: number] | undefined {
    if (typeof handle !== "object" || handle === null || !(#table in handle)) return undefined
    const h = handle as HandleBase
    return h.#table === table ? [h.#slot, h.#generation] : undefined
  }
  toString(): string {
    return `${this.constructor.name}(${this.#slot}:${this.#generation})`
  }
  toJSON(): string {
    return this.toString()
  }
}

/** A credential handle (CredHandle). */
export class CredHandle extends HandleBase {
  declare readonly _kind: "CredHandle"
}

/** A security context handle (CtxtHandle). */
export class CtxtHandle extends HandleBase {
  declare readonly _kind: "CtxtHandle"
}

/** An async call context (SspiAsyncContext). */
export class AsyncContextHandle extends HandleBase {
  declare readonly _kind: "SspiAsyncContext"
}

interface Slot<T> {
  generation: number
  value: T | undefined
}

/** A table of entries addressed by handles of one kind. */
export class HandleTable<H extends HandleBase, T> {
  readonly #slots: Array<Slot<T>> = []
  readonly #free: Array<number> = []
  #live = 0
  readonly #make: new(table: object, slot: number, generation: number) => H
  constructor(make: new(table: object, slot: number, generation: number) => H) {
    this.#make = make
  }

  /** Number of live entries. */
  get size(): number {
    return this.#live
  }

  /** Stores an entry and returns its new handle. */
  add(value: T): H {
    const index = this.#free.pop()
    this.#live++
    if (index === undefined) {
      this.#slots.push({ generation: 1, value })
      return new this.#make(this, this.#slots.length - 1, 1)
    }
    const slot = this.#slots[index]!
    slot.value = value
    return new this.#make(this, index, slot.generation)
  }

  /** The entry of a live handle, or `undefined` for anything else. */
  get(handle: unknown): T | undefined {
    const at = HandleBase.locate(handle, this)
    if (at === undefined) return undefined
    const slot = this.#slots[at[0]]
    return slot !== undefined && slot.generation === at[1] ? slot.value : undefined
  }

  /** Removes a live handle's entry and returns it; the slot's generation moves on. */
  remove(handle: unknown): T | undefined {
    const at = HandleBase.locate(handle, this)
    if (at === undefined) return undefined
    const slot = this.#slots[at[0]]
    if (slot === undefined || slot.generation !== at[1] || slot.value === undefined) return undefined
    const value = slot.value
    slot.value = undefined
    slot.generation++
    this.#free.push(at[0])
    this.#live--
    return value
  }

  /** Every live entry. */
  values(): Array<T> {
    const out: Array<T> = []
    for (const slot of this.#slots) if (slot.value !== undefined) out.push(slot.value)
    return out
  }

  /** Removes every live entry and returns them (runtime shutdown). */
  drain(): Array<T> {
    const out: Array<T> = []
    this.#slots.forEach((slot, index) => {
      if (slot.value === undefined) return
      out.push(slot.value)
      slot.value = undefined
      slot.generation++
      this.#free.push(index)
    })
    this.#live = 0
    return out
  }
}
