import { and, asc, inArray, isNull, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { digestItems, staff } from '../../db/schema'
import { enqueueMessages, type OutgoingMessage } from '../outbox/outbox.repository'
import type { Deps } from '../shared/deps'
import { shanghaiDate } from '../sla/calendar'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }

const digestLockKey = 7_310_002
/** A digest longer than this many lines ends with a count of the rest, and the console link does the rest. */
const maxLines = 30

/**
 * 每日汇总 (09:00 on working days): each person's pending digest lines become one private message, and
 * the lines are marked in the same transaction, so a second instance or a second run finds none. The
 * dedupe key is the person and their first line, so a message is never written twice either.
 * Returns how many digests it wrote.
 */
export async function sendDigests(ctx: Ctx) {
  const now = ctx.clock.now()
  if (!ctx.calendar.isWorkingDay(shanghaiDate(now))) return 0
  const [lock] = rowsOf<{ ok: boolean }>(
    await ctx.db.execute(sql`select pg_try_advisory_xact_lock(${digestLockKey}) as ok`),
  )
  if (!lock?.ok) return 0
  const pending = rowsOf<{ id: number; staff_id: number; line: string }>(
    await ctx.db.execute(sql`
      select id, staff_id, line from digest_items
      where digested_at is null
      order by staff_id, urgent desc, id
      for update skip locked`),
  )
  if (pending.length === 0) return 0
  const byStaff = new Map<number, typeof pending>()
  for (const item of pending) {
    const list = byStaff.get(item.staff_id)
    if (list) list.push(item)
    else byStaff.set(item.staff_id, [item])
  }
  const people = await ctx.db
    .select()
    .from(staff)
    .where(inArray(staff.id, [...byStaff.keys()]))
    .orderBy(asc(staff.id))
  const messages: OutgoingMessage[] = []
  for (const person of people) {
    const items = byStaff.get(person.id) ?? []
    // Someone who has since unbound WeChat or left keeps nothing pending: the lines are marked either way.
    if (!person.wechatId || !person.active) continue
    const shown = items.slice(0, maxLines).map((item, i) => `${i + 1}. ${item.line}`)
    const more = items.length > maxLines ? [`……另有 ${items.length - maxLines} 项，请在工作台查看。`] : []
    messages.push({
      conversationId: person.wechatId,
      isRoom: false,
      text: [`【每日汇总】${shanghaiDate(now)}，共 ${items.length} 项需要关注：`, ...shown, ...more].join(
        '\n',
      ),
      dedupeKey: `digest:${person.id}:${items[0]!.id}`,
    })
  }
  await enqueueMessages(ctx.db, messages, now, { maxChars: ctx.config.send.maxChars })
  await ctx.db
    .update(digestItems)
    .set({ digestedAt: now })
    .where(
      and(
        inArray(
          digestItems.id,
          pending.map((p) => p.id),
        ),
        isNull(digestItems.digestedAt),
      ),
    )
  return messages.length
}
