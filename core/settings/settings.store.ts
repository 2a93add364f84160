import { eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { settings } from '../../db/schema'

/**
 * A stored setting's value, or undefined when none is stored. `forUpdate` (inside a transaction) holds the
 * key until the transaction ends: a transaction-scoped advisory lock on the key, which also serialises two
 * first writes of a key no row holds yet (a row lock would have nothing to hold).
 */
export async function readSetting(db: DbOrTx, key: string, forUpdate = false): Promise<unknown> {
  if (forUpdate) await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`settings:${key}`}))`)
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, key))
  return row?.value
}

export async function writeSetting(db: DbOrTx, key: string, value: unknown, at: Date) {
  await db
    .insert(settings)
    .values({ key, value, updatedAt: at })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: at } })
}

/**
 * A few seconds' memory of a setting, so a hot path does not read the database each time. Kept per owner
 * object (the running app's config), so two apps in one process (tests) never share it. A second instance
 * sees an edit within `ttlMs`; the instance that made it sees it at once (the writer forgets its copy).
 */
export function createSettingCache<T>(ttlMs: number) {
  const entries = new WeakMap<object, { at: number; value: T }>()
  // Monotonic process time, not the injected clock: this is about freshness of a copy, not about the domain's time.
  const now = () => performance.now()
  return {
    async get(owner: object, load: () => Promise<T>): Promise<T> {
      const hit = entries.get(owner)
      if (hit && now() - hit.at < ttlMs) return hit.value
      const value = await load()
      entries.set(owner, { at: now(), value })
      return value
    },
    forget(owner: object) {
      entries.delete(owner)
    },
  }
}
