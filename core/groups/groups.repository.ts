import { and, eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups, outbox, staff } from '../../db/schema'
import { officerGroupsCovering } from '../requests/requests.repository'
import { staffChanged } from '../staff/staff.changes'

export type GroupRow = typeof chatGroups.$inferSelect

/**
 * The active officers' groups that should hear about something in `scopePath`: those whose scope covers
 * it, or every active officers' group when none does (nobody would hear otherwise).
 */
export async function officersRoomsFor(db: DbOrTx, scopePath: string | null | undefined) {
  const covering = await officerGroupsCovering(db, scopePath ?? '')
  const groups =
    covering.length > 0
      ? covering
      : await db
          .select({ roomId: chatGroups.roomId })
          .from(chatGroups)
          .where(and(eq(chatGroups.kind, 'officers'), eq(chatGroups.state, 'active')))
  return groups.map((g) => g.roomId)
}

/** Gives up on the messages still waiting for a room the bot can no longer (or may no longer) speak in. */
export async function dropPendingFor(db: DbOrTx, roomId: string, why: string) {
  const dropped = await db
    .update(outbox)
    .set({ status: 'dropped', lastError: why })
    .where(and(eq(outbox.conversationId, roomId), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id })
  return dropped.length
}

/**
 * A group's room id or a staff member's WeChat id changed (wechat4u re-login, or an admin's choice):
 * the row takes the new id and the messages not yet sent follow it.
 */
export async function moveWechatId(
  db: DbOrTx,
  kind: 'group' | 'staff',
  subjectId: number,
  from: string | null,
  to: string,
) {
  if (kind === 'group') await db.update(chatGroups).set({ roomId: to }).where(eq(chatGroups.id, subjectId))
  else await db.update(staff).set({ wechatId: to }).where(eq(staff.id, subjectId))
  staffChanged()
  if (from && from !== to) await repointOutbox(db, from, to)
}

/** Messages not yet sent follow a room or contact whose id changed (wechat4u re-login). */
export async function repointOutbox(db: DbOrTx, from: string, to: string) {
  await db
    .update(outbox)
    .set({ conversationId: to })
    .where(and(eq(outbox.conversationId, from), inArray(outbox.status, ['pending', 'sending'])))
}

export async function findGroupByRoom(db: DbOrTx, roomId: string, options: { lock?: boolean } = {}) {
  const query = db.select().from(chatGroups).where(eq(chatGroups.roomId, roomId))
  const [row] = options.lock ? await query.for('update') : await query
  return row
}
