import { afterEach, describe, expect, it, vi } from 'vitest'
// postgres.js's connection queues, as patched by patches/postgres+3.4.9.patch (not exported by the package).
// @ts-expect-error: the package ships no types for its internals
import Queue from '../../node_modules/postgres/src/queue.js'

interface PgQueue<T> {
  readonly length: number
  push(x: T): T
  shift(): T | undefined
  remove(x: T): T | null
}
const queue = <T>(initial: T[] = []) => (Queue as unknown as (xs: T[]) => PgQueue<T>)(initial)

describe('postgres.js connection queue (patched)', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('stays first in, first out while it never empties, and removes what it holds', () => {
    // A busy pool: ten connections cycle through the queue and it is never empty, 20,000 times.
    const q = queue<number>()
    for (let c = 0; c < 10; c++) q.push(c)
    const order: number[] = []
    // The array remove() searches: unpatched, it kept a slot for every item ever shifted (20,000 here).
    let largest = 0
    const indexOf = Array.prototype.indexOf
    vi.spyOn(Array.prototype, 'indexOf').mockImplementation(function (
      this: unknown[],
      ...args: Parameters<typeof indexOf>
    ) {
      largest = Math.max(largest, this.length)
      return indexOf.apply(this, args)
    })
    for (let i = 0; i < 20_000; i++) {
      const c = q.shift()!
      if (i >= 19_990) order.push(c)
      expect(q.remove(c)).toBeNull()
      q.push(c)
    }
    vi.restoreAllMocks()
    expect(largest).toBeLessThan(2_100)
    expect(q.length).toBe(10)
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    // Removing from the middle and the ends keeps the others in order.
    expect(q.remove(5)).toBe(5)
    expect(q.remove(0)).toBe(0)
    expect(q.remove(9)).toBe(9)
    expect(q.remove(42)).toBeNull()
    expect(q.length).toBe(7)
    const rest: number[] = []
    while (q.length) rest.push(q.shift()!)
    expect(rest).toEqual([1, 2, 3, 4, 6, 7, 8])
    expect(q.shift()).toBeUndefined()
  })

  it('finds an item pushed after the spent slots were dropped', () => {
    const q = queue<string>(['a'])
    for (let i = 0; i < 5_000; i++) {
      q.push(`x${i}`)
      q.shift()
    }
    q.push('last')
    expect(q.remove('x4999')).toBe('x4999')
    expect(q.shift()).toBe('last')
    expect(q.length).toBe(0)
  })
})
