/**
 * The server challenges a package instance has issued and not yet seen
 * answered: the list Windows keeps to detect reflection (a CHALLENGE of our
 * own acceptor handed to our own initiator). Bounded, and each entry expires
 * with the handshake time-out; times come from the caller's `Clock`.
 */

/** The 8 challenge bytes as a map key. */
const keyOf = (challenge: Uint8Array): string => String.fromCharCode(...challenge.subarray(0, 8))

/** A bounded set of outstanding server challenges with expiry. */
export class OutstandingChallenges {
  /** Key → expiry (ms since the epoch), in insertion order. */
  private readonly entries = new Map<string, number>()

  constructor(
    /** At most this many entries; when full, the oldest is forgotten (reflection of it is then not detected). */
    readonly capacity: number,
    /** How long a challenge stays outstanding: the handshake time-out. */
    readonly lifetimeMs: number
  ) {}

  /** Remembers a challenge just sent. */
  add(challenge: Uint8Array, now: number): void {
    this.sweep(now)
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (oldest.done !== true) this.entries.delete(oldest.value)
    }
    this.entries.set(keyOf(challenge), now + this.lifetimeMs)
  }

  /** Forgets a challenge (answered, or its context deleted). */
  remove(challenge: Uint8Array): void {
    this.entries.delete(keyOf(challenge))
  }

  /** Whether `challenge` is one we issued and that has not expired. */
  has(challenge: Uint8Array, now: number): boolean {
    const expiry = this.entries.get(keyOf(challenge))
    return expiry !== undefined && now < expiry
  }

  /** How many are remembered (for tests and stats). */
  get size(): number {
    return this.entries.size
  }

  /** How many are outstanding at `now` (expired ones are dropped first). */
  live(now: number): number {
    this.sweep(now)
    return this.entries.size
  }

  /** Drops expired entries from the oldest on (entries are added with a constant lifetime). */
  private sweep(now: number): void {
    for (const [key, expiry] of this.entries) {
      if (expiry > now) break
      this.entries.delete(key)
    }
  }
}
