import { and, desc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { auditLog } from '../../db/schema'
import type { Actor } from '../shared/actor'

/** Records a staff change in the caller's transaction: no change without its record. */
export async function recordAudit(
  db: DbOrTx,
  entry: {
    actor: Actor
    action: string
    entity: string
    entityId: string | number
    before?: unknown
    after?: unknown
    at: Date
  },
) {
  const staff = entry.actor.kind === 'staff' ? entry.actor.staff : undefined
  await db.insert(auditLog).values({
    actorStaffId: staff?.id ?? null,
    actorName: staff?.name ?? entry.actor.kind,
    via: entry.actor.kind === 'staff' ? entry.actor.via : 'system',
    action: entry.action,
    entity: entry.entity,
    entityId: String(entry.entityId),
    before: entry.before ?? null,
    after: entry.after ?? null,
    at: entry.at,
  })
}

export async function listAudit(db: DbOrTx, filter: { entity?: string; entityId?: string; limit: number }) {
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        filter.entity ? eq(auditLog.entity, filter.entity) : undefined,
        filter.entityId ? eq(auditLog.entityId, filter.entityId) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(filter.limit)
}
