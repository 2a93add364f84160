import { randomBytes } from 'node:crypto'
import type { Clock } from '../shared/clock'

interface Entry<T> {
  staffId: number
  kind: string
  value: T
  size: number
  expiresAt: number
}

/**
 * Uploads waiting for their confirmation, in memory, keyed by a random id: the confirm step imports exactly
 * the rows that were previewed. Bounded three ways: entries expire, each staff member keeps one per kind (a
 * new upload replaces the last), and past `maxEntries` or `maxChars` the oldest go first.
 */
export function createPendingUploads<T>(options: {
  clock: Clock
  ttlMs?: number
  maxEntries?: number
  maxChars?: number
}) {
  const ttlMs = options.ttlMs ?? 30 * 60_000
  const maxEntries = options.maxEntries ?? 20
  const maxChars = options.maxChars ?? 40_000_000
  const entries = new Map<string, Entry<T>>()

  const sweep = () => {
    const now = options.clock.now().getTime()
    for (const [id, e] of entries) if (e.expiresAt <= now) entries.delete(id)
    let chars = [...entries.values()].reduce((sum, e) => sum + e.size, 0)
    // A Map iterates in insertion order: the first is the oldest.
    for (const [id, e] of entries) {
      if (entries.size <= maxEntries && chars <= maxChars) break
      entries.delete(id)
      chars -= e.size
    }
  }

  return {
    /** Keeps `value` (of about `size` characters) for the staff member; returns its id. */
    put(staffId: number, kind: string, value: T, size: number) {
      for (const [id, e] of entries) if (e.staffId === staffId && e.kind === kind) entries.delete(id)
      const id = randomBytes(18).toString('base64url')
      entries.set(id, { staffId, kind, value, size, expiresAt: options.clock.now().getTime() + ttlMs })
      sweep()
      return id
    },
    /** The upload, only to the staff member who made it and only while it lasts; it stays until taken. */
    get(staffId: number, kind: string, id: string): T | undefined {
      sweep()
      const e = entries.get(id)
      return e && e.staffId === staffId && e.kind === kind ? e.value : undefined
    },
    delete(id: string) {
      entries.delete(id)
    },
    get size() {
      return entries.size
    },
  }
}

export type PendingUploads<T> = ReturnType<typeof createPendingUploads<T>>
