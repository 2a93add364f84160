import { asc, like } from 'drizzle-orm'
import { levelNames } from '../../core/nudges/nudges.usecases'
import type { DbOrTx } from '../../db/client'
import { outbox } from '../../db/schema'

const levelOf = new Map<string, number>(
  Object.entries(levelNames).map(([level, name]) => [name, Number(level)]),
)

/**
 * The nudge messages (not digests) that name an item's number, oldest first: who each went to, its level
 * (from its 【heading】) and its text. A message may name several items; `Q1` does not match `Q10`.
 */
export async function nudgeMessagesAbout(db: DbOrTx, ref: string) {
  const names = new RegExp(`${ref}(?![0-9])`)
  const rows = await db.select().from(outbox).where(like(outbox.dedupeKey, 'nudge:%')).orderBy(asc(outbox.id))
  return rows
    .filter((r) => names.test(r.text))
    .map((r) => ({
      to: r.conversationId,
      level: levelOf.get(/^【(.+?)】/.exec(r.text)?.[1] ?? '') ?? null,
      text: r.text,
    }))
}
