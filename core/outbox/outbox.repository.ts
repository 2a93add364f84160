import { createHash } from 'node:crypto'
import { and, desc, entityKind, eq, inArray, lt, type SQL, sql } from 'drizzle-orm'
import { PgTransaction } from 'drizzle-orm/pg-core'
import { type DbOrTx, rowsOf } from '../../db/client'
import { type OutboxMention, outbox } from '../../db/schema'
import { jsonRows, rowOf, runStatement } from '../../db/statements'
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
 * The outbox rows of some messages, as the enqueue statements take them (snake_case, one JSON parameter):
 * a text longer than `maxChars` becomes ordered parts, each with its own dedupe key.
 */
export function outboxRows(messages: readonly OutgoingMessage[], now: Date, maxChars?: number) {
  return messages.flatMap((m) =>
    outboxParts(m.text, m.dedupeKey ?? null, maxChars).map(({ text, dedupeKey }, i) => ({
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
    })),
  )
}

/**
 * The INSERT of outbox rows given as one JSON parameter (`rows`: `outboxRows` through `jsonRows`), stamped
 * `at`: the enqueue statement's, and the one a chat message's closing statement carries its reply with.
 */
export const insertOutboxSql = (rows: string, at: string) => `
insert into outbox (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch,
  attachment_id, created_at)
select x.conversation_id, x.is_room, x.text, x.mentions, x.dedupe_key, x.not_before, x.priority, x.batch,
  x.attachment_id, ${at}::timestamptz
from jsonb_to_recordset(${rows}::jsonb) as x(conversation_id text, is_room int, text text, mentions jsonb,
  dedupe_key text, not_before timestamptz, priority text, batch text, attachment_id int, ord int)
order by x.ord
on conflict (dedupe_key) do nothing`

// Prepared on PostgreSQL, one simple query on PGlite (db/statements.ts): the hot paths (a filing's notices,
// a chat reply) enqueue a message or two per request.
const enqueueSql = insertOutboxSql('$1', '$2')

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
  const rows = outboxRows(messages, now, options.maxChars)
  // One statement per slice whatever the row count: the rows travel as one JSON parameter, which is far
  // cheaper to bind than ten parameters a row, and keep their order (delivery order per group is by id).
  for (let i = 0; i < rows.length; i += 5_000) {
    const slice = jsonRows(rows.slice(i, i + 5_000))
    await runStatement(db, 'outbox_enqueue', enqueueSql, [slice, now.toISOString()])
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
  /**
   * The bot account claiming (several accounts: issue 15). Undefined = every conversation, as with one
   * account. Given: only the conversations this account speaks in (see `accountSpeaksIn`), and the rows
   * claimed are stamped with it (`sent_by`), so its pacing counts them while they are on their way.
   */
  account?: string
}

/**
 * Claims the next sendable rows, at most `limit`, as runs: each group's next rows in order. A group's run
 * starts at the head of its queue (no earlier row of the group is pending or sending: one sender holds a
 * group at a time, so order per group holds) and goes on while its rows are pending and due; it stops at
 * the first that is not (a retry waiting out its backoff holds back everything after it). With a minimum
 * gap per group a run is one row: the gap lies between two messages of a group. In quiet hours held
 * normal rows neither go nor hold anything back.
 *
 * Which groups: the first `limit` sendable heads in (not_before, id) order, exactly as if each group could
 * send one message; their runs then fill what is left of `limit`, second rows before third rows, so a busy
 * group's backlog never pushes another group's reply out of the claim. The rows come back in that order
 * (every group's first row, then every group's second, …), which keeps each group's own order.
 *
 * The cost follows the rows taken, not the backlog: the heads come from a look at the next few due rows
 * (each checked against its conversation's queue in one index probe), which finds them all when the head
 * rows come first (a broadcast: one row to each of many groups); when it does not (one group's long
 * backlog in front), from the heads of all conversations, one index entry each; a run is one index range.
 * `SKIP LOCKED` keeps two senders off the same rows, and a group whose head another sender holds (or took
 * since this one looked) is left out whole, so no two senders ever hold rows of one group.
 */
export async function claimDue(db: DbOrTx, options: ClaimOptions): Promise<OutboxRow[]> {
  if (options.limit <= 0) return []
  const statement = claimStatement(db, options)
  if (!isEmbedded(db)) return inRunOrder(await statement)
  // PGlite plans every statement afresh, and planning this one takes it as long as running it: the claim
  // is prepared in the session (one per kind of claim, named by its text), then executed. A prepared
  // statement outlives a rolled-back transaction; the look-up makes sure of it all the same.
  // The generic plan is the one to run: it is flat in the backlog (2.5 ms with 20 or 100,000 rows waiting
  // in one group), but PostgreSQL's choice between it and a custom plan, remade at every VACUUM ANALYZE,
  // could settle on planning each EXECUTE afresh (1.3 ms more). So the claim runs in a transaction (its
  // caller's, or its own) with plan_cache_mode set for that transaction only, in the look-up's statement.
  const query = statement.toSQL()
  const name = `outbox_claim_${createHash('sha1').update(query.sql).digest('hex').slice(0, 16)}`
  // EXECUTE takes no bind parameters: its arguments are literals (ISO instants and 'sending', ours).
  const args = query.params.map((p) => `'${String(p).replaceAll("'", "''")}'`).join(', ')
  const claim = async (tx: DbOrTx) => {
    const [state] = rowsOf<{ known: boolean }>(
      await tx.execute(sql`
        select set_config('plan_cache_mode', 'force_generic_plan', true),
          exists (select from pg_prepared_statements where name = ${name}) as known`),
    )
    if (!state?.known) await tx.execute(sql.raw(`prepare ${name} as ${query.sql}`))
    const result = await tx.execute(sql.raw(`execute ${name}(${args})`))
    return inRunOrder(rowsOf<Record<string, unknown>>(result).map((raw) => rowOf(outbox, raw)))
  }
  return db instanceof PgTransaction ? claim(db) : db.transaction(claim)
}

/** PGlite (the database itself or a transaction of it): one session for the database's whole life. */
function isEmbedded(db: DbOrTx) {
  const session = (db as unknown as { session?: object }).session
  return (session?.constructor as { [entityKind]?: string } | undefined)?.[entityKind] === 'PgliteSession'
}

/** The claim as one UPDATE … RETURNING (exported so its plan can be looked at with EXPLAIN). */
export function claimStatement(
  db: DbOrTx,
  { now, limit, leaseMs, minGapMs, allowNormal, account }: ClaimOptions,
) {
  // Raw SQL gets ISO strings: the drivers disagree on how a Date parameter is sent.
  const at = sql`${now.toISOString()}::timestamptz`
  // Literal SQL, so the planner matches the partial indexes outbox_queue / outbox_queue_quiet; the limits
  // are literals too, so a cached plan is planned for them.
  const queued = (alias: string) =>
    sql.raw(
      `${alias}.status in ('pending', 'sending')${allowNormal ? '' : ` and ${alias}.priority <> 'normal'`}`,
    )
  const allowed = (alias: string) => sql.raw(allowNormal ? '' : `and ${alias}.priority <> 'normal'`)
  const notPostedWithinGap = (alias: string) =>
    minGapMs > 0
      ? sql`and ${sql.raw(alias)}.conversation_id not in (
          select s.conversation_id from ${outbox} s
          where s.status = 'sent' and s.sent_at > ${new Date(now.getTime() - minGapMs).toISOString()}::timestamptz)`
      : sql``
  const n = (value: number) => sql.raw(String(Math.max(1, Math.floor(value))))
  const run = minGapMs > 0 ? 1 : limit
  const candidates = sql`
    with recursive
    w as (
      select o.id, o.conversation_id, o.not_before from ${outbox} o
      where o.status = 'pending' and o.not_before <= ${at} ${allowed('o')}
      order by o.not_before, o.id
      limit ${n(limit * lookAhead)}),
    -- Only a conversation's first row in w can be its head (a later one has that row queued before it):
    -- a look-ahead full of one busy group's rows costs one probe, not one per row.
    firsts as (
      select distinct on (w.conversation_id) w.id, w.conversation_id, w.not_before from w
      order by w.conversation_id, w.id),
    ahead as (
      select w.id, w.conversation_id, w.not_before from firsts w
      -- Heads only: no queued row of the conversation before it. Read backwards from the row, so a row
      -- behind others finds the one before it at once, not past the group's sent rows' dead entries.
      where (
          select e.id from ${outbox} e
          where e.conversation_id = w.conversation_id and e.id < w.id and ${queued('e')}
          order by e.conversation_id desc, e.id desc
          limit 1) is null
        ${notPostedWithinGap('w')}${
          account === undefined
            ? sql``
            : sql`
        and ${accountSpeaksIn(sql.raw('w.conversation_id'), account)}`
        }
      order by w.not_before, w.id
      limit ${n(limit)}),
    scan as (
      (select q.conversation_id, q.id, q.status, q.not_before from ${outbox} q where ${queued('q')}
       order by q.conversation_id, q.id limit 1)
      union all
      select x.conversation_id, x.id, x.status, x.not_before from scan h
      cross join lateral (
        select q.conversation_id, q.id, q.status, q.not_before from ${outbox} q
        where ${queued('q')} and q.conversation_id > h.conversation_id
        order by q.conversation_id, q.id limit 1) x
    ),${account === undefined ? sql`` : accountHeads(account, queued)}
    heads as (
      select id, conversation_id, not_before from ahead
      union all
      (select s.id, s.conversation_id, s.not_before from ${sql.raw(account === undefined ? 'scan' : 'mine')} s
       where (select count(*) from ahead) < ${n(limit)}
         and s.status = 'pending' and s.not_before <= ${at} ${notPostedWithinGap('s')}
         and s.id not in (select id from ahead)
       order by s.not_before, s.id
       limit ${n(limit)})
    ),
    top as (select id, conversation_id, not_before from heads order by not_before, id limit ${n(limit)}),
    runs as (
      select t.id as head, t.not_before as head_due, r.id, r.conversation_id, r.position
      from top t
      cross join lateral (
        select y.id, y.conversation_id, y.position from (
          select x.id, x.conversation_id, row_number() over (order by x.id) as position,
                 count(*) filter (where x.status <> 'pending' or x.not_before > ${at}) over (order by x.id) as stops
          from (
            -- The head and what follows it in the queue index (a row comparison only that index serves),
            -- as many as the claim could take of one group; what belongs to the next groups is dropped.
            select q.id, q.conversation_id, q.status, q.not_before from ${outbox} q
            where (q.conversation_id, q.id) >= (t.conversation_id, t.id) and ${queued('q')}
            order by q.conversation_id, q.id
            limit least(${n(run)}, ${n(limit + 1)} - (select count(*) from top))) x
          where x.conversation_id = t.conversation_id
        ) y
        where y.stops = 0) r
    ),
    pick as (
      select id, conversation_id from runs order by position, head_due, head limit ${n(limit)}),
    locked as (
      select o.id from ${outbox} o
      where o.id in (select id from pick) and o.status = 'pending'
      for update of o skip locked)
    select p.id from pick p
    where p.id in (select id from locked)
      and not exists (
        select 1 from pick e
        where e.conversation_id = p.conversation_id and e.id < p.id and e.id not in (select id from locked))`
  const leaseUntil = new Date(now.getTime() + leaseMs)
  return db
    .update(outbox)
    .set(
      account === undefined
        ? { status: 'sending', leaseUntil }
        : { status: 'sending', leaseUntil, sentBy: account },
    )
    .where(sql`${outbox.id} in (${candidates})`)
    .returning()
}

/**
 * Whether `account` speaks in the conversation: the one its route names; an unrouted one (nothing learnt
 * it yet: a one-account deployment that never learnt routes, an upgrade, a group no account has reported)
 * goes to the first enabled account by name that reaches it (conversation_reach), else to the fallback
 * account, the first enabled account by name, else (bot_accounts holds no enabled row: the sandbox, the
 * tests, a one-account deployment) to any account that asks. So every conversation has exactly one
 * speaker whenever bot_accounts names the accounts, and a deployment that never filled it keeps sending.
 * One primary-key probe per row looked at; the reach and fallback look-ups only for unrouted ones.
 */
function accountSpeaksIn(conversation: SQL, account: string) {
  return sql`coalesce(
    (select r.account from conversation_routes r where r.conversation_id = ${conversation}),
    ${unroutedOwner(conversation, account)}) = ${account}::text`
}

/** Who takes an unrouted conversation: see accountSpeaksIn. */
function unroutedOwner(conversation: SQL, account: string) {
  return sql`coalesce(
    (select min(h.account) from conversation_reach h where h.conversation_id = ${conversation}
       and not exists (select 1 from bot_accounts d where d.name = h.account and not d.enabled)),
    (select min(b.name) from bot_accounts b where b.enabled),
    ${account}::text)`
}

/**
 * The heads of the queues an account may claim when the look-ahead did not fill the claim: its routed
 * conversations' heads, one probe in the queue index each, so the cost follows the account's own
 * conversations, not the backlog of the others. Unrouted conversations come from the heads of all
 * conversations (today's look) only while bot_accounts names no enabled account (one account, the
 * sandbox, the tests): there one account takes everything and pays what it paid before. With accounts
 * named, an unrouted conversation deep in the backlog is routed within a minute by the failover job
 * (adoptUnrouted); the look-ahead takes it at once when it is among the next due rows.
 */
function accountHeads(account: string, queued: (alias: string) => SQL) {
  return sql`
    mine as (
      select h.conversation_id, h.id, h.status, h.not_before from conversation_routes r
      cross join lateral (
        select q.conversation_id, q.id, q.status, q.not_before from ${outbox} q
        where q.conversation_id = r.conversation_id and ${queued('q')}
        order by q.conversation_id, q.id limit 1) h
      where r.account = ${account}::text
      union all
      select s.conversation_id, s.id, s.status, s.not_before from scan s
      where not exists (select 1 from bot_accounts b where b.enabled)
        and not exists (select 1 from conversation_routes r where r.conversation_id = s.conversation_id)
        and ${unroutedOwner(sql.raw('s.conversation_id'), account)} = ${account}::text
    ),`
}

/** How many due rows per row wanted the claim looks at before it turns to the heads of all conversations. */
const lookAhead = 5

/**
 * A claim's rows in sending order: every group's first row (groups by their head's (not_before, id)),
 * then every group's second row, and so on. Each group's rows stay in id order.
 */
function inRunOrder(rows: OutboxRow[]) {
  const groups = new Map<string, OutboxRow[]>()
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    const group = groups.get(row.conversationId)
    if (group) group.push(row)
    else groups.set(row.conversationId, [row])
  }
  const byHead = [...groups.values()].sort(
    (a, b) => a[0]!.notBefore.getTime() - b[0]!.notBefore.getTime() || a[0]!.id - b[0]!.id,
  )
  const ordered: OutboxRow[] = []
  for (let position = 0; ordered.length < rows.length; position++) {
    for (const group of byHead) if (group[position]) ordered.push(group[position]!)
  }
  return ordered
}

/**
 * Messages that count against a pacing budget: sent since `since`, or on their way right now. With an
 * account, only that account's (outbox_sent_by; its claims are stamped, so its rows in `sending` count too):
 * each WeChat account has its own rate and daily cap.
 */
export async function countSentSince(db: DbOrTx, since: Date, account?: string): Promise<number> {
  const result = await db.execute(
    account === undefined
      ? sql`select count(*)::int as n from ${outbox}
        where (status = 'sent' and sent_at > ${since.toISOString()}::timestamptz) or status = 'sending'`
      : sql`select ((select count(*) from ${outbox}
          where status = 'sent' and sent_by = ${account}::text and sent_at > ${since.toISOString()}::timestamptz)
        + (select count(*) from ${outbox} where status = 'sending' and sent_by = ${account}::text))::int as n`,
  )
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
}

/** The statements of every message, prepared once per database handle (PostgreSQL keeps their plans). */
const prepared = new WeakMap<object, ReturnType<typeof prepareHandOver>>()

function prepareHandOver(db: DbOrTx) {
  const prev = sql`${sql.placeholder('prev')}::bigint`
  const next = sql`${sql.placeholder('next')}::bigint`
  const at = sql`${sql.placeholder('at')}::timestamptz`
  const handOver = (by: boolean) =>
    db
      .update(outbox)
      .set({
        status: sql`case when ${outbox.id} = ${prev} then 'sent' else ${outbox.status} end`,
        sentAt: sql`case when ${outbox.id} = ${prev} then ${at} else ${outbox.sentAt} end`,
        lastError: sql`case when ${outbox.id} = ${prev} then null else ${outbox.lastError} end`,
        inFlight: sql`${outbox.id} = ${next}`,
        attempts: sql`case when ${outbox.id} = ${next} then ${outbox.attempts} + 1 else ${outbox.attempts} end`,
        leaseUntil: sql`case when ${outbox.id} = ${next} then ${sql.placeholder('lease')}::timestamptz end`,
        // With several accounts, the account that hands the message over (its claim stamped it already;
        // this keeps the record true should a row ever change hands between claim and send).
        ...(by
          ? {
              sentBy: sql`case when ${outbox.id} = ${next} then ${sql.placeholder('by')}::text else ${outbox.sentBy} end`,
            }
          : {}),
      })
      .where(
        sql`${outbox.id} = any(array[${prev}, ${next}]) and (${outbox.id} = ${prev} or (${outbox.status} = 'sending'
          and ${outbox.leaseUntil} = ${sql.placeholder('held')}::timestamptz))`,
      )
      .returning({ id: outbox.id })
      .prepare(by ? 'outbox_hand_over_by' : 'outbox_hand_over')
  return {
    /**
     * One statement per message: the previous message of this sender, handed over, is recorded as sent,
     * and the next one goes in flight, if this sender still holds its lease.
     */
    handOver: handOver(false),
    /** The same, stamping the account that sends (`sent_by`). */
    handOverBy: handOver(true),
    sent: db
      .update(outbox)
      .set({ status: 'sent', sentAt: sql`${at}`, leaseUntil: null, inFlight: false, lastError: null })
      .where(sql`${outbox.id} = ${prev}`)
      .prepare('outbox_sent'),
  }
}

function statements(db: DbOrTx) {
  let found = prepared.get(db)
  if (!found) {
    found = prepareHandOver(db)
    prepared.set(db, found)
  }
  return found
}

/**
 * The moment of truth: from here on, a crash leaves the outcome unknown. Only the holder of the lease may
 * go on (another sender may have recovered a row whose lease ran out), and the lease is renewed. The
 * sender's previous message, handed over meanwhile, may be recorded as sent in the same statement
 * (`sentBefore`), so a message costs one write: it is never in flight at the same time as this one.
 */
export async function markInFlight(
  db: DbOrTx,
  row: OutboxRow,
  now: Date,
  leaseMs: number,
  sentBefore?: number,
  /** The account sending (several accounts), stamped as `sent_by`; undefined = as with one account. */
  account?: string,
): Promise<OutboxRow | undefined> {
  if (!row.leaseUntil) {
    if (sentBefore !== undefined) await markSent(db, sentBefore, now)
    return undefined
  }
  const leaseUntil = new Date(now.getTime() + leaseMs)
  const values = {
    prev: sentBefore ?? -1,
    next: row.id,
    at: now.toISOString(),
    lease: leaseUntil.toISOString(),
    held: row.leaseUntil.toISOString(),
  }
  const updated =
    account === undefined
      ? await statements(db).handOver.execute(values)
      : await statements(db).handOverBy.execute({ ...values, by: account })
  if (!updated.some((r) => Number(r.id) === row.id)) return undefined
  return {
    ...row,
    inFlight: true,
    attempts: row.attempts + 1,
    leaseUntil,
    ...(account === undefined ? {} : { sentBy: account }),
  }
}

export async function markSent(db: DbOrTx, id: number, now: Date) {
  await statements(db).sent.execute({ prev: id, at: now.toISOString() })
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

/**
 * Puts back the claimed rows a sender did not try (it stops, the bot went away, an earlier row of their
 * group failed): pending again, untouched. Only rows this sender still holds under the claim's lease.
 */
export async function releaseUntried(db: DbOrTx, rows: readonly OutboxRow[]) {
  const byLease = new Map<number, number[]>()
  for (const row of rows) {
    if (!row.leaseUntil) continue
    const ids = byLease.get(row.leaseUntil.getTime())
    if (ids) ids.push(row.id)
    else byLease.set(row.leaseUntil.getTime(), [row.id])
  }
  for (const [lease, ids] of byLease) {
    await db
      .update(outbox)
      .set({ status: 'pending', leaseUntil: null, inFlight: false })
      .where(
        and(
          inArray(outbox.id, ids),
          eq(outbox.status, 'sending'),
          eq(outbox.inFlight, false),
          eq(outbox.leaseUntil, new Date(lease)),
        ),
      )
  }
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
 * one that was only claimed goes back to `pending`. The index outbox_sending makes this one probe when
 * no lease has run out, so the sender runs it at every round.
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
