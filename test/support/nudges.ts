import { and, asc, eq, inArray, like } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { nudges, outbox } from '../../db/schema'

/**
 * The nudge messages (not digests) that name an item's number, oldest first: who each went to, its rung
 * (from its dedupe key nudge:<kind>:<id>:<level>:<voice>:…, which all the items of a message share) and
 * its text. A message may name several items; `Q1` does not match `Q10`.
 */
export async function nudgeMessagesAbout(db: DbOrTx, ref: string) {
  const names = new RegExp(`${ref}(?![0-9])`)
  const rows = await db.select().from(outbox).where(like(outbox.dedupeKey, 'nudge:%')).orderBy(asc(outbox.id))
  return rows
    .filter((r) => names.test(r.text))
    .map((r) => ({ to: r.conversationId, level: Number(r.dedupeKey!.split(':')[3]), text: r.text }))
}

/** The (item, level) records of some tasks' nudges. */
export function nudgesOfTasks(db: DbOrTx, taskIds: readonly number[]) {
  return db
    .select()
    .from(nudges)
    .where(and(eq(nudges.itemKind, 'task'), inArray(nudges.itemId, [...taskIds])))
}
