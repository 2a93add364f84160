import { sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { chatGroups, outbox } from '../../db/schema'
import type { OutboxRow } from '../outbox/outbox.repository'
import { splitMessage } from '../outbox/pacing'
import { enqueueFilesToScope } from './attachments'

export interface BroadcastToScope {
  /** Residents' and building groups whose scope lies under this path (a street, community or xiaoqu). */
  scopePath: string
  text: string
  /** Identifies the logical notice: written twice, it is still sent once per group. */
  dedupeKey: string
  batch: string
  priority: OutboxRow['priority']
  notBefore: Date
  maxChars: number
  /** Files sent after the text, to the same groups. */
  attachmentIds?: readonly number[]
}

/**
 * Enqueues a notice to every residents' group in a scope with one INSERT … SELECT, so 10,000 groups cost
 * about what the bare insert does. Returns how many rows were written (0 when already enqueued).
 *
 * The first enqueue of a notice, the usual case, is a plain insert in a savepoint: the unique index on
 * dedupe_key checks each key as it is written, once. Only when a key is already there (the notice written
 * before, to some or all of the groups, or by a racing call that committed first) is it done again with
 * ON CONFLICT DO NOTHING, which writes just the groups not yet written; doing that every time would look
 * every key up twice (a speculative insertion), a third of the statement's cost.
 */
export async function enqueueToScope(db: DbOrTx, b: BroadcastToScope) {
  const parts = splitMessage(b.text, b.maxChars)
  const keySuffix = parts.length > 1 ? sql`'#' || p.n` : sql`''`
  const insert = (skipWritten: boolean) => sql`
    insert into ${outbox} (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch, created_at)
    select g.room_id, 1, p.text, '[]'::jsonb, ${b.dedupeKey} || ':room:' || g.room_id || ${keySuffix},
           ${b.notBefore.toISOString()}::timestamptz, ${b.priority}, ${b.batch}, ${b.notBefore.toISOString()}::timestamptz
    from ${chatGroups} g
    cross join unnest(array[${sql.join(
      parts.map((part) => sql`${part}::text`),
      sql`, `,
    )}]) with ordinality as p(text, n)
    where g.kind in ('residents', 'building') and g.state = 'active' and g.scope_path like ${`${b.scopePath}%`}
    ${parts.length > 1 ? sql`order by g.id, p.n` : sql``}
    ${skipWritten ? sql`on conflict (dedupe_key) do nothing` : sql``}`
  let texts: number
  try {
    texts = await db.transaction(async (tx) => affectedRows(await tx.execute(insert(false))))
  } catch (error) {
    if (!isDedupeConflict(error)) throw error
    texts = affectedRows(await db.execute(insert(true)))
  }
  const files = b.attachmentIds?.length
    ? await enqueueFilesToScope(db, { ...b, attachmentIds: b.attachmentIds })
    : 0
  return texts + files
}

/** How many rows a command wrote: postgres.js counts them on its result (`count`), PGlite as `affectedRows`. */
function affectedRows(result: unknown) {
  const r = result as { count?: number | null; affectedRows?: number }
  return Number((Array.isArray(result) ? r.count : r.affectedRows) ?? 0)
}

/** A unique violation of outbox.dedupe_key, wherever the driver or drizzle put it. */
function isDedupeConflict(error: unknown) {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint, constraint_name } = e as Record<string, unknown>
    if (code === '23505') return (constraint ?? constraint_name) === 'outbox_dedupe_key_unique'
  }
  return false
}

export async function countGroupsInScope(db: DbOrTx, scopePath: string) {
  const result = await db.execute(
    sql`select count(*)::int as n from ${chatGroups} where kind in ('residents', 'building') and state = 'active' and scope_path like ${`${scopePath}%`}`,
  )
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
}
