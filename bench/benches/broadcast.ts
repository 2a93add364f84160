import { sql } from 'drizzle-orm'
import { enqueueToScope } from '../../core/notices/broadcast.repository'
import { openDatabase } from '../../db/client'

import { type Bench, type BenchContext, time } from '../kit'

/**
 * One notice enqueued to 10,000 groups of a scope (dedupe keys, batch, parts) against a bare
 * INSERT … SELECT of 10,000 outbox rows, in the same run and database.
 */
async function broadcast(ctx: BenchContext) {
  const database = await openDatabase({ url: ctx.url })
  const { db } = database
  const run = `b${Date.now()}`
  const groups = 10_000
  await db.execute(sql`
    insert into chat_groups (room_id, topic, kind, scope_path, created_at)
    select ${run} || '-' || i || '@chatroom', '居民群 ' || i, 'residents', ${`/${run}/`} || (i % 50) || '/', now()
    from generate_series(1, ${groups}) as i`)
  const text =
    '【设计方案公示】农光里小区综合整治设计方案公示期为 3月2日 至 3月9日，请到社区查看图纸，回复"意见 G12 内容"提意见。'
  const baseline = await time(() =>
    db.execute(sql`
      insert into outbox (conversation_id, is_room, text, created_at)
      select ${run} || '-base-' || i || '@chatroom', 1, ${text}, now() from generate_series(1, ${groups}) as i`),
  )
  let written = 0
  const value = await time(async () => {
    written = await enqueueToScope(db, {
      scopePath: `/${run}/`,
      text,
      dedupeKey: `notice:${run}:open`,
      batch: `notice:${run}`,
      priority: 'normal',
      notBefore: new Date(),
      maxChars: 1_800,
    })
  })
  if (written !== groups) throw new Error(`expected ${groups} rows, wrote ${written}`)
  ctx.report({
    name: 'broadcast',
    value,
    unit: 'ms',
    baseline,
    ratio: value / baseline,
    database: database.driver,
  })
  // A shared Postgres keeps nothing of the run.
  await db.execute(sql`delete from outbox where conversation_id like ${`${run}-%`}`)
  await db.execute(sql`delete from chat_groups where room_id like ${`${run}-%`}`)
  await database.close()
}

export const benches: Bench[] = [
  {
    name: 'broadcast',
    description: 'One notice enqueued to 10,000 groups against a bare INSERT … SELECT',
    databases: ['pglite', 'postgres'],
    run: broadcast,
  },
]
