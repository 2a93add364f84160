export interface RateLimitOptions {
  /** Events a key may have within `windowMs`; the next one is refused. */
  limit: number
  windowMs: number
  /** How long a key stays refused once it reaches the limit; default: until its oldest event leaves the window. */
  blockMs?: number
  /** Keys remembered at most; the least recently seen is forgotten first, so a flood of keys cannot fill memory. */
  maxKeys?: number
  /** Milliseconds since the epoch; a test passes a clock it moves. */
  now?: () => number
}

export interface RateLimiter {
  /** Milliseconds until `key` may act again; 0 when it may now. */
  retryAfterMs(key: string): number
  /** Records an event (a failed sign-in, a wrong code); returns `retryAfterMs` after it. */
  hit(key: string): number
  /** An event that counts only when allowed: `{ ok: false }` (nothing recorded) once the key is at its limit. */
  attempt(key: string): { ok: true } | { ok: false; retryAfterMs: number }
  reset(key: string): void
  /** Keys remembered now. */
  size(): number
}

interface Entry {
  /** The latest events' times, oldest first, at most `limit` of them. */
  times: number[]
  blockedUntil: number
}

/** An in-memory sliding-window limiter: per process, forgotten on restart. */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { limit, windowMs, blockMs } = options
  if (!Number.isInteger(limit) || limit < 1) throw new Error('limit must be a positive integer')
  if (!(windowMs > 0)) throw new Error('windowMs must be positive')
  const maxKeys = options.maxKeys ?? 10_000
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()

  const live = (key: string, at: number): Entry | undefined => {
    const entry = entries.get(key)
    if (!entry) return undefined
    while (entry.times.length > 0 && entry.times[0]! <= at - windowMs) entry.times.shift()
    if (entry.times.length === 0 && entry.blockedUntil <= at) {
      entries.delete(key)
      return undefined
    }
    return entry
  }

  const retryAfter = (entry: Entry | undefined, at: number) =>
    entry && entry.blockedUntil > at ? entry.blockedUntil - at : 0

  const hit = (key: string) => {
    const at = now()
    let entry = live(key, at)
    if (entry) {
      entries.delete(key)
    } else {
      entry = { times: [], blockedUntil: 0 }
      if (entries.size >= maxKeys) entries.delete(entries.keys().next().value!)
    }
    // Re-inserted: the map's order is least recently seen first.
    entries.set(key, entry)
    entry.times.push(at)
    if (entry.times.length > limit) entry.times.shift()
    if (entry.times.length >= limit) {
      const until = blockMs === undefined ? entry.times[0]! + windowMs : at + blockMs
      entry.blockedUntil = Math.max(entry.blockedUntil, until)
    }
    return retryAfter(entry, at)
  }

  return {
    retryAfterMs: (key) => {
      const at = now()
      return retryAfter(live(key, at), at)
    },
    hit,
    attempt(key) {
      const at = now()
      const wait = retryAfter(live(key, at), at)
      if (wait > 0) return { ok: false, retryAfterMs: wait }
      hit(key)
      return { ok: true }
    },
    reset: (key) => {
      entries.delete(key)
    },
    size: () => entries.size,
  }
}

/** Whole seconds for a Retry-After header and a message: never 0 while refused. */
export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))
