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
 */
export async function enqueueToScope(db: DbOrTx, b: BroadcastToScope) {
  const parts = splitMessage(b.text, b.maxChars)
  const keySuffix = parts.length > 1 ? sql`'#' || p.n` : sql`''`
  const result = await db.execute(sql`
    with written as (
    insert into ${outbox} (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch, created_at)
    select g.room_id, 1, p.text, '[]'::jsonb, ${b.dedupeKey} || ':room:' || g.room_id || ${keySuffix},
           ${b.notBefore.toISOString()}::timestamptz, ${b.priority}, ${b.batch}, ${b.notBefore.toISOString()}::timestamptz
    from ${chatGroups} g
    cross join unnest(array[${sql.join(
      parts.map((part) => sql`${part}::text`),
      sql`, `,
    )}]) with ordinality as p(text, n)
    where g.kind in ('residents', 'building') and g.state = 'active' and g.scope_path like ${`${b.scopePath}%`}
    order by g.id, p.n
    on conflict (dedupe_key) do nothing
    returning 1)
    select count(*)::int as n from written`)
  const texts = Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
  const files = b.attachmentIds?.length
    ? await enqueueFilesToScope(db, { ...b, attachmentIds: b.attachmentIds })
    : 0
  return texts + files
}

export async function countGroupsInScope(db: DbOrTx, scopePath: string) {
  const result = await db.execute(
    sql`select count(*)::int as n from ${chatGroups} where kind in ('residents', 'building') and state = 'active' and scope_path like ${`${scopePath}%`}`,
  )
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
}
