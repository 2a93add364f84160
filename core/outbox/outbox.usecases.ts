import { and, eq, inArray } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { outbox } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import { AppError, notFound } from '../shared/errors'

type StaffActor = Actor & { kind: 'staff' }

/**
 * Staff decide about a message whose fate is unknown (`uncertain`: the sender died mid-send) or that gave
 * up (`failed`): send it again, or drop it. Only an admin may, and it is audited, because a resend can
 * repeat a message that did arrive.
 */
export async function settleMessage(
  db: DbOrTx,
  actor: StaffActor,
  id: number,
  decision: 'resend' | 'drop',
  now: Date,
) {
  assertRole(actor.staff, [])
  const [row] = await db.select().from(outbox).where(eq(outbox.id, id)).for('update')
  if (!row) throw notFound('outbox.not_found', `没有编号为 ${id} 的待发消息。`)
  const allowed: (typeof row.status)[] =
    decision === 'resend' ? ['uncertain', 'failed'] : ['uncertain', 'failed', 'pending']
  if (!allowed.includes(row.status)) {
    throw new AppError(
      'outbox.wrong_status',
      409,
      `消息 ${id} 当前状态为 ${row.status}，不能${decision === 'resend' ? '重发' : '放弃'}。`,
      {
        status: row.status,
      },
    )
  }
  const [updated] = await db
    .update(outbox)
    .set(
      decision === 'resend'
        ? { status: 'pending', attempts: 0, notBefore: now, lastError: null, leaseUntil: null }
        : { status: 'dropped', leaseUntil: null },
    )
    .where(and(eq(outbox.id, id), inArray(outbox.status, allowed)))
    .returning()
  await recordAudit(db, {
    actor,
    action: `outbox.${decision}`,
    entity: 'outbox',
    entityId: id,
    before: { status: row.status, attempts: row.attempts, lastError: row.lastError },
    after: { status: updated!.status },
    at: now,
  })
  return updated!
}
