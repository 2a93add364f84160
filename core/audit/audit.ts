import { and, desc, eq, gte, ilike, like, lt, or } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { auditLog } from '../../db/schema'
import { maskPhone } from '../people/residents'
import type { Actor } from '../shared/actor'
import { containsPattern, escapeLike } from '../shared/like'

export interface AuditInput {
  actor: Actor
  action: string
  entity: string
  entityId: string | number
  before?: unknown
  after?: unknown
}

/** The audit row of a change, without its time: for writers that store it with other rows at once. */
export function auditEntry(entry: AuditInput) {
  const staff = entry.actor.kind === 'staff' ? entry.actor.staff : undefined
  return {
    actorStaffId: staff?.id ?? null,
    actorName: staff?.name ?? entry.actor.kind,
    via: entry.actor.kind === 'staff' ? entry.actor.via : ('system' as const),
    action: entry.action,
    entity: entry.entity,
    entityId: String(entry.entityId),
    before: entry.before ?? null,
    after: entry.after ?? null,
  }
}

/** Records a staff change in the caller's transaction: no change without its record. */
export async function recordAudit(db: DbOrTx, entry: AuditInput & { at: Date }) {
  await db.insert(auditLog).values({ ...auditEntry(entry), at: entry.at })
}

export interface AuditFilter {
  actorStaffId?: number
  /** Part of the actor's name. */
  actorName?: string
  /** An action ('staff.create'), or its family ('staff' matches 'staff.create', 'staff.deactivate', …). */
  action?: string
  entity?: string
  entityId?: string
  /** Entries at or after `from` and before `to`. */
  from?: Date
  to?: Date
  /** Keyset paging: entries older than this id (the previous page's `nextBefore`). */
  before?: number
  limit: number
}

export type AuditRow = typeof auditLog.$inferSelect

/** The audit log, newest first, one page at a time; `nextBefore` is set when older entries remain. */
export async function listAudit(db: DbOrTx, filter: AuditFilter) {
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        filter.actorStaffId ? eq(auditLog.actorStaffId, filter.actorStaffId) : undefined,
        filter.actorName ? ilike(auditLog.actorName, containsPattern(filter.actorName)) : undefined,
        filter.action
          ? or(eq(auditLog.action, filter.action), like(auditLog.action, `${escapeLike(filter.action)}.%`))
          : undefined,
        filter.entity ? eq(auditLog.entity, filter.entity) : undefined,
        filter.entityId ? eq(auditLog.entityId, filter.entityId) : undefined,
        filter.from ? gte(auditLog.at, filter.from) : undefined,
        filter.to ? lt(auditLog.at, filter.to) : undefined,
        filter.before ? lt(auditLog.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(filter.limit + 1)
  const items = rows.slice(0, filter.limit)
  return { items, nextBefore: rows.length > filter.limit ? items[items.length - 1]!.id : null }
}

const phonePattern = /(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)/g

/** A copy of a before/after value with every mobile number in it shown as '138****5678'. */
export function maskPhonesIn(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(phonePattern, '$1****$2')
  if (typeof value === 'number' && /^1\d{10}$/.test(String(value))) return maskPhonesIn(String(value))
  if (Array.isArray(value)) return value.map(maskPhonesIn)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        /phone/i.test(key) && typeof inner === 'string' && !inner.includes('****')
          ? maskPhone(inner)
          : maskPhonesIn(inner),
      ]),
    )
  }
  return value
}
