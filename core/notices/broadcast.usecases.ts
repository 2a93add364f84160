import { and, desc, eq, lte } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { areas, notices, outbox, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { batchSummary } from '../outbox/outbox.repository'
import { type Actor, assertRole, assertScope } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { AppError, conflict, invalid, notFound } from '../shared/errors'
import { formatShanghai } from '../shared/time'
import { assertAttachments } from './attachments'
import { countGroupsInScope, enqueueToScope } from './broadcast.repository'

type StaffActor = Actor & { kind: 'staff' }
type Ctx = Pick<Deps, 'clock' | 'config'> & { db: DbOrTx }
export type NoticeRow = typeof notices.$inferSelect

export const draftMinutes = 30
export const maxBroadcastLength = 2_000

/** Where a broadcast goes: a xiaoqu, an area, or (in chat) the sender's own scope. */
async function resolveTarget(db: DbOrTx, actor: StaffActor, target: { xiaoquId?: number; areaId?: number }) {
  if (target.xiaoquId) {
    const [row] = await db.select().from(xiaoqu).where(eq(xiaoqu.id, target.xiaoquId))
    if (!row) throw notFound('xiaoqu.not_found', `没有编号为 ${target.xiaoquId} 的小区。`)
    return { path: row.path, name: row.name }
  }
  const areaId = target.areaId
  if (areaId) {
    const [row] = await db.select().from(areas).where(eq(areas.id, areaId))
    if (!row) throw notFound('areas.not_found', `没有编号为 ${areaId} 的区域。`)
    return { path: row.path, name: row.name }
  }
  const own = actor.staff.scopePath
  if (!own)
    throw invalid('notices.scope_required', '请指定公告范围（xiaoquId 或 areaId）。', {
      fields: ['xiaoquId', 'areaId'],
    })
  const match = /x(\d+)\/$/.exec(own)
  if (match) return resolveTarget(db, actor, { xiaoquId: Number(match[1]) })
  return resolveTarget(db, actor, { areaId: Number(own.split('/').filter(Boolean).at(-1)) })
}

async function prepare(
  ctx: Ctx,
  actor: StaffActor,
  body: string,
  target: { xiaoquId?: number; areaId?: number },
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const text = body.trim()
  if (!text)
    throw invalid('notices.empty', '公告内容不能为空，请这样发：公告 明天上午9点小区停水，请提前储水。', {
      fields: ['text'],
    })
  if (text.length > maxBroadcastLength) {
    throw invalid('notices.too_long', `公告不超过 ${maxBroadcastLength} 字，请精简后再发。`, {
      fields: ['text'],
    })
  }
  const scope = await resolveTarget(ctx.db, actor, target)
  assertScope(actor.staff, scope.path)
  const groups = await countGroupsInScope(ctx.db, scope.path)
  if (groups === 0) {
    throw new AppError(
      'notices.no_groups',
      422,
      `${scope.name}还没有绑定任何居民群，公告发不出去。请先在群里用"绑定小区 绑定码"绑定。`,
      {
        scope: scope.name,
      },
    )
  }
  return { text, scope, groups }
}

/** Stores a broadcast (draft or scheduled) with its audit entry. */
async function insertBroadcast(
  ctx: Ctx,
  actor: StaffActor,
  action: string,
  prepared: Awaited<ReturnType<typeof prepare>>,
  values: Pick<
    typeof notices.$inferInsert,
    'status' | 'publishAt' | 'expiresAt' | 'urgent' | 'attachmentIds'
  >,
) {
  const now = ctx.clock.now()
  const [notice] = await ctx.db
    .insert(notices)
    .values({
      kind: 'broadcast',
      body: prepared.text,
      scopePath: prepared.scope.path,
      scopeName: prepared.scope.name,
      groupCount: prepared.groups,
      createdBy: actor.staff.id,
      createdAt: now,
      ...values,
    })
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action,
    entity: 'notice',
    entityId: notice!.number,
    after: notice,
    at: now,
  })
  return notice!
}

/** `公告 <内容>` in a private chat: a draft to the sender's scope, sent only after 确认. */
export async function draftBroadcast(ctx: Ctx, actor: StaffActor, body: string) {
  const now = ctx.clock.now()
  const { text, scope, groups } = await prepare(ctx, actor, body, {})
  // A newer draft replaces an older one: 确认 confirms what was said last.
  await ctx.db
    .update(notices)
    .set({ status: 'expired' })
    .where(and(eq(notices.createdBy, actor.staff.id), eq(notices.status, 'draft')))
  const notice = await insertBroadcast(
    ctx,
    actor,
    'notice.draft',
    { text, scope, groups },
    {
      status: 'draft',
      publishAt: now,
      expiresAt: new Date(now.getTime() + draftMinutes * 60_000),
    },
  )
  return { notice, groups }
}

/** `确认`: publishes the sender's live draft. */
export async function confirmDraft(ctx: Ctx, actor: StaffActor) {
  const now = ctx.clock.now()
  const [draft] = await ctx.db
    .select()
    .from(notices)
    .where(and(eq(notices.createdBy, actor.staff.id), eq(notices.status, 'draft')))
    .orderBy(desc(notices.id))
    .limit(1)
    .for('update')
  if (!draft || (draft.expiresAt && draft.expiresAt <= now)) {
    throw new AppError(
      'notices.no_draft',
      409,
      `没有待确认的公告（草稿 ${draftMinutes} 分钟内有效）。请重新发送"公告 内容"。`,
    )
  }
  return publish(ctx, actor, draft)
}

export interface CreateBroadcastInput {
  text: string
  xiaoquId?: number
  areaId?: number
  publishAt?: Date
  urgent?: boolean
  attachmentIds?: number[]
}

/** A broadcast from the API: published now, or scheduled for `publishAt`. */
export async function createBroadcast(ctx: Ctx, actor: StaffActor, input: CreateBroadcastInput) {
  const now = ctx.clock.now()
  const { text, scope, groups } = await prepare(ctx, actor, input.text, input)
  await assertAttachments(ctx.db, input.attachmentIds ?? [], actor, scope.path)
  const publishAt = input.publishAt && input.publishAt > now ? input.publishAt : now
  const notice = await insertBroadcast(
    ctx,
    actor,
    'notice.create',
    { text, scope, groups },
    {
      status: 'scheduled',
      urgent: input.urgent ? 1 : 0,
      attachmentIds: input.attachmentIds ?? [],
      publishAt,
    },
  )
  return publishAt <= now ? publish(ctx, actor, notice) : notice
}

/**
 * What `createBroadcast` would send, checked as it checks (role, text, scope, bound groups, attachments) and
 * written nowhere: the console's preview before 发送.
 */
export async function previewBroadcast(
  ctx: Ctx,
  actor: StaffActor,
  input: Pick<CreateBroadcastInput, 'text' | 'xiaoquId' | 'areaId' | 'attachmentIds'>,
) {
  const { text, scope, groups } = await prepare(ctx, actor, input.text, input)
  await assertAttachments(ctx.db, input.attachmentIds ?? [], actor, scope.path)
  return { text: broadcastText({ body: text, scopeName: scope.name }), scope, groups }
}

/** The text the groups receive (the console's preview renders it from the form too). */
export const broadcastText = (notice: Pick<NoticeRow, 'body' | 'scopeName'>) =>
  `【公告】${notice.body}\n——${notice.scopeName}`

/** Enqueues the notice to its scope's groups and marks it published; a second call sends nothing more. */
async function publish(ctx: Ctx, actor: Actor, notice: NoticeRow) {
  const now = ctx.clock.now()
  const written = await enqueueToScope(ctx.db, {
    scopePath: notice.scopePath,
    text: broadcastText(notice),
    dedupeKey: `notice:${notice.number}:publish`,
    batch: `notice:${notice.number}`,
    priority: notice.urgent ? 'urgent' : 'normal',
    notBefore: now,
    maxChars: ctx.config.send.maxChars,
    attachmentIds: notice.attachmentIds,
  })
  const [published] = await ctx.db
    .update(notices)
    .set({ status: 'published', publishedAt: now, groupCount: notice.groupCount })
    .where(eq(notices.id, notice.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'notice.publish',
    entity: 'notice',
    entityId: notice.number,
    after: { messages: written },
    at: now,
  })
  return published!
}

/** The job: publishes scheduled notices that are due. Rows are claimed, so two instances share the work. */
export async function publishDueNotices(ctx: Ctx) {
  const now = ctx.clock.now()
  const due = await ctx.db
    .select()
    .from(notices)
    .where(and(eq(notices.status, 'scheduled'), lte(notices.publishAt, now)))
    .orderBy(notices.publishAt)
    .limit(50)
    .for('update', { skipLocked: true })
  for (const notice of due) await publish(ctx, { kind: 'system' }, notice)
  return due.length
}

/** The job: drafts nobody confirmed in time expire. */
export async function expireDrafts(ctx: Ctx) {
  const expired = await ctx.db
    .update(notices)
    .set({ status: 'expired' })
    .where(and(eq(notices.status, 'draft'), lte(notices.expiresAt, ctx.clock.now())))
    .returning({ id: notices.id })
  return expired.length
}

export async function findNotice(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(notices).where(eq(notices.number, number.toUpperCase()))
  const [row] = forUpdate ? await query.for('update') : await query
  if (!row) throw notFound('notices.not_found', `没有找到公告 ${number}。公告编号形如 B12。`)
  return row
}

/** Cancels a notice that has not gone out: a scheduled one, or the still-unsent rest of a published one. */
export async function cancelNotice(ctx: Ctx, actor: StaffActor, number: string) {
  const now = ctx.clock.now()
  // Locked: the publishing job holds the same row, so a cancel waits for it and then sees its rows.
  const notice = await findNotice(ctx.db, number, true)
  assertRole(actor.staff, ['officer', 'community_worker'])
  assertScope(actor.staff, notice.scopePath)
  if (notice.status !== 'scheduled' && notice.status !== 'published') {
    throw conflict('notices.not_cancellable', `公告 ${notice.number} 当前状态为 ${notice.status}，不能撤回。`)
  }
  const dropped = await ctx.db
    .update(outbox)
    .set({ status: 'dropped' })
    .where(and(eq(outbox.batch, `notice:${notice.number}`), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id })
  if (notice.status === 'published' && dropped.length === 0) {
    throw conflict(
      'notices.already_sent',
      `公告 ${notice.number} 已于 ${formatShanghai(notice.publishedAt!)} 全部发出，无法撤回。`,
    )
  }
  const [cancelled] = await ctx.db
    .update(notices)
    .set({ status: 'cancelled', cancelledAt: now })
    .where(eq(notices.id, notice.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'notice.cancel',
    entity: 'notice',
    entityId: notice.number,
    after: { droppedMessages: dropped.length },
    at: now,
  })
  return { notice: cancelled!, droppedMessages: dropped.length }
}

/** Sent / pending / failed / uncertain, in total and per group. */
export const noticeProgress = (db: DbOrTx, notice: NoticeRow) => batchSummary(db, `notice:${notice.number}`)
