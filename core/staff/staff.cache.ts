// Who a token belongs to, remembered for a few seconds: every API call and console page starts by asking,
// and the answer rarely changes. A change to staff, made anywhere, forgets everything remembered:
// - in this process, the use cases that write staff call `staffChanged()` as their statement returns;
// - in every process, migration 0027's trigger notifies channel `gaizao_staff` at commit, a hand edit in
//   psql included, and each process LISTENs;
// - while no connection listens (PostgreSQL down or reconnecting) nothing is remembered, and an entry
//   lives at most `ttlMs` whatever happens.
import type { Database, DbOrTx, Subscription } from '../../db/client'
import type { StaffRow } from '../shared/actor'
import { hashToken } from '../shared/tokens'
import { staffChanged, staffEpoch } from './staff.changes'
import { authenticate } from './staff.usecases'

export const staffChannel = 'gaizao_staff'
const ttlMs = 10_000
const maxEntries = 10_000

interface Entry {
  staff: StaffRow
  at: number
  epoch: number
}

interface Cache {
  entries: Map<string, Entry>
  subscription: Subscription
}

const caches = new WeakMap<Database, Cache>()

function cacheOf(database: Database): Cache {
  let cache = caches.get(database)
  if (!cache) {
    cache = { entries: new Map(), subscription: database.listen(staffChannel, staffChanged) }
    caches.set(database, cache)
  }
  return cache
}

/** `authenticate`, answered from memory while that is known to be current. */
export async function authenticateCached(
  deps: { db: DbOrTx; database: Database },
  token: string,
): Promise<StaffRow | undefined> {
  const cache = cacheOf(deps.database)
  if (!cache.subscription.active) return authenticate(deps.db, token)
  const key = hashToken(token)
  const now = performance.now()
  const known = cache.entries.get(key)
  if (known && known.epoch === staffEpoch() && now - known.at < ttlMs) return known.staff
  const asked = staffEpoch()
  const staff = await authenticate(deps.db, token)
  // A change heard while the answer travelled may be newer than it: then it is used once, not remembered.
  if (staff && asked === staffEpoch() && cache.subscription.active) {
    cache.entries.delete(key)
    if (cache.entries.size >= maxEntries) cache.entries.delete(cache.entries.keys().next().value!)
    cache.entries.set(key, { staff: Object.freeze(staff), at: now, epoch: asked })
  }
  return staff
}
