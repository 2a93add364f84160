import { describe, expect, it } from 'vitest'
import { createRateLimiter, retryAfterSeconds } from '../../core/shared/rate-limit'

/** A limiter on a clock the test moves. */
function limiter(options: { limit: number; windowMs: number; blockMs?: number; maxKeys?: number }) {
  let now = 1_000_000
  const limits = createRateLimiter({ ...options, now: () => now })
  return { limits, advance: (ms: number) => (now += ms) }
}

describe('rate limiter', () => {
  it('refuses a key at its limit until its oldest event leaves the window, and no other key', () => {
    const { limits, advance } = limiter({ limit: 3, windowMs: 60_000 })
    expect(limits.hit('a')).toBe(0)
    advance(10_000)
    expect(limits.hit('a')).toBe(0)
    advance(10_000)
    // The third failure fills the window: blocked until the first (20 s ago) is a minute old.
    expect(limits.hit('a')).toBe(40_000)
    expect(limits.retryAfterMs('a')).toBe(40_000)
    expect(limits.retryAfterMs('b')).toBe(0)
    advance(39_999)
    expect(limits.retryAfterMs('a')).toBe(1)
    advance(1)
    expect(limits.retryAfterMs('a')).toBe(0)
    // Sliding: one more failure now fills the window again, until the second is a minute old.
    expect(limits.hit('a')).toBe(10_000)
  })

  it('keeps a key blocked for blockMs once it reaches the limit, when asked to', () => {
    const { limits, advance } = limiter({ limit: 2, windowMs: 60_000, blockMs: 3_600_000 })
    limits.hit('x')
    expect(limits.hit('x')).toBe(3_600_000)
    advance(3_599_000)
    expect(limits.retryAfterMs('x')).toBe(1_000)
    advance(1_000)
    expect(limits.retryAfterMs('x')).toBe(0)
  })

  it('lets `limit` attempts through in a window and refuses the next without counting it', () => {
    const { limits, advance } = limiter({ limit: 3, windowMs: 1_000 })
    expect([1, 2, 3].map(() => limits.attempt('ip').ok)).toEqual([true, true, true])
    const refused = limits.attempt('ip')
    expect(refused).toEqual({ ok: false, retryAfterMs: 1_000 })
    advance(1_000)
    expect(limits.attempt('ip').ok).toBe(true)
  })

  it('forgets the least recently seen key past maxKeys, and keys whose events have expired', () => {
    const { limits, advance } = limiter({ limit: 1, windowMs: 1_000, maxKeys: 2 })
    limits.hit('a')
    limits.hit('b')
    limits.retryAfterMs('a')
    limits.hit('a')
    limits.hit('c')
    expect(limits.size()).toBe(2)
    expect(limits.retryAfterMs('b')).toBe(0)
    expect(limits.retryAfterMs('a')).toBeGreaterThan(0)
    advance(1_000)
    expect(limits.retryAfterMs('a')).toBe(0)
    expect(limits.retryAfterMs('c')).toBe(0)
    expect(limits.size()).toBe(0)
  })

  it('resets a key, and rounds a wait up to whole seconds, never 0', () => {
    const { limits } = limiter({ limit: 1, windowMs: 1_000 })
    limits.hit('a')
    limits.reset('a')
    expect(limits.retryAfterMs('a')).toBe(0)
    expect(retryAfterSeconds(1)).toBe(1)
    expect(retryAfterSeconds(1_001)).toBe(2)
    expect(retryAfterSeconds(0)).toBe(1)
  })

  it('refuses nonsense options', () => {
    expect(() => createRateLimiter({ limit: 0, windowMs: 1 })).toThrow('limit')
    expect(() => createRateLimiter({ limit: 1, windowMs: 0 })).toThrow('windowMs')
  })
})
