import { and, asc, eq, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups, type groupKinds, type groupStates, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole, assertScope, type StaffRow } from '../shared/actor'
import { conflict, forbidden, invalid, notFound } from '../shared/errors'
import { scopePathFor } from '../staff/staff.usecases'
import { groupText } from './groups.messages'
import { dropPendingFor, type GroupRow } from './groups.repository'

export type GroupKind = (typeof groupKinds)[number]
export type GroupState = (typeof groupStates)[number]

export interface GroupFilters {
  xiaoquId?: number
  kind?: GroupKind
  state?: GroupState
}

/** Groups within the staff member's scope (admins: all), newest first. */
export async function listGroups(db: DbOrTx, viewer: StaffRow, filters: GroupFilters, limit = 500) {
  return db
    .select({ group: chatGroups, xiaoquName: xiaoqu.name })
    .from(chatGroups)
    .leftJoin(xiaoqu, eq(xiaoqu.id, chatGroups.xiaoquId))
    .where(
      and(
        viewer.scopePath === null ? undefined : sql`${chatGroups.scopePath} like ${`${viewer.scopePath}%`}`,
        filters.xiaoquId ? eq(chatGroups.xiaoquId, filters.xiaoquId) : undefined,
        filters.kind ? eq(chatGroups.kind, filters.kind) : undefined,
        filters.state ? eq(chatGroups.state, filters.state) : undefined,
      ),
    )
    .orderBy(asc(chatGroups.id))
    .limit(limit)
}

export type ListedGroup = Awaited<ReturnType<typeof listGroups>>[number]

/** One group as the list shows it. */
export async function findListedGroup(db: DbOrTx, id: number): Promise<ListedGroup | undefined> {
  const [row] = await db
    .select({ group: chatGroups, xiaoquName: xiaoqu.name })
    .from(chatGroups)
    .leftJoin(xiaoqu, eq(xiaoqu.id, chatGroups.xiaoquId))
    .where(eq(chatGroups.id, id))
  return row
}

type StaffActor = Actor & { kind: 'staff' }
interface Ctx {
  db: DbOrTx
  clock: { now(): Date }
}

/** Officers (and admins) act on groups in their scope; community workers and property staff only read. */
async function groupFor(db: DbOrTx, actor: StaffActor, id: number) {
  const [group] = await db.select().from(chatGroups).where(eq(chatGroups.id, id)).for('update')
  if (!group) throw notFound('groups.not_found', `没有编号为 ${id} 的群。`)
  assertRole(actor.staff, ['officer'])
  assertScope(actor.staff, group.scopePath)
  return group
}

/**
 * 解绑: the bot goes silent in the group and nothing more is sent there; what still waited for it is
 * dropped, since it was meant for a group that is no longer served.
 */
export async function unbindGroup(ctx: Ctx, actor: StaffActor, id: number, reason: string) {
  if (!reason.trim()) throw invalid('groups.reason_required', '解绑须写明原因。', { fields: ['reason'] })
  const group = await groupFor(ctx.db, actor, id)
  if (group.state !== 'active') {
    throw conflict('groups.not_active', `「${group.topic}」当前不是启用状态，无需解绑。`)
  }
  const now = ctx.clock.now()
  const [updated] = await ctx.db
    .update(chatGroups)
    .set({ state: 'unbound', stateChangedAt: now })
    .where(eq(chatGroups.id, id))
    .returning()
  const dropped = await dropPendingFor(ctx.db, group.roomId, groupText.unboundError)
  await recordAudit(ctx.db, {
    actor,
    action: 'group.unbind',
    entity: 'chat_group',
    entityId: id,
    before: { state: group.state },
    after: { state: 'unbound', reason, dropped },
    at: now,
  })
  return { group: updated!, dropped }
}

export interface RebindInput {
  reason?: string
  /** Admins only: the group now serves another xiaoqu. */
  xiaoquId?: number
  /** Admins only. */
  kind?: GroupKind
}

/** 重新启用: an unbound group is served again; a group the bot has left cannot be (it is not there). */
export async function rebindGroup(ctx: Ctx, actor: StaffActor, id: number, input: RebindInput) {
  const group = await groupFor(ctx.db, actor, id)
  if (group.state === 'left') {
    throw conflict(
      'groups.left',
      `机器人已不在「${group.topic}」里，无法重新启用。请先把机器人拉回群里，再在群里发 绑定小区 绑定码。`,
    )
  }
  const changes = input.xiaoquId !== undefined || input.kind !== undefined
  if (changes && actor.staff.role !== 'admin') {
    throw forbidden('groups.admin_only', '只有管理员可以更改群所属的小区或类型。')
  }
  if (group.state === 'active' && !changes) {
    throw conflict('groups.already_active', `「${group.topic}」已是启用状态。`)
  }
  const kind = input.kind ?? group.kind
  const xiaoquId = input.xiaoquId ?? group.xiaoquId
  if (kind !== 'officers' && !xiaoquId) {
    throw invalid('groups.xiaoqu_required', '居民群或楼栋群必须指定小区（xiaoquId）。', {
      fields: ['xiaoquId'],
    })
  }
  const scopePath =
    input.xiaoquId !== undefined ? await scopePathFor(ctx.db, { xiaoquId: input.xiaoquId }) : group.scopePath
  const now = ctx.clock.now()
  const [updated] = await ctx.db
    .update(chatGroups)
    .set({
      state: 'active',
      stateChangedAt: group.state === 'active' ? group.stateChangedAt : now,
      kind,
      xiaoquId,
      scopePath,
      // A building group moved to another xiaoqu no longer knows its building.
      buildingId: input.xiaoquId !== undefined && input.xiaoquId !== group.xiaoquId ? null : group.buildingId,
    })
    .where(eq(chatGroups.id, id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'group.rebind',
    entity: 'chat_group',
    entityId: id,
    before: { state: group.state, kind: group.kind, xiaoquId: group.xiaoquId },
    after: { state: 'active', kind, xiaoquId, reason: input.reason ?? null },
    at: now,
  })
  return updated!
}

export type { GroupRow }
