import { and, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { type OutboxMention, outbox } from '../../db/schema'
import { wellFormed } from '../shared/unicode'
import { splitMessage } from './pacing'

/** Retries back off exponentially up to this: a failing message holds its group's queue minutes, not hours. */
export const maxRetryDelayMs = 60_000

const defaultMaxChars = 1_800

export interface OutgoingMessage {
  conversationId: string
  isRoom: boolean
  text: string
  mentions?: OutboxMention[]
  /** The same logical message written twice is stored (and sent) once. */
  dedupeKey?: string
  notBefore?: Date
  priority?: OutboxRow['priority']
  /** Rows of one broadcast share a batch, so its progress can be shown. */
  batch?: string
  /** A stored file (attachments.id) sent as a file; `text` is then its label, not sent. */
  attachmentId?: number
}

export type OutboxRow = typeof outbox.$inferSelect

/**
 * Writes messages in the caller's transaction, so a message exists exactly when its change does. A text
 * longer than `maxChars` becomes ordered parts, each with its own dedupe key.
 */
export async function enqueueMessages(
  db: DbOrTx,
  messages: readonly OutgoingMessage[],
  now: Date,
  options: { maxChars?: number } = {},
) {
  const rows = messages.flatMap((m) => {
    return outboxParts(m.text, m.dedupeKey ?? null, options.maxChars).map(({ text, dedupeKey }, i) => ({
      conversation_id: m.conversationId,
      is_room: m.isRoom ? 1 : 0,
      text,
      // Only the first part @mentions: one ping per message, not per part.
      mentions: i === 0 ? (m.mentions ?? []) : [],
      dedupe_key: dedupeKey,
      not_before: (m.notBefore ?? now).toISOString(),
      priority: m.priority ?? 'normal',
      batch: m.batch ?? null,
      attachment_id: m.attachmentId ?? null,
    }))
  })
  // One statement per slice whatever the row count: the rows travel as one JSON parameter, which is far
  // cheaper to bind than ten parameters a row, and keep their order (delivery order per group is by id).
  for (let i = 0; i < rows.length; i += 5_000) {
    // Every string well-formed: half an emoji (an excerpt cut inside one, a name) would be an invalid JSON
    // escape to Postgres and fail the statement, and with it the caller's transaction.
    const slice = JSON.stringify(
      rows.slice(i, i + 5_000).map((row, ord) => ({ ...row, ord })),
      (_key, value) => (typeof value === 'string' ? wellFormed(value) : value),
    )
    await db.execute(sql`
      insert into ${outbox} (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch, attachment_id, created_at)
      select x.conversation_id, x.is_room, x.text, x.mentions, x.dedupe_key, x.not_before, x.priority, x.batch,
             x.attachment_id, ${now.toISOString()}::timestamptz
      from jsonb_to_recordset(${slice}::jsonb) as x(conversation_id text, is_room int, text text,
        mentions jsonb, dedupe_key text, not_before timestamptz, priority text, batch text, attachment_id int, ord int)
      order by x.ord
      on conflict (dedupe_key) do nothing`)
  }
}

/**
 * A message as the outbox stores it: a text longer than `maxChars` in ordered parts, each part's dedupe
 * key the message's with `#n` appended. Everything that writes outbox rows goes through this.
 */
export function outboxParts(text: string, dedupeKey: string | null, maxChars = defaultMaxChars) {
  const parts = splitMessage(text, maxChars)
  return parts.map((part, i) => ({
    text: part,
    dedupeKey: dedupeKey && parts.length > 1 ? `${dedupeKey}#${i + 1}` : dedupeKey,
  }))
}

export interface ClaimOptions {
  now: Date
  limit: number
  leaseMs: number
  minGapMs: number
  /** False in quiet hours: only replies and urgent messages may go. */
  allowNormal: boolean
}

/**
 * Claims the next sendable rows, the first `limit` in (not_before, id) order. A row is sendable when it is
 * due, it heads its conversation's queue (no earlier row of the conversation is pending or sending: order
 * per group holds, one in flight each), and the group has not been posted to within the minimum gap. In
 * quiet hours held normal rows neither go nor hold anything back. `SKIP LOCKED` keeps two senders off the
 * same row.
 *
 * The cost follows the rows taken, not the backlog: first a look at the next few due rows (each checked
 * against its conversation's queue in one index probe), which fills the claim when the head rows come
 * first (a broadcast: one row to each of many groups); when it does not (one group's long backlog in front),
 * the heads of all conversations, one index entry each. What the first step took sorts before anything the
 * second finds, so together they are exactly the first `limit` sendable rows.
 */
export async function claimDue(
  db: DbOrTx,
  { now, limit, leaseMs, minGapMs, allowNormal }: ClaimOptions,
): Promise<OutboxRow[]> {
  if (limit <= 0) return []
  // Raw SQL gets ISO strings: the drivers disagree on how a Date parameter is sent.
  const at = now.toISOString()
  // Literal SQL, so the planner matches the partial indexes outbox_queue / outbox_queue_quiet.
  const queued = (alias: string) =>
    sql.raw(
      `${alias}.status in ('pending', 'sending')${allowNormal ? '' : ` and ${alias}.priority <> 'normal'`}`,
    )
  const sendable = sql`o.status = 'pending' and o.not_before <= ${at}::timestamptz
    ${allowNormal ? sql`` : sql`and o.priority <> 'normal'`}
    ${
      minGapMs > 0
        ? sql`and o.conversation_id not in (
            select s.conversation_id from ${outbox} s
            where s.status = 'sent' and s.sent_at > ${new Date(now.getTime() - minGapMs).toISOString()}::timestamptz)`
        : sql``
    }`
  const claim = async (candidates: SQL) => {
    const result = await db.execute(sql`
      update ${outbox} set status = 'sending', lease_until = ${new Date(now.getTime() + leaseMs).toISOString()}::timestamptz
      where id in (${candidates})
      returning id`)
    return rowsOf<{ id: number | string }>(result).map((r) => Number(r.id))
  }
  const ahead = await claim(sql`
    select o.id from ${outbox} o
    where o.id in (
        select w.id from ${outbox} w
        where w.status = 'pending' and w.not_before <= ${at}::timestamptz
        order by w.not_before, w.id
        limit ${limit * lookAhead}::int)
      and ${sendable}
      and not exists (
        select 1 from ${outbox} e where e.conversation_id = o.conversation_id and e.id < o.id and ${queued('e')})
    order by o.not_before, o.id
    limit ${limit}::int
    for update of o skip locked`)
  const heads =
    ahead.length < limit
      ? await claim(sql`
          with recursive heads as (
            (select q.conversation_id, q.id from ${outbox} q where ${queued('q')}
             order by q.conversation_id, q.id limit 1)
            union all
            select n.conversation_id, n.id from heads h
            cross join lateral (
              select q.conversation_id, q.id from ${outbox} q
              where ${queued('q')} and q.conversation_id > h.conversation_id
              order by q.conversation_id, q.id limit 1) n
          )
          select o.id from heads h join ${outbox} o on o.id = h.id
          where ${sendable}
          order by o.not_before, o.id
          limit ${limit - ahead.length}::int
          for update of o skip locked`)
      : []
  const ids = [...ahead, ...heads]
  if (ids.length === 0) return []
  const rows = await db.select().from(outbox).where(inArray(outbox.id, ids))
  return rows.sort((a, b) => a.id - b.id)
}

/** How many due rows per row wanted the claim looks at before it turns to the heads of all conversations. */
const lookAhead = 5

/** Messages that count against a pacing budget: sent since `since`, or on their way right now. */
export async function countSentSince(db: DbOrTx, since: Date): Promise<number> {
  const result = await db.execute(
    sql`select count(*)::int as n from ${outbox}
        where (status = 'sent' and sent_at > ${since.toISOString()}::timestamptz) or status = 'sending'`,
  )
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
}

/**
 * The moment of truth: from here on, a crash leaves the outcome unknown. Only the holder of the lease may
 * go on (another sender may have recovered a row whose lease ran out), and the lease is renewed.
 */
export async function markInFlight(db: DbOrTx, row: OutboxRow, now: Date, leaseMs: number) {
  if (!row.leaseUntil) return undefined
  const [updated] = await db
    .update(outbox)
    .set({ inFlight: true, attempts: row.attempts + 1, leaseUntil: new Date(now.getTime() + leaseMs) })
    .where(and(eq(outbox.id, row.id), eq(outbox.status, 'sending'), eq(outbox.leaseUntil, row.leaseUntil)))
    .returning()
  return updated
}

export async function markSent(db: DbOrTx, id: number, now: Date) {
  await db
    .update(outbox)
    .set({ status: 'sent', sentAt: now, leaseUntil: null, inFlight: false, lastError: null })
    .where(eq(outbox.id, id))
}

/** A failed send goes back to pending with exponential backoff, or to `failed` after the last attempt. */
export async function markFailed(
  db: DbOrTx,
  row: OutboxRow,
  error: string,
  now: Date,
  policy: { maxAttempts: number; retryBaseMs: number },
) {
  const exhausted = row.attempts >= policy.maxAttempts
  const delay = Math.min(policy.retryBaseMs * 2 ** Math.max(0, row.attempts - 1), maxRetryDelayMs)
  await db
    .update(outbox)
    .set({
      status: exhausted ? 'failed' : 'pending',
      notBefore: new Date(now.getTime() + delay),
      leaseUntil: null,
      inFlight: false,
      lastError: wellFormed(error.slice(0, 500)),
    })
    .where(eq(outbox.id, row.id))
}

/**
 * Puts a claimed row back untouched (pacing said "not yet", the bot went offline, the sender stops): its
 * attempt count is the one it was claimed with, so nothing is used up.
 */
export async function release(db: DbOrTx, row: OutboxRow, notBefore: Date) {
  await db
    .update(outbox)
    .set({ status: 'pending', notBefore, leaseUntil: null, inFlight: false, attempts: row.attempts })
    .where(eq(outbox.id, row.id))
}

/** Ends a row that must not be retried: `dropped` (its conversation is gone) or `uncertain`. */
export async function settleAs(db: DbOrTx, row: OutboxRow, status: 'dropped' | 'uncertain', reason: string) {
  await db
    .update(outbox)
    .set({ status, leaseUntil: null, inFlight: false, lastError: wellFormed(reason.slice(0, 500)) })
    .where(eq(outbox.id, row.id))
}

/**
 * Rows still `sending` after their lease ran out belonged to a sender that died. One that was handed to
 * WeChat may or may not have arrived, so it becomes `uncertain` (never resent on its own, staff decide);
 * one that was only claimed goes back to `pending`.
 */
export async function recoverExpiredLeases(db: DbOrTx, now: Date) {
  await db
    .update(outbox)
    .set({
      status: sql`case when ${outbox.inFlight} then 'uncertain' else 'pending' end`,
      leaseUntil: null,
      inFlight: false,
    })
    .where(and(eq(outbox.status, 'sending'), lt(outbox.leaseUntil, now)))
}

export async function listOutbox(
  db: DbOrTx,
  filter: { status?: OutboxRow['status']; batch?: string; before?: number; limit: number },
) {
  return db
    .select()
    .from(outbox)
    .where(
      and(
        filter.status ? eq(outbox.status, filter.status) : undefined,
        filter.batch ? eq(outbox.batch, filter.batch) : undefined,
        filter.before ? lt(outbox.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(outbox.id))
    .limit(filter.limit)
}

/** A broadcast's progress: how many rows stand in each state, per conversation. */
export async function batchProgress(db: DbOrTx, batch: string) {
  return db
    .select({
      conversationId: outbox.conversationId,
      status: outbox.status,
      count: sql<number>`count(*)::int`,
    })
    .from(outbox)
    .where(eq(outbox.batch, batch))
    .groupBy(outbox.conversationId, outbox.status)
}

/** A batch's counts by state, in total and per conversation. */
export async function batchSummary(db: DbOrTx, batch: string) {
  const rows = await batchProgress(db, batch)
  const totals: Record<string, number> = {}
  const groups = new Map<string, Record<string, number>>()
  for (const r of rows) {
    totals[r.status] = (totals[r.status] ?? 0) + Number(r.count)
    groups.set(r.conversationId, { ...groups.get(r.conversationId), [r.status]: Number(r.count) })
  }
  return { totals, groups: [...groups].map(([conversationId, counts]) => ({ conversationId, ...counts })) }
}
