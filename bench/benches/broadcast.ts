import { sql } from 'drizzle-orm'
import { enqueueToScope } from '../../core/notices/broadcast.repository'
import { rowsOf } from '../../db/client'

import { type Bench, type BenchContext, median, openScratch, time } from '../kit'

/**
 * One notice enqueued to 10,000 groups of a scope (dedupe keys, batch, parts) against a bare
 * INSERT … SELECT of 10,000 outbox rows, in the same run and database: the groups seeded set-based, then
 * VACUUM ANALYZE; 7 rounds, each timing the bare insert and the enqueue, taking turns to go first, each
 * on an emptied outbox (deleted and vacuumed before it), the medians reported. Each enqueue must write one
 * row per group, with its dedupe key, and a second enqueue of the same notice nothing.
 */
async function broadcast(ctx: BenchContext) {
  const database = await openScratch(ctx.url, 'broadcast')
  const { db } = database
  const run = `b${Date.now()}`
  const groups = 10_000
  const count = async (where: ReturnType<typeof sql>) =>
    Number(
      rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from outbox where ${where}`))[0]!
        .n,
    )
  try {
    await db.execute(sql`
      insert into chat_groups (room_id, topic, kind, scope_path, created_at)
      select ${run} || '-' || i || '@chatroom', '居民群 ' || i, 'residents', ${`/${run}/`} || (i % 50) || '/', now()
      from generate_series(1, ${groups}) as i`)
    await db.execute(sql`vacuum analyze`)
    const text =
      '【设计方案公示】农光里小区综合整治设计方案公示期为 3月2日 至 3月9日，请到社区查看图纸，回复"意见 G12 内容"提意见。'
    const bare: number[] = []
    const ours: number[] = []
    // Each timed insert starts from an emptied, vacuumed outbox, the two taking turns to go first.
    const empty = async () => {
      await db.execute(sql`delete from outbox`)
      await db.execute(sql`vacuum analyze outbox`)
    }
    for (let round = 0; round < 7; round++) {
      const notice = {
        scopePath: `/${run}/`,
        text,
        dedupeKey: `notice:${run}-${round}:open`,
        batch: `notice:${run}-${round}`,
        priority: 'normal' as const,
        notBefore: new Date(),
        maxChars: 1_800,
      }
      const timeBare = async () => {
        await empty()
        bare.push(
          await time(() =>
            db.execute(sql`
              insert into outbox (conversation_id, is_room, text, created_at)
              select ${run} || '-base-' || i || '@chatroom', 1, ${text}, now() from generate_series(1, ${groups}) as i`),
          ),
        )
      }
      const timeOurs = async () => {
        await empty()
        let written = 0
        ours.push(
          await time(async () => {
            written = await enqueueToScope(db, notice)
          }),
        )
        const keyed = await count(
          sql`batch = ${notice.batch} and dedupe_key like ${`${notice.dedupeKey}:room:%`}`,
        )
        if (written !== groups || keyed !== groups)
          throw new Error(`expected ${groups} rows, wrote ${written} (${keyed} with their key)`)
        const again = await enqueueToScope(db, notice)
        if (again !== 0) throw new Error(`a second enqueue of the same notice wrote ${again} rows`)
      }
      if (round % 2 === 0) {
        await timeBare()
        await timeOurs()
      } else {
        await timeOurs()
        await timeBare()
      }
    }
    const value = median(ours)
    const baseline = median(bare)
    ctx.log(
      `enqueue ${ours.map((t) => t.toFixed(0)).join(' ')} ms; bare ${bare.map((t) => t.toFixed(0)).join(' ')} ms`,
    )
    ctx.report({
      name: 'broadcast',
      value,
      unit: 'ms',
      baseline,
      ratio: value / baseline,
      database: database.driver,
      baselineLabel: 'bare INSERT … SELECT of 10,000 rows',
      target: '≤ 1.5×',
    })
  } finally {
    await database.close()
  }
}

export const benches: Bench[] = [
  {
    name: 'broadcast',
    description: 'One notice enqueued to 10,000 groups against a bare INSERT … SELECT',
    databases: ['pglite', 'postgres'],
    run: broadcast,
  },
]
