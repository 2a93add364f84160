import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { settings } from '../../db/schema'
import { isAppError } from '../shared/errors'
import { formatShanghai } from '../shared/time'

/** Wrong bind codes a WeChat sender may send within `bindLockMs` before binding is paused for them. */
export const bindFailureLimit = 5
export const bindLockMs = 60 * 60_000

/** Kept in `settings` (not in memory): a restart or a second instance does not forgive a guesser. */
const bindFailuresKey = (senderId: string) => `bind_failures:${senderId}`
interface BindFailures {
  count: number
  since: string
  lockedUntil?: string
}

async function readBindFailures(db: DbOrTx, senderId: string): Promise<BindFailures | undefined> {
  const [row] = await db
    .select()
    .from(settings)
    .where(eq(settings.key, bindFailuresKey(senderId)))
  return row?.value as BindFailures | undefined
}

const bindLockedMessage = (until: Date) =>
  `绑定码错误次数过多，已暂停绑定。请在 ${formatShanghai(until)} 之后再试；如绑定码遗失或已过期，请联系管理员重新生成。`

export type BindAttempt<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'bind.bad_code' | 'bind.locked'; message: string }

/**
 * A bind (`绑定`, `绑定小区`) by one WeChat sender, with wrong codes counted: after `bindFailureLimit` of them
 * within an hour the sender is locked out for `bindLockMs`, and no code is even looked at meanwhile. A wrong
 * code is an answer, not an error, so the count is kept when the command's savepoint commits.
 */
export async function attemptBind<T>(
  db: DbOrTx,
  senderId: string,
  now: Date,
  bind: (tx: DbOrTx) => Promise<T>,
): Promise<BindAttempt<T>> {
  const failures = await readBindFailures(db, senderId)
  const lockedUntil = failures?.lockedUntil ? new Date(failures.lockedUntil) : undefined
  if (lockedUntil && lockedUntil > now) {
    return { ok: false, code: 'bind.locked', message: bindLockedMessage(lockedUntil) }
  }
  try {
    const value = await db.transaction((tx) => bind(tx))
    if (failures) await db.delete(settings).where(eq(settings.key, bindFailuresKey(senderId)))
    return { ok: true, value }
  } catch (error) {
    if (!isAppError(error) || error.code !== 'bind.bad_code') throw error
    const fresh = !failures || lockedUntil || now.getTime() - Date.parse(failures.since) >= bindLockMs
    const next: BindFailures = fresh
      ? { count: 1, since: now.toISOString() }
      : { count: failures.count + 1, since: failures.since }
    const locks = next.count >= bindFailureLimit
    if (locks) next.lockedUntil = new Date(now.getTime() + bindLockMs).toISOString()
    await db
      .insert(settings)
      .values({ key: bindFailuresKey(senderId), value: next, updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: next, updatedAt: now } })
    if (locks) {
      return { ok: false, code: 'bind.locked', message: bindLockedMessage(new Date(next.lockedUntil!)) }
    }
    return {
      ok: false,
      code: 'bind.bad_code',
      message: `${error.message}连续输错 ${bindFailureLimit} 次将暂停绑定 1 小时（还可再试 ${bindFailureLimit - next.count} 次）。`,
    }
  }
}
