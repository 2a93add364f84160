import { and, asc, eq, inArray, or } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { organisations, staff, taskEvents, tasks, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { snoozeWatches, syncWatches } from '../nudges/watches'
import { enqueueMessages } from '../outbox/outbox.repository'
import { type Actor, assertRole, assertScope, type StaffRow } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { AppError, forbidden, invalid, notFound } from '../shared/errors'
import { formatShanghai } from '../shared/time'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }
type StaffActor = Actor & { kind: 'staff' }
export type TaskRow = typeof tasks.$inferSelect
type XiaoquRow = typeof xiaoqu.$inferSelect

export const taskStatusNames: Record<TaskRow['status'], string> = {
  open: '进行中',
  done: '已完成',
  cancelled: '已取消',
}

export interface NewTaskInput {
  xiaoquId: number
  projectId?: number | null
  title: string
  detail?: string | null
  ownerStaffId?: number | null
  ownerOrgId?: number | null
  dueAt?: Date | null
  remindAt?: Date | null
  urgent?: boolean
  stage?: TaskRow['stage']
  templateKey?: string | null
}

/** Keeps the nudge engine in step with a task. */
async function watchTask(ctx: Ctx, task: TaskRow, place: XiaoquRow) {
  await syncWatches(
    ctx.db,
    ctx,
    [
      {
        itemKind: 'task',
        itemId: task.id,
        label: `任务 ${task.number}「${task.title}」`,
        ref: task.number,
        scopePath: place.path,
        placeName: place.name,
        ownerStaffId: task.ownerStaffId,
        ownerOrgId: task.ownerOrgId,
        dueAt: task.dueAt,
        remindAt: task.remindAt,
        urgent: task.urgent,
        closed: task.status !== 'open',
      },
    ],
    ctx.clock.now(),
  )
}

async function loadXiaoqu(db: DbOrTx, id: number) {
  const [place] = await db.select().from(xiaoqu).where(eq(xiaoqu.id, id))
  if (!place) throw notFound('tasks.xiaoqu_not_found', `没有编号为 ${id} 的小区。`)
  return place
}

/**
 * Creates a task with one owner and a due time, watched by the nudge engine from then on, and tells its
 * owner. Template tasks (a stage's) are made once per project: a second attempt returns nothing.
 */
export async function createTask(ctx: Ctx, actor: Actor, input: NewTaskInput) {
  const title = input.title.trim()
  if (!title) throw invalid('tasks.title_required', '请填写任务名称。')
  if (!input.ownerStaffId === !input.ownerOrgId) {
    throw invalid(
      'tasks.owner_required',
      '任务须有且只有一个负责方：请指定负责人（ownerStaffId）或负责单位（ownerOrgId）。',
    )
  }
  if (!input.dueAt)
    throw invalid('tasks.due_required', '任务须有完成时限（dueAt），例如 2026-03-20T18:00:00+08:00。')
  const now = ctx.clock.now()
  const place = await loadXiaoqu(ctx.db, input.xiaoquId)
  if (actor.kind === 'staff') {
    assertRole(actor.staff, ['officer', 'community_worker'])
    assertScope(actor.staff, place.path)
  }
  let owner: StaffRow | undefined
  if (input.ownerStaffId) {
    ;[owner] = await ctx.db.select().from(staff).where(eq(staff.id, input.ownerStaffId))
    if (!owner?.active) throw invalid('tasks.owner_unknown', `负责人 ${input.ownerStaffId} 不存在或已停用。`)
  }
  if (input.ownerOrgId) {
    const [org] = await ctx.db.select().from(organisations).where(eq(organisations.id, input.ownerOrgId))
    if (!org) throw invalid('tasks.owner_unknown', `负责单位 ${input.ownerOrgId} 不存在。`)
  }
  const [task] = await ctx.db
    .insert(tasks)
    .values({
      xiaoquId: place.id,
      projectId: input.projectId ?? null,
      title,
      detail: input.detail?.trim() || null,
      stage: input.stage ?? null,
      templateKey: input.templateKey ?? null,
      ownerStaffId: input.ownerStaffId ?? null,
      ownerOrgId: input.ownerOrgId ?? null,
      dueAt: input.dueAt,
      remindAt: input.remindAt ?? null,
      urgent: input.urgent ?? false,
      createdBy: actor.kind === 'staff' ? actor.staff.id : null,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning()
  if (!task) return undefined
  await addEvent(ctx, task, actor, 'created', null, { dueAt: task.dueAt })
  await watchTask(ctx, task, place)
  if (actor.kind === 'staff') {
    await recordAudit(ctx.db, {
      actor,
      action: 'task.create',
      entity: 'task',
      entityId: task.number,
      after: task,
      at: now,
    })
  }
  if (owner?.wechatId) {
    await enqueueMessages(
      ctx.db,
      [
        {
          conversationId: owner.wechatId,
          isRoom: false,
          text: `【新任务】${task.number}「${task.title}」${place.name}\n完成时限：${formatShanghai(task.dueAt)}。完成后发"完成 ${task.number}"。`,
          dedupeKey: `task:${task.number}:created`,
        },
      ],
      now,
      { maxChars: ctx.config.send.maxChars },
    )
  }
  return task
}

async function addEvent(
  ctx: Ctx,
  task: TaskRow,
  actor: Actor,
  kind: (typeof taskEvents.$inferInsert)['kind'],
  note: string | null,
  data?: unknown,
) {
  await ctx.db.insert(taskEvents).values({
    taskId: task.id,
    kind,
    actorStaffId: actor.kind === 'staff' ? actor.staff.id : null,
    actorName: actor.kind === 'staff' ? actor.staff.name : '系统',
    note,
    data: data ?? null,
    at: ctx.clock.now(),
  })
}

export async function findTask(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(tasks).where(eq(tasks.number, number.toUpperCase()))
  const [task] = forUpdate ? await query.for('update') : await query
  if (!task)
    throw notFound(
      'tasks.not_found',
      `没有找到任务 ${number}，请核对编号（如 T12），或发"待办"查看您的任务。`,
    )
  return task
}

/** Whether `boss` is somewhere above `person` (their supervisor, or that one's, …). */
async function isAbove(db: DbOrTx, boss: StaffRow, person: number | null) {
  let current = person
  for (let hops = 0; current && hops < 8; hops++) {
    const [row] = await db
      .select({ supervisorId: staff.supervisorId })
      .from(staff)
      .where(eq(staff.id, current))
    if (!row?.supervisorId) return false
    if (row.supervisorId === boss.id) return true
    current = row.supervisorId
  }
  return false
}

/** Who may complete, extend or snooze a task: its owner, a member of the owning organisation, a supervisor above the owner, an admin. */
async function assertMayAct(ctx: Ctx, actor: StaffActor, task: TaskRow, verb: string) {
  const me = actor.staff
  if (me.role === 'admin') return
  if (task.ownerStaffId === me.id) return
  if (task.ownerOrgId && me.organisationId === task.ownerOrgId) return
  if (task.ownerStaffId && (await isAbove(ctx.db, me, task.ownerStaffId))) return
  throw forbidden(
    'tasks.not_yours',
    `任务 ${task.number} 不是您负责的，不能${verb}。请由负责人或其上级办理。`,
  )
}

export async function completeTask(ctx: Ctx, actor: StaffActor, number: string, note?: string) {
  const task = await findTask(ctx.db, number, true)
  await assertMayAct(ctx, actor, task, '标记完成')
  if (task.status !== 'open') {
    throw new AppError(
      'tasks.not_open',
      409,
      `任务 ${task.number} ${taskStatusNames[task.status]}，不需要再完成。`,
    )
  }
  const now = ctx.clock.now()
  const [updated] = await ctx.db
    .update(tasks)
    .set({
      status: 'done',
      completedAt: now,
      completedBy: actor.staff.id,
      completionNote: note?.trim() || null,
    })
    .where(eq(tasks.id, task.id))
    .returning()
  await addEvent(ctx, task, actor, 'completed', note?.trim() || null)
  await watchTask(ctx, updated!, await loadXiaoqu(ctx.db, task.xiaoquId))
  await recordAudit(ctx.db, {
    actor,
    action: 'task.complete',
    entity: 'task',
    entityId: task.number,
    before: { status: task.status },
    after: { status: 'done', note: note?.trim() || null },
    at: now,
  })
  return updated!
}

/**
 * 延期 (a new due time) or 暂缓提醒 (no nudges until a time): either needs a reason and is audited.
 * A new due time restarts the ladder; rungs already sent are not sent again.
 */
export async function extendTask(
  ctx: Ctx,
  actor: StaffActor,
  number: string,
  change: { dueAt?: Date; snoozeUntil?: Date; reason: string },
) {
  const reason = change.reason.trim()
  if (!reason) throw invalid('tasks.reason_required', '延期或暂缓提醒须写明原因。')
  if (!change.dueAt && !change.snoozeUntil) {
    throw invalid('tasks.nothing_to_change', '请给出新的完成时限（dueAt）或暂缓提醒到的时间（snoozeUntil）。')
  }
  const task = await findTask(ctx.db, number, true)
  await assertMayAct(ctx, actor, task, '延期')
  if (task.status !== 'open') {
    throw new AppError(
      'tasks.not_open',
      409,
      `任务 ${task.number} ${taskStatusNames[task.status]}，不能延期。`,
    )
  }
  const now = ctx.clock.now()
  for (const at of [change.dueAt, change.snoozeUntil]) {
    if (at && at <= now) throw invalid('tasks.time_in_past', '新的时间必须晚于现在。')
  }
  let updated = task
  if (change.dueAt) {
    // A reminder keeps its distance from the deadline.
    const remindAt = task.remindAt
      ? new Date(change.dueAt.getTime() - (task.dueAt.getTime() - task.remindAt.getTime()))
      : null
    ;[updated] = (await ctx.db
      .update(tasks)
      .set({ dueAt: change.dueAt, remindAt })
      .where(eq(tasks.id, task.id))
      .returning()) as [TaskRow]
    await watchTask(ctx, updated, await loadXiaoqu(ctx.db, task.xiaoquId))
  }
  if (change.snoozeUntil) await snoozeWatches(ctx.db, ctx, ['task'], task.id, change.snoozeUntil)
  const after = { dueAt: updated.dueAt, snoozeUntil: change.snoozeUntil ?? null, reason }
  await addEvent(ctx, task, actor, change.dueAt ? 'extended' : 'snoozed', reason, after)
  await recordAudit(ctx.db, {
    actor,
    action: change.dueAt ? 'task.extend' : 'task.snooze',
    entity: 'task',
    entityId: task.number,
    before: { dueAt: task.dueAt },
    after,
    at: now,
  })
  return updated
}

/** Cancels open tasks (a project moved on by override); their clocks stop. */
export async function cancelTasks(ctx: Ctx, actor: Actor, rows: readonly TaskRow[], reason: string) {
  for (const task of rows) {
    const [updated] = await ctx.db
      .update(tasks)
      .set({ status: 'cancelled' })
      .where(and(eq(tasks.id, task.id), eq(tasks.status, 'open')))
      .returning()
    if (!updated) continue
    await addEvent(ctx, task, actor, 'cancelled', reason)
    await watchTask(ctx, updated, await loadXiaoqu(ctx.db, task.xiaoquId))
  }
}

/** 待办: open tasks owned by the person or their organisation, earliest due first. */
export function openTasksOf(db: DbOrTx, person: StaffRow, limit: number) {
  return db
    .select({ task: tasks, xiaoquName: xiaoqu.name })
    .from(tasks)
    .innerJoin(xiaoqu, eq(xiaoqu.id, tasks.xiaoquId))
    .where(
      and(
        eq(tasks.status, 'open'),
        or(
          eq(tasks.ownerStaffId, person.id),
          person.organisationId ? eq(tasks.ownerOrgId, person.organisationId) : undefined,
        ),
      ),
    )
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(limit)
}

export async function taskHistory(db: DbOrTx, taskId: number) {
  return db.select().from(taskEvents).where(eq(taskEvents.taskId, taskId)).orderBy(asc(taskEvents.id))
}

export function tasksOfProject(db: DbOrTx, projectIds: readonly number[]) {
  if (projectIds.length === 0) return Promise.resolve([] as TaskRow[])
  return db
    .select()
    .from(tasks)
    .where(inArray(tasks.projectId, [...projectIds]))
    .orderBy(asc(tasks.id))
}
