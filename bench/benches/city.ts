import { sql } from 'drizzle-orm'
import { loadConfig } from '../../config'
import { enqueueToScope } from '../../core/notices/broadcast.repository'
import { drainOutboxOnce } from '../../core/outbox/outbox.sender'
import { createTestClock } from '../../core/shared/clock'
import { silentLog } from '../../core/shared/log'
import { rowsOf } from '../../db/client'
import { type Bench, type BenchContext, median, openScratch, time } from '../kit'
import { listBenchCity } from './list'
import { overdueScanCity } from './overdue-scan'

const groups = 20_000
const accounts = 40

/**
 * City scale (issue 15): one notice to 20,000 groups spread over 40 bot accounts (500 groups each, learnt
 * routes), enqueued against a bare INSERT … SELECT of 20,000 rows (3 rounds each, taking turns, medians);
 * then drained by the 40 accounts' senders with the default pacing of a real puppet (20 a minute and 1,500
 * a day per account, 3 s between two messages to one group, quiet hours 22:00–07:00) on a simulated clock
 * starting 09:00 Shanghai, each account draining once per simulated 15 s. Jitter (random pauses of up to
 * 2 s between messages) is real time and is off here; at 20 a minute the rate binds before it does.
 *
 * Reported: the enqueue, the simulated time until every group has its message, the peak outbox depth
 * (pending and sending, sampled each simulated step) and the drain's wall time. Checked: each group got its
 * message once, from the account it is routed to, and no account ever sent more than 20 in a minute.
 */
async function city(ctx: BenchContext) {
  const database = await openScratch(ctx.url, 'city')
  const { db } = database
  const run = `c${Date.now().toString(36)}`
  const rows = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await db.execute(query))
  const start = new Date('2026-03-12T01:00:00Z') // 09:00 in Shanghai, a Thursday
  const clock = createTestClock(start)
  try {
    await db.execute(sql`
      insert into bot_accounts (name, label, puppet, token_env)
      select 'acct' || a, '账号 ' || a, 'wechaty-puppet-service', 'GAIZAO_TOKEN_' || a
      from generate_series(1, ${accounts}) as a`)
    await db.execute(sql`
      insert into chat_groups (room_id, topic, kind, scope_path, created_at)
      select ${run} || '-' || i || '@chatroom', '居民群 ' || i, 'residents', ${`/${run}/`} || (i % 50) || '/', now()
      from generate_series(1, ${groups}) as i`)
    // Each account is in its 500 groups; every 10th group is also reachable by the next account (a building
    // group an officer added both to).
    await db.execute(sql`
      insert into conversation_reach (conversation_id, account, is_room, seen_at)
      select ${run} || '-' || i || '@chatroom', 'acct' || (1 + i % ${accounts}), true, now()
      from generate_series(1, ${groups}) as i
      union all
      select ${run} || '-' || i || '@chatroom', 'acct' || (1 + (i + 1) % ${accounts}), true, now()
      from generate_series(1, ${groups}) as i where i % 10 = 0`)
    await db.execute(sql`
      insert into conversation_routes (conversation_id, account, reason, since)
      select ${run} || '-' || i || '@chatroom', 'acct' || (1 + i % ${accounts}), 'learnt', now()
      from generate_series(1, ${groups}) as i`)
    await db.execute(sql`vacuum analyze`)

    const text =
      '【施工公告】3月16日起 1 号楼至 5 号楼外墙保温施工，请勿在楼下停车。详情见社区公告栏，有疑问请回复"意见 内容"。'
    const empty = async () => {
      await db.execute(sql`delete from outbox`)
      await db.execute(sql`vacuum analyze outbox`)
    }
    const bare: number[] = []
    const ours: number[] = []
    for (let round = 0; round < 3; round++) {
      const timeBare = async () => {
        await empty()
        bare.push(
          await time(() =>
            db.execute(sql`
              insert into outbox (conversation_id, is_room, text, created_at)
              select room_id, 1, ${text}, now() from chat_groups where scope_path like ${`/${run}/%`}`),
          ),
        )
      }
      const timeOurs = async () => {
        await empty()
        const written = { n: 0 }
        ours.push(
          await time(async () => {
            written.n = await enqueueToScope(db, {
              scopePath: `/${run}/`,
              text,
              dedupeKey: `notice:${run}-${round}:open`,
              batch: `notice:${run}-${round}`,
              priority: 'normal',
              notBefore: start,
              maxChars: 1_800,
            })
          }),
        )
        if (written.n !== groups) throw new Error(`enqueued ${written.n} rows, expected ${groups}`)
      }
      if (round % 2 === 0) {
        await timeBare()
        await timeOurs()
      } else {
        await timeOurs()
        await timeBare()
      }
    }
    ctx.report({
      name: 'city-enqueue',
      value: median(ours),
      unit: `ms, one notice to ${groups.toLocaleString('en-US')} groups`,
      baseline: median(bare),
      ratio: median(ours) / median(bare),
      database: database.driver,
      baselineLabel: `bare INSERT … SELECT of ${groups.toLocaleString('en-US')} rows`,
      target: '≤ 1.5× (as broadcast)',
    })

    const [size] = await rows<{ total: string }>(sql`select pg_total_relation_size('outbox') as total`)
    ctx.log(
      `outbox with its indexes after one notice to every group: ${(Number(size!.total) / groups).toFixed(0)} bytes a row`,
    )
    // The last round's rows are the ones drained. Default pacing of a real account, jitter off (real time).
    const config = loadConfig({ WECHATY_PUPPET: 'wechaty-puppet-wechat4u', SEND_JITTER_MS: '0' })
    const deps = { db, clock, config, log: silentLog }
    const sent = new Map<string, string>()
    const perMinute = new Map<string, number[]>()
    let twice = 0
    const transportOf = (account: string) => ({
      async send(row: { conversationId: string }) {
        if (sent.has(row.conversationId)) twice++
        sent.set(row.conversationId, account)
        const stamps = perMinute.get(account) ?? []
        stamps.push(clock.now().getTime())
        perMinute.set(account, stamps)
      },
    })
    const names = Array.from({ length: accounts }, (_, i) => `acct${i + 1}`)
    const transports = new Map(names.map((name) => [name, transportOf(name)]))
    const depth = async () =>
      Number(
        (
          await rows<{ n: number }>(
            sql`select count(*)::int as n from outbox where status in ('pending', 'sending')`,
          )
        )[0]!.n,
      )
    let peak = await depth()
    let reachedAt: Date | undefined
    const step = 15_000
    const wall = await time(async () => {
      for (let steps = 0; steps < 24 * 240; steps++) {
        for (const name of names) {
          await drainOutboxOnce(deps, transports.get(name)!, 50, { stopped: false }, name)
        }
        const waiting = await depth()
        peak = Math.max(peak, waiting)
        if (waiting === 0) {
          reachedAt = clock.now()
          break
        }
        clock.advance(step)
      }
    })
    if (!reachedAt) throw new Error(`the notice had not reached every group after a simulated day`)
    const [routes] = await rows<{ wrong: number }>(sql`
      select count(*)::int as wrong from outbox o join conversation_routes r on r.conversation_id = o.conversation_id
      where o.status = 'sent' and o.sent_by is distinct from r.account`)
    let worstMinute = 0
    for (const stamps of perMinute.values()) {
      for (let i = 0; i < stamps.length; i++) {
        let j = i
        while (j < stamps.length && stamps[j]! - stamps[i]! < 60_000) j++
        worstMinute = Math.max(worstMinute, j - i)
      }
    }
    if (sent.size !== groups || twice > 0 || routes!.wrong > 0 || worstMinute > 20) {
      throw new Error(
        `drain: ${sent.size} groups reached of ${groups}, ${twice} twice, ${routes!.wrong} by another account than their route, ${worstMinute} in one minute by one account`,
      )
    }
    const minutes = (reachedAt.getTime() - start.getTime()) / 60_000
    ctx.log(
      `drain: every group reached after ${minutes.toFixed(1)} simulated minutes; peak depth ${peak}; wall ${(wall / 1000).toFixed(1)} s; at most ${worstMinute} a minute per account`,
    )
    ctx.report({
      name: 'city-reach-all',
      value: minutes,
      unit: `simulated minutes until all ${groups.toLocaleString('en-US')} groups have the notice, ${accounts} accounts`,
      // What the pacing allows at best: each account's 500 groups at 20 a minute.
      baseline: groups / accounts / 20,
      ratio: minutes / (groups / accounts / 20),
      database: database.driver,
      baselineLabel: '500 groups per account at 20 a minute',
      target: '(capacity)',
    })
    ctx.report({
      name: 'city-peak-depth',
      value: peak,
      unit: 'outbox rows pending or sending at the peak',
      baseline: groups,
      ratio: peak / groups,
      database: database.driver,
      baselineLabel: 'the notice’s rows',
      target: '(capacity)',
    })
    ctx.report({
      name: 'city-drain-wall',
      value: wall / 1000,
      unit: 's of wall time to drain the simulated day (40 senders, one process)',
      baseline: minutes * 60,
      ratio: wall / 1000 / (minutes * 60),
      database: database.driver,
      baselineLabel: 'the simulated seconds',
      target: '(capacity)',
    })
  } finally {
    await database.close()
  }
}

export const benches: Bench[] = [
  {
    name: 'city-outbox',
    description:
      'One notice to 20,000 groups over 40 accounts: enqueue against a bare INSERT … SELECT, drain at the default pacing on a simulated clock',
    databases: ['pglite', 'postgres'],
    run: city,
    group: 'city',
    onlyWhenNamed: true,
  },
  {
    name: 'city-list',
    description: 'GET /api/v1/requests p99 at 10,000,000 rows, every filter, against a bare route',
    databases: ['postgres'],
    run: listBenchCity,
    group: 'city',
    onlyWhenNamed: true,
  },
  {
    name: 'city-overdue',
    description: 'Overdue tick at 10,000,000 open items against 1,000,000',
    databases: ['postgres'],
    run: overdueScanCity,
    group: 'city',
    onlyWhenNamed: true,
  },
]
