import { and, asc, count, eq, isNull, lte } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { publicities, publicityFeedback, residents, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import type { Classifier } from '../classify/classifier'
import { findProject, onPublicityClosed } from '../projects/projects.usecases'
import { type Actor, assertRole, assertScope, type ResidentRow, type StaffRow } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { AppError, conflict, invalid, notFound } from '../shared/errors'
import { formatShanghai } from '../shared/time'
import { assertAttachments } from './attachments'
import { enqueueToScope } from './broadcast.repository'

type StaffActor = Actor & { kind: 'staff' }
type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }
export type PublicityRow = typeof publicities.$inferSelect

const day = 86_400_000

export interface CreatePublicityInput {
  xiaoquId: number
  title: string
  body: string
  opensAt: Date
  closesAt: Date
  review?: { reviewedBy: string; reviewedAt?: Date }
  /** Design drawings (PNG, JPEG, PDF) uploaded beforehand. */
  attachmentIds?: number[]
  /** The renovation project whose design this is: its closing makes the project's 汇总公示意见 task. */
  projectNumber?: string
}

/** A design publicity for a xiaoqu; a draft until the planner's review is recorded and it is published. */
export async function createPublicity(ctx: Ctx, actor: StaffActor, input: CreatePublicityInput) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const now = ctx.clock.now()
  if (input.closesAt <= input.opensAt) {
    throw invalid('publicity.close_before_open', '公示结束时间必须晚于开始时间。', { fields: ['closesAt'] })
  }
  const minDays = ctx.config.publicityMinDays
  if (input.closesAt.getTime() - input.opensAt.getTime() < minDays * day) {
    throw invalid('publicity.too_short', `公示期不少于 ${minDays} 天，请推后结束时间。`, {
      fields: ['closesAt'],
      minDays,
    })
  }
  const [place] = await ctx.db.select().from(xiaoqu).where(eq(xiaoqu.id, input.xiaoquId))
  if (!place) throw notFound('xiaoqu.not_found', `没有编号为 ${input.xiaoquId} 的小区。`)
  assertScope(actor.staff, place.path)
  await assertAttachments(ctx.db, input.attachmentIds ?? [], actor, place.path)
  const project = input.projectNumber ? await findProject(ctx.db, input.projectNumber) : undefined
  if (project && project.xiaoquId !== place.id) {
    throw invalid(
      'publicity.project_elsewhere',
      `项目 ${project.number} 不属于该小区，请核对小区或项目编号。`,
    )
  }
  const [row] = await ctx.db
    .insert(publicities)
    .values({
      xiaoquId: place.id,
      projectId: project?.id ?? null,
      title: input.title,
      body: input.body,
      opensAt: input.opensAt,
      closesAt: input.closesAt,
      reviewedBy: input.review?.reviewedBy ?? null,
      reviewedAt: input.review ? (input.review.reviewedAt ?? now) : null,
      attachmentIds: input.attachmentIds ?? [],
      createdBy: actor.staff.id,
      createdAt: now,
    })
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'publicity.create',
    entity: 'publicity',
    entityId: row!.number,
    after: row,
    at: now,
  })
  return row!
}

export async function findPublicity(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(publicities).where(eq(publicities.number, number.toUpperCase()))
  const [row] = forUpdate ? await query.for('update') : await query
  if (!row) throw notFound('publicity.not_found', `没有找到公示 ${number}。公示编号形如 G12。`)
  return row
}

async function loadForStaff(ctx: Ctx, actor: StaffActor, number: string) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const row = await findPublicity(ctx.db, number, true)
  const [place] = await ctx.db.select().from(xiaoqu).where(eq(xiaoqu.id, row.xiaoquId))
  assertScope(actor.staff, place?.path)
  return { row, place: place! }
}

/** 责任规划师审查: records who reviewed the design and when. */
export async function recordReview(
  ctx: Ctx,
  actor: StaffActor,
  number: string,
  review: { reviewedBy: string; reviewedAt?: Date },
) {
  const { row } = await loadForStaff(ctx, actor, number)
  if (row.status !== 'draft')
    throw conflict('publicity.not_draft', `公示 ${row.number} 已发布，审查意见须在发布前记录。`)
  const now = ctx.clock.now()
  const [updated] = await ctx.db
    .update(publicities)
    .set({ reviewedBy: review.reviewedBy, reviewedAt: review.reviewedAt ?? now })
    .where(eq(publicities.id, row.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'publicity.review',
    entity: 'publicity',
    entityId: row.number,
    before: { reviewedBy: row.reviewedBy },
    after: { reviewedBy: updated!.reviewedBy, reviewedAt: updated!.reviewedAt },
    at: now,
  })
  return updated!
}

/** Schedules the publicity to open at its time; refused without the planner's review. */
export async function publishPublicity(ctx: Ctx, actor: StaffActor, number: string) {
  const { row } = await loadForStaff(ctx, actor, number)
  if (row.status !== 'draft') throw conflict('publicity.not_draft', `公示 ${row.number} 已经发布过。`)
  if (!row.reviewedBy || !row.reviewedAt) {
    throw conflict(
      'publicity.review_required',
      `公示 ${row.number} 还没有责任规划师的审查记录，不能发布。请先记录审查人和审查时间。`,
    )
  }
  const now = ctx.clock.now()
  if (row.closesAt <= now)
    throw conflict('publicity.already_over', `公示 ${row.number} 的结束时间已过，请修改时间后重新创建。`)
  const [updated] = await ctx.db
    .update(publicities)
    .set({ status: 'scheduled' })
    .where(eq(publicities.id, row.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'publicity.publish',
    entity: 'publicity',
    entityId: row.number,
    after: { status: 'scheduled' },
    at: now,
  })
  return updated!
}

export async function cancelPublicity(ctx: Ctx, actor: StaffActor, number: string) {
  const { row } = await loadForStaff(ctx, actor, number)
  if (row.status !== 'draft' && row.status !== 'scheduled') {
    throw conflict('publicity.not_cancellable', `公示 ${row.number} 已开始，不能撤回。`)
  }
  const [updated] = await ctx.db
    .update(publicities)
    .set({ status: 'cancelled' })
    .where(eq(publicities.id, row.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'publicity.cancel',
    entity: 'publicity',
    entityId: row.number,
    at: ctx.clock.now(),
  })
  return updated!
}

/** The opening post (the console previews it before publishing). */
export const openText = (
  p: Pick<PublicityRow, 'number' | 'title' | 'body' | 'opensAt' | 'closesAt' | 'reviewedBy'>,
  placeName: string,
) =>
  [
    `【设计方案公示 ${p.number}】${placeName}：${p.title}`,
    p.body,
    `公示期：${formatShanghai(p.opensAt)} 至 ${formatShanghai(p.closesAt)}（责任规划师 ${p.reviewedBy} 已审查）。`,
    `对方案有意见，请发"意见 ${p.number} 您的意见"（群里或私聊我都可以）。`,
  ].join('\n')

const halfwayText = (p: PublicityRow, received: number) =>
  `【公示提醒】${p.title}（${p.number}）公示将于 ${formatShanghai(p.closesAt)} 结束，已收到 ${received} 条意见。还有意见请发"意见 ${p.number} 您的意见"。`

const closeText = (p: PublicityRow, summary: NonNullable<PublicityRow['summary']>) =>
  [
    `【公示结束 ${p.number}】${p.title} 公示期已结束，共收到 ${summary.count} 条意见。`,
    summary.themes.length > 0
      ? `主要涉及：${summary.themes.map((t) => `${t.category} ${t.count} 条`).join('、')}。`
      : '',
    '意见将汇总后反馈设计单位，感谢大家参与。',
  ]
    .filter(Boolean)
    .join('\n')

async function post(
  ctx: Ctx,
  p: PublicityRow,
  placePath: string,
  stage: string,
  text: string,
  withFiles = false,
) {
  const now = ctx.clock.now()
  return enqueueToScope(ctx.db, {
    scopePath: placePath,
    text,
    dedupeKey: `publicity:${p.number}:${stage}`,
    batch: `publicity:${p.number}:${stage}`,
    priority: 'normal',
    notBefore: now,
    maxChars: ctx.config.send.maxChars,
    attachmentIds: withFiles ? p.attachmentIds : [],
  })
}

/**
 * The job's work: open due publicities, remind halfway, close finished ones with a summary. Each step
 * moves a row's state under a row lock (SKIP LOCKED), and posts carry dedupe keys: running it twice, or
 * on two instances, posts each thing once.
 */
export async function advancePublicities(ctx: Ctx & { classifier: Classifier }) {
  const now = ctx.clock.now()
  const due = await ctx.db
    .select({ p: publicities, placeName: xiaoqu.name, placePath: xiaoqu.path })
    .from(publicities)
    .innerJoin(xiaoqu, eq(xiaoqu.id, publicities.xiaoquId))
    .where(and(eq(publicities.status, 'scheduled'), lte(publicities.opensAt, now)))
    .for('update', { of: publicities, skipLocked: true })
  for (const { p, placeName, placePath } of due) {
    await post(ctx, p, placePath, 'open', openText(p, placeName), true)
    await ctx.db.update(publicities).set({ status: 'open', openedAt: now }).where(eq(publicities.id, p.id))
  }
  const open = await ctx.db
    .select({ p: publicities, placePath: xiaoqu.path })
    .from(publicities)
    .innerJoin(xiaoqu, eq(xiaoqu.id, publicities.xiaoquId))
    .where(eq(publicities.status, 'open'))
    .for('update', { of: publicities, skipLocked: true })
  let changed = due.length
  for (const { p, placePath } of open) {
    if (now >= p.closesAt) {
      const summary = await summarize(ctx, p.id)
      await post(ctx, p, placePath, 'close', closeText(p, summary))
      await ctx.db
        .update(publicities)
        .set({ status: 'closed', closedAt: now, summary })
        .where(eq(publicities.id, p.id))
      if (p.projectId) await onPublicityClosed(ctx, p.projectId)
      changed++
    } else if (!p.halfwayAt && now.getTime() >= (p.opensAt.getTime() + p.closesAt.getTime()) / 2) {
      const received = await feedbackCount(ctx.db, p.id)
      await post(ctx, p, placePath, 'halfway', halfwayText(p, received))
      await ctx.db
        .update(publicities)
        .set({ halfwayAt: now })
        .where(and(eq(publicities.id, p.id), isNull(publicities.halfwayAt)))
      changed++
    }
  }
  return changed
}

async function feedbackCount(db: DbOrTx, publicityId: number) {
  const [row] = await db
    .select({ n: count() })
    .from(publicityFeedback)
    .where(eq(publicityFeedback.publicityId, publicityId))
  return Number(row?.n ?? 0)
}

/** The count and the themes (by everyday category) of the feedback. */
async function summarize(ctx: Ctx, publicityId: number) {
  const rows = await ctx.db
    .select({ category: publicityFeedback.category })
    .from(publicityFeedback)
    .where(eq(publicityFeedback.publicityId, publicityId))
  const themes = new Map<string, number>()
  for (const r of rows) themes.set(r.category, (themes.get(r.category) ?? 0) + 1)
  return {
    count: rows.length,
    themes: [...themes].map(([category, n]) => ({ category, count: n })).sort((a, b) => b.count - a.count),
  }
}

/** `意见 G12 <内容>`: stored while the publicity is open, otherwise refused with when it opens or closed. */
export async function giveFeedback(
  ctx: Ctx & { classifier: Classifier },
  resident: ResidentRow,
  input: { number: string; text: string; roomId?: string },
) {
  const p = await findPublicity(ctx.db, input.number)
  const now = ctx.clock.now()
  if (p.status === 'closed' || (p.status === 'open' && now >= p.closesAt)) {
    throw new AppError(
      'publicity.closed',
      409,
      `公示 ${p.number} 已于 ${formatShanghai(p.closedAt ?? p.closesAt)} 结束，不再收集意见。`,
    )
  }
  if (p.status !== 'open') {
    const when = p.status === 'scheduled' ? `将于 ${formatShanghai(p.opensAt)} 开始` : '尚未开始'
    throw new AppError('publicity.not_open', 409, `公示 ${p.number} ${when}，开始后才能提意见。`)
  }
  const text = input.text.trim()
  if (!text)
    throw invalid(
      'publicity.empty_feedback',
      `请写上您的意见，例如："意见 ${p.number} 希望保留楼下的晾衣架"。`,
    )
  await ctx.db.insert(publicityFeedback).values({
    publicityId: p.id,
    residentId: resident.id,
    text: text.slice(0, 2_000),
    category: ctx.classifier.classify(text).category,
    roomId: input.roomId ?? null,
    at: now,
  })
  return { publicity: p, received: await feedbackCount(ctx.db, p.id) }
}

/**
 * Residents' feedback, oldest first. Residents' names are for the officers and community workers who run the
 * publicity (and admins); property staff read what was said, not who said it (`name` is null).
 */
export async function listFeedback(db: DbOrTx, viewer: StaffRow, publicityId: number) {
  const rows = await db
    .select({
      id: publicityFeedback.id,
      name: residents.name,
      text: publicityFeedback.text,
      category: publicityFeedback.category,
      at: publicityFeedback.at,
    })
    .from(publicityFeedback)
    .innerJoin(residents, eq(residents.id, publicityFeedback.residentId))
    .where(eq(publicityFeedback.publicityId, publicityId))
    .orderBy(asc(publicityFeedback.id))
  return seesFeedbackNames(viewer) ? rows : rows.map((r) => ({ ...r, name: null }))
}

export const seesFeedbackNames = (viewer: StaffRow) => viewer.role !== 'property_staff'
