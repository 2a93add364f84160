import { and, eq, gt, like, lte } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { feeNotices, outbox, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole, assertScope } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { conflict, invalid, notFound } from '../shared/errors'
import { formatShanghai } from '../shared/time'
import { fromShanghai, shanghaiDate } from '../sla/calendar'
import { enqueueToScope } from './broadcast.repository'

type StaffActor = Actor & { kind: 'staff' }
type Ctx = Pick<Deps, 'clock' | 'config'> & { db: DbOrTx }
export type FeeNoticeRow = typeof feeNotices.$inferSelect

export interface FeeNoticeInput {
  xiaoquId: number
  period: string
  standardFen: number
  deadline: Date
  howToPay: string
  contact: string
  publishAt?: Date
}

const yuan = (fen: number) => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`

/** 物业费 notices come from property staff, for the xiaoqu they serve (their scope), or officers. */
export async function createFeeNotice(ctx: Ctx, actor: StaffActor, input: FeeNoticeInput) {
  assertRole(actor.staff, ['property_staff', 'officer'])
  const [place] = await ctx.db.select().from(xiaoqu).where(eq(xiaoqu.id, input.xiaoquId))
  if (!place) throw notFound('xiaoqu.not_found', `没有编号为 ${input.xiaoquId} 的小区。`)
  assertScope(actor.staff, place.path)
  const now = ctx.clock.now()
  const publishAt = input.publishAt && input.publishAt > now ? input.publishAt : now
  if (input.deadline <= publishAt) {
    throw invalid('fee.deadline_passed', '缴费截止时间必须晚于发布时间。', { fields: ['deadline'] })
  }
  const [row] = await ctx.db
    .insert(feeNotices)
    .values({
      ...input,
      xiaoquId: place.id,
      status: 'scheduled',
      publishAt,
      createdBy: actor.staff.id,
      createdAt: now,
    })
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'fee.create',
    entity: 'fee_notice',
    entityId: row!.number,
    after: row,
    at: now,
  })
  if (publishAt > now) return row!
  await advanceFeeNotices(ctx, row!.id)
  return findFeeNotice(ctx.db, row!.number)
}

export async function findFeeNotice(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(feeNotices).where(eq(feeNotices.number, number.toUpperCase()))
  const [row] = forUpdate ? await query.for('update') : await query
  if (!row) throw notFound('fee.not_found', `没有找到缴费通知 ${number}。编号形如 F2。`)
  return row
}

export async function cancelFeeNotice(ctx: Ctx, actor: StaffActor, number: string) {
  const row = await findFeeNotice(ctx.db, number, true)
  const [place] = await ctx.db.select().from(xiaoqu).where(eq(xiaoqu.id, row.xiaoquId))
  assertRole(actor.staff, ['property_staff', 'officer'])
  assertScope(actor.staff, place?.path)
  if (row.status === 'cancelled') throw conflict('fee.cancelled', `缴费通知 ${row.number} 已撤回。`)
  // What is still queued (held by quiet hours or pacing) does not go out either.
  await ctx.db
    .update(outbox)
    .set({ status: 'dropped' })
    .where(and(like(outbox.batch, `fee:${row.number}:%`), eq(outbox.status, 'pending')))
  const [updated] = await ctx.db
    .update(feeNotices)
    .set({ status: 'cancelled' })
    .where(eq(feeNotices.id, row.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'fee.cancel',
    entity: 'fee_notice',
    entityId: row.number,
    at: ctx.clock.now(),
  })
  return updated!
}

/** The notice the groups receive (the console previews it before sending). */
export const feeText = (
  f: Pick<FeeNoticeRow, 'number' | 'period' | 'standardFen' | 'deadline' | 'howToPay' | 'contact'>,
  placeName: string,
) =>
  [
    `【物业费缴纳通知 ${f.number}】${placeName} ${f.period}`,
    `收费标准：${yuan(f.standardFen)} 元/㎡/月`,
    `截止时间：${formatShanghai(f.deadline)}`,
    `缴费方式：${f.howToPay}`,
    `联系方式：${f.contact}`,
  ].join('\n')

/** When the reminder `days` before the deadline goes out: 09:00 Shanghai on that day. */
export const reminderAt = (deadline: Date, days: number) =>
  fromShanghai(shanghaiDate(new Date(deadline.getTime() - days * 86_400_000)), 9)

/**
 * The job's work: publish due fee notices, then send each reminder whose time has come, only if it falls
 * after publication and before the deadline. Dedupe keys make every post happen once.
 */
export async function advanceFeeNotices(ctx: Ctx, onlyId?: number) {
  const now = ctx.clock.now()
  const rows = await ctx.db
    .select({ fee: feeNotices, placeName: xiaoqu.name, placePath: xiaoqu.path })
    .from(feeNotices)
    .innerJoin(xiaoqu, eq(xiaoqu.id, feeNotices.xiaoquId))
    .where(
      and(
        onlyId ? eq(feeNotices.id, onlyId) : undefined,
        lte(feeNotices.publishAt, now),
        gt(feeNotices.deadline, now),
      ),
    )
    .for('update', { of: feeNotices, skipLocked: true })
  let written = 0
  const post = (fee: FeeNoticeRow, path: string, stage: string, text: string) =>
    enqueueToScope(ctx.db, {
      scopePath: path,
      text,
      dedupeKey: `fee:${fee.number}:${stage}`,
      batch: `fee:${fee.number}:${stage}`,
      priority: 'normal',
      notBefore: now,
      maxChars: ctx.config.send.maxChars,
    })
  for (const { fee, placeName, placePath } of rows) {
    if (fee.status === 'cancelled') continue
    if (fee.status === 'scheduled') {
      written += await post(fee, placePath, 'publish', feeText(fee, placeName))
      await ctx.db
        .update(feeNotices)
        .set({ status: 'published', publishedAt: now })
        .where(eq(feeNotices.id, fee.id))
      fee.publishedAt = now
    }
    // Only the latest reminder that is due: a notice published late does not fire all of them at once.
    const due = ctx.config.feeReminderDays
      .map((days) => ({ days, at: reminderAt(fee.deadline, days) }))
      .filter((r) => r.at <= now && r.at > fee.publishedAt!)
      .at(-1)
    if (due) {
      const text = `【缴费提醒 ${fee.number}】${placeName} ${fee.period}物业费将于 ${formatShanghai(fee.deadline)} 截止（还有 ${due.days} 天）。${fee.howToPay}。咨询：${fee.contact}`
      written += await post(fee, placePath, `remind:${due.days}`, text)
    }
  }
  return written
}
