import { and, asc, eq, inArray, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { bindCodes, requests, settings, staff, tasks } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { openStatuses } from '../requests/requests.repository'
import { type Actor, assertRole } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { conflict, forbidden, notFound } from '../shared/errors'
import { staffChanged } from './staff.changes'

/** The open requests a staff member holds and their open tasks: what must be reassigned when they leave. */
export async function openWorkOf(db: DbOrTx, staffId: number) {
  const [openRequests, openTasks] = await Promise.all([
    db
      .select({
        number: requests.number,
        text: requests.text,
        status: requests.status,
        resolutionDueAt: requests.resolutionDueAt,
      })
      .from(requests)
      .where(and(eq(requests.assigneeStaffId, staffId), inArray(requests.status, [...openStatuses])))
      .orderBy(asc(requests.id)),
    db
      .select({ number: tasks.number, title: tasks.title, dueAt: tasks.dueAt })
      .from(tasks)
      .where(and(eq(tasks.ownerStaffId, staffId), eq(tasks.status, 'open')))
      .orderBy(asc(tasks.id)),
  ])
  return { requests: openRequests, tasks: openTasks }
}

/**
 * 停用: the staff member's token (API and console session) and WeChat binding stop working at once; their
 * unused binding codes are withdrawn. Their open requests and tasks stay theirs until reassigned, and are
 * returned (and recorded) so an admin can hand them on. Admins only, never themselves nor the built-in admin.
 */
export async function deactivateStaff(
  ctx: { db: DbOrTx; clock: Clock },
  actor: Actor & { kind: 'staff' },
  staffId: number,
) {
  assertRole(actor.staff, [])
  if (actor.staff.id === staffId) {
    throw forbidden('staff.self_deactivate', '不能停用自己的账号，请由另一位管理员操作。')
  }
  const [target] = await ctx.db.select().from(staff).where(eq(staff.id, staffId)).for('update')
  if (!target) throw notFound('staff.not_found', `没有编号为 ${staffId} 的工作人员。`)
  const [builtIn] = await ctx.db.select().from(settings).where(eq(settings.key, 'admin_staff_id'))
  if (builtIn && Number(builtIn.value) === staffId) {
    throw forbidden('staff.builtin_admin', '内置管理员账号不能停用；如令牌外泄，请重新生成令牌。')
  }
  if (!target.active) throw conflict('staff.inactive', `工作人员"${target.name}"已停用。`)
  const now = ctx.clock.now()
  const [updated] = await ctx.db.update(staff).set({ active: false }).where(eq(staff.id, staffId)).returning()
  staffChanged()
  await ctx.db.delete(bindCodes).where(and(eq(bindCodes.staffId, staffId), isNull(bindCodes.usedAt)))
  const work = await openWorkOf(ctx.db, staffId)
  await recordAudit(ctx.db, {
    actor,
    action: 'staff.deactivate',
    entity: 'staff',
    entityId: staffId,
    before: { active: true },
    after: {
      active: false,
      openRequests: work.requests.map((r) => r.number),
      openTasks: work.tasks.map((t) => t.number),
    },
    at: now,
  })
  return { staff: updated!, ...work }
}
