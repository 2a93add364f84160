import { eq, type SQL, sql } from 'drizzle-orm'
import { loadConfig } from '../../config'
import { scanOverdue } from '../../core/nudges/nudges.usecases'
import { maxLevel, nextRung, rungAt } from '../../core/nudges/watches'
import { createTestClock } from '../../core/shared/clock'
import { useTokenSecret } from '../../core/shared/tokens'
import { createReloadableCalendar } from '../../core/sla/calendar-store'
import { ensureAdmin } from '../../core/staff/staff.usecases'
import { rowsOf } from '../../db/client'
import { areas, chatGroups, organisations, staff, xiaoqu } from '../../db/schema'

import { type Bench, type BenchContext, openScratch, time } from '../kit'

// Staff tokens are hashed under a key; the bench's own databases need any fixed one.
useTokenSecret('bench-secret-for-hashing-staff-tokens-0000')

/**
 * One overdue-scan tick (find the due deadlines, claim the nudges, enqueue the messages and digest lines,
 * move each deadline on) with 1,000 overdue items among 100,000 open requests and tasks, then among
 * 1,000,000: `value` is the tick at 1,000,000, `baseline` at 100,000. The cost must follow the overdue
 * items, not the total. Items are two thirds requests (two watches each: the response clock, closed once
 * accepted, and the resolution clock) and one third tasks, with their watches as `syncWatches` writes
 * them, all seeded set-based. Each timed tick starts from the same state (the 1,000 due watches put back,
 * their nudges, digest lines and messages deleted) and must claim exactly 1,000 nudges; the median of 7
 * ticks after a warm-up is reported at each size.
 */
async function overdueScan(ctx: BenchContext, small = 100_000, large = 1_000_000) {
  const label = (n: number) => `${n.toLocaleString('en-US')} items`
  // A database of its own (a scratch one beside BENCH_DATABASE_URL, dropped at the end): a million rows
  // never land in a shared one.
  const database = await openScratch(ctx.url, 'overdue')
  const { db } = database
  // Thursday 12 March, 10:00 in Shanghai: a working day, so every due item is handled.
  const now = new Date('2026-03-12T02:00:00Z')
  const at = now.toISOString()
  const clock = createTestClock(now)
  const deps = { db, clock, config: loadConfig({}), calendar: createReloadableCalendar() }
  const run = `b${Date.now().toString(36)}`
  const hour = 3_600_000
  const day = 24 * hour
  const rows = async <T>(query: SQL) => rowsOf<T>(await db.execute(query))
  const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`
  await ensureAdmin(db, undefined, now)

  // A street with one community of five xiaoqu, its officers' group, a leader, a supervisor, four officers
  // who hold requests (three bound to WeChat, one of whom chose the daily digest, and one not bound), and two
  // organisations that own tasks (one with two members bound to WeChat, one with nobody reachable).
  const area = async (kind: 'district' | 'street' | 'community', parent?: { id: number; path: string }) => {
    const [row] = await db
      .insert(areas)
      .values({ kind, name: `${run}-${kind}`, parentId: parent?.id ?? null, createdAt: now })
      .returning()
    const path = `${parent?.path ?? '/'}${row!.id}/`
    await db.update(areas).set({ path }).where(eq(areas.id, row!.id))
    return { id: row!.id, path }
  }
  const district = await area('district')
  const street = await area('street', district)
  const community = await area('community', street)
  const places: { id: number; path: string; name: string }[] = []
  for (let i = 1; i <= 5; i++) {
    const name = `${run} 农光里${i}区`
    const [row] = await db
      .insert(xiaoqu)
      .values({ communityId: community.id, name, createdAt: now })
      .returning()
    const path = `${community.path}x${row!.id}/`
    await db.update(xiaoqu).set({ path }).where(eq(xiaoqu.id, row!.id))
    places.push({ id: row!.id, path, name })
  }
  const orgs = await db
    .insert(organisations)
    .values([
      { kind: 'property_company', name: `${run} 物业公司`, createdAt: now },
      { kind: 'construction_unit', name: `${run} 施工单位`, createdAt: now },
    ])
    .returning()
  const [property, builder] = orgs as [(typeof orgs)[0], (typeof orgs)[0]]
  const person = async (
    key: string,
    values: Partial<typeof staff.$inferInsert> & { wechat: boolean; supervisorId?: number | null },
  ) => {
    const { wechat, ...rest } = values
    const [row] = await db
      .insert(staff)
      .values({
        name: `${run}-${key}`,
        role: 'officer',
        scopePath: community.path,
        wechatId: wechat ? `wxid_${run}_${key}` : null,
        createdAt: now,
        ...rest,
      })
      .returning()
    return row!
  }
  const leader = await person('leader', { scopePath: street.path, wechat: true })
  const supervisor = await person('supervisor', {
    scopePath: street.path,
    supervisorId: leader.id,
    wechat: true,
  })
  const holders = [
    await person('o1', { supervisorId: supervisor.id, wechat: true }),
    await person('o2', { supervisorId: supervisor.id, wechat: true }),
    await person('o3', { supervisorId: supervisor.id, wechat: true, digest: true }),
    await person('o4', { supervisorId: supervisor.id, wechat: false }),
  ]
  await person('p1', { role: 'property_staff', organisationId: property.id, wechat: true })
  await person('p2', { role: 'property_staff', organisationId: property.id, wechat: true })
  await person('c1', { role: 'property_staff', organisationId: builder.id, wechat: false })
  const officersRoom = `${run}-officers@chatroom`
  await db.insert(chatGroups).values({
    roomId: officersRoom,
    topic: '街道工作群',
    kind: 'officers',
    scopePath: street.path,
    createdAt: now,
  })
  const [h1, h2, h3, h4] = holders.map((h) => h.id)
  // Who holds item i: index ((i / 2000) + i) % 5, so the overdue items (every 100th) spread over all five.
  const requestHolders = json([h1, h2, h3, h4, null])
  const taskStaff = json([h1, h2, null, null, h3])
  const taskOrgs = json([null, null, property.id, builder.id, null])
  const placeIds = json(places.map((p) => p.id))

  // The overdue items (every 100th of the first 100,000) fall in 20 classes by (i / 100) % 20: 16 an hour
  // to 16 hours past their deadline (the owner's rung), 3 two days past (the supervisor's), 1 nine days
  // past (leadership's). Where each watch stands is what `nextRung` says: the earlier rungs already sent.
  const classes = Array.from({ length: 20 }, (_, k) => {
    const [level, dueAt] =
      k < 16
        ? [1, new Date(now.getTime() - (k + 1) * hour)]
        : k < 19
          ? [2, new Date(now.getTime() - 2 * day - (k - 15) * hour)]
          : [3, new Date(now.getTime() - 9 * day)]
    const w = { dueAt, remindAt: null, snoozedUntil: null }
    const next = nextRung(deps, w, level)
    const after = level < maxLevel ? rungAt(deps, w, level + 1) : null
    if (next.nextLevel !== level || !next.nextAt || next.nextAt > now || (after && after <= now))
      throw new Error(`overdue class ${k} is not due at exactly level ${level}`)
    return { due_at: dueAt.toISOString(), next_level: level, next_at: next.nextAt.toISOString() }
  })
  const classDue = json(classes.map((c) => c.due_at))
  const classTable = sql`jsonb_to_recordset(${json(classes)}) as c(due_at timestamptz, next_level int, next_at timestamptz)`
  // The due time of item i: a class's when overdue, else 2 to 41 days ahead (never due at `now`).
  const dueOf = (overdue: boolean) => sql`case when ${overdue}::boolean and i % 100 = 0
    then (${classDue} ->> ((i / 100) % 20))::timestamptz
    else ${at}::timestamptz + make_interval(days => 2 + i % 40, hours => i % 9) end`

  const addItems = async (from: number, to: number, overdue: boolean) => {
    // Requests (i % 3 <> 0), accepted half an hour after filing but for every tenth: the response clock
    // closed when accepted, the resolution clock open. A submitted one (never an overdue one) has both open,
    // its response due within the day.
    await db.execute(sql`
      with r as (
        insert into requests (number, xiaoqu_id, channel, text, category, menu_item, urgency, status,
          assignee_staff_id, response_due_at, resolution_due_at, responded_at, created_at, updated_at)
        select 'Q' || ${run} || '-' || i, (${placeIds} ->> ((i / 7) % 5))::int, 'wechat', '楼道灯坏了，晚上看不见路',
               (array['照明', '道路', '绿化', '管线'])[1 + i % 4], '补市政基础设施',
               case when i % 7 = 0 then 'urgent' else 'normal' end,
               case when s.submitted then 'submitted' else 'accepted' end,
               (${requestHolders} ->> (((i / 2000) + i) % 5))::int,
               s.response_due, d.due, case when not s.submitted then s.filed + interval '30 minutes' end,
               s.filed, ${at}::timestamptz
        from generate_series(${from}::int, ${to}::int) as i,
          lateral (select ${dueOf(overdue)} as due) d,
          lateral (select i % 10 = 1 and not (${overdue}::boolean and i % 100 = 0) as submitted) k,
          lateral (
            select k.submitted, f.filed, f.filed + interval '1 day' as response_due
            from (select case when k.submitted
                    then ${at}::timestamptz + make_interval(hours => 1 + i % 20) - interval '1 day'
                    else least(d.due - interval '7 days', ${at}::timestamptz - interval '1 hour') end as filed) f
          ) s
        where i % 3 <> 0
        returning id, number, xiaoqu_id, category, urgency, status, assignee_staff_id, response_due_at,
                  resolution_due_at, responded_at
      )
      insert into watches (item_kind, item_id, label, ref, scope_path, place_name, owner_staff_id, owner_org_id,
        due_at, remind_at, urgent, snoozed_until, closed_at, next_level, next_at)
      select v.kind, r.id, '诉求 ' || r.number || '【' || r.category || '】', r.number, q.path, q.name,
             r.assignee_staff_id, null, v.due, null, r.urgency = 'urgent', null, v.closed_at, v.next_level, v.next_at
      from r
      join xiaoqu q on q.id = r.xiaoqu_id
      left join ${classTable} on c.due_at = r.resolution_due_at
      cross join lateral (values
        ('request-response', r.response_due_at, r.responded_at, 1,
         case when r.status = 'submitted' then r.response_due_at end),
        ('request-resolution', r.resolution_due_at, null::timestamptz, coalesce(c.next_level, 1),
         coalesce(c.next_at, r.resolution_due_at))
      ) as v(kind, due, closed_at, next_level, next_at)`)
    // Tasks (i % 3 = 0), owned by an officer or an organisation, every other one with a reminder a day ahead
    // (already sent when the task is overdue).
    await db.execute(sql`
      with t as (
        insert into tasks (number, xiaoqu_id, title, owner_staff_id, owner_org_id, due_at, remind_at, urgent,
          status, created_by, created_at)
        select 'T' || ${run} || '-' || i, (${placeIds} ->> ((i / 7) % 5))::int,
               (array['更换楼道灯', '外墙保温施工', '雨污管线改造验收', '物业服务协议签约'])[1 + i % 4],
               (${taskStaff} ->> (((i / 2000) + i) % 5))::int, (${taskOrgs} ->> (((i / 2000) + i) % 5))::int,
               d.due, case when i % 2 = 0 then d.due - interval '1 day' end, i % 7 = 0, 'open', ${leader.id}::int,
               least(d.due - interval '10 days', ${at}::timestamptz - interval '1 hour')
        from generate_series(${from}::int, ${to}::int) as i, lateral (select ${dueOf(overdue)} as due) d
        where i % 3 = 0
        returning id, number, title, xiaoqu_id, owner_staff_id, owner_org_id, due_at, remind_at, urgent
      )
      insert into watches (item_kind, item_id, label, ref, scope_path, place_name, owner_staff_id, owner_org_id,
        due_at, remind_at, urgent, snoozed_until, closed_at, next_level, next_at)
      select 'task', t.id, '任务 ' || t.number || '「' || t.title || '」', t.number, q.path, q.name,
             t.owner_staff_id, t.owner_org_id, t.due_at, t.remind_at, t.urgent, null, null,
             coalesce(c.next_level, case when t.remind_at is null then 1 else 0 end),
             coalesce(c.next_at, t.remind_at, t.due_at)
      from t
      join xiaoqu q on q.id = t.xiaoqu_id
      left join ${classTable} on c.due_at = t.due_at`)
    await db.execute(sql`vacuum analyze requests, tasks, watches`)
  }
  // The seed's gigabyte of WAL has Postgres checkpointing for a while after (and writing whole pages to the
  // WAL again on first touch): a tick every minute does not live in that. A checkpoint before the warm-up
  // tick finishes any under way; the warm-up pays the first touches.
  const checkpoint = () =>
    db
      .execute(sql`checkpoint`)
      .catch(() => console.error('overdue-scan: no right to CHECKPOINT, timing anyway'))
  const ours = sql`w.scope_path like ${`${street.path}%`}`
  const counts = async () => {
    const [row] = await rows<{ items: number; watches: number; due: number }>(sql`
      select (select count(*) from requests where number like ${`Q${run}-%`})::int
           + (select count(*) from tasks where number like ${`T${run}-%`})::int as items,
             (select count(*) from watches w where ${ours})::int as watches,
             (select count(*) from watches w where w.next_at <= ${at}::timestamptz)::int as due`)
    return row!
  }

  // What ticks wrote for our items: their nudges, the digest lines and the messages (by dedupe key
  // nudge:<kind>:<id>:<level>:<recipient> of a message's first item).
  const written = sql`
    with n as (select n.* from nudges n join watches w using (item_kind, item_id) where ${ours})`
  const produced = async () => {
    const [row] = await rows<{ nudges: number; messages: number; digest: number }>(sql`${written}
      select (select count(*) from n)::int as nudges,
             (select count(*) from digest_items join n using (item_kind, item_id, level))::int as digest,
             (select count(*) from outbox o join n
                on split_part(o.dedupe_key, ':', 2) = n.item_kind
               and split_part(o.dedupe_key, ':', 3) = n.item_id::text
               and split_part(o.dedupe_key, ':', 4) = n.level::text
              where o.dedupe_key like 'nudge:%')::int as messages`)
    return row!
  }
  const unwrite = () =>
    db.execute(sql`${written},
      o as (
        delete from outbox o using n
        where o.dedupe_key like 'nudge:%' and split_part(o.dedupe_key, ':', 2) = n.item_kind
          and split_part(o.dedupe_key, ':', 3) = n.item_id::text and split_part(o.dedupe_key, ':', 4) = n.level::text),
      d as (delete from digest_items d using n
        where d.item_kind = n.item_kind and d.item_id = n.item_id and d.level = n.level)
      delete from nudges x using n
      where x.item_kind = n.item_kind and x.item_id = n.item_id and x.level = n.level`)
  try {
    const t0 = Date.now()
    // The 1,000 overdue items are among the first 100,000; the rest of a larger start are not due.
    await addItems(1, 100_000, true)
    for (let from = 100_001; from <= small; from += 1_000_000) {
      await addItems(from, Math.min(small, from + 999_999), false)
    }
    const seeded = await counts()
    console.error(
      `overdue-scan: seeded ${seeded.items} items, ${seeded.watches} watches in ${Date.now() - t0} ms`,
    )
    if (seeded.items !== small || seeded.due !== 1_000)
      throw new Error(`expected ${label(small)} of which 1,000 due, got ${JSON.stringify(seeded)}`)
    const start = JSON.stringify(
      await rows<{ k: string; i: number; l: number; at: string }>(sql`
      select w.item_kind as k, w.item_id as i, w.next_level as l, w.next_at as at
      from watches w where w.next_at <= ${at}::timestamptz`),
    )
    const restore = async () => {
      await unwrite()
      await db.execute(sql`
      update watches w set next_level = x.l, next_at = x.at
      from jsonb_to_recordset(${start}::jsonb) as x(k text, i int, l int, at timestamptz)
      where w.item_kind = x.k and w.item_id = x.i`)
      await db.execute(sql`vacuum analyze watches, nudges, outbox, digest_items`)
    }

    let expected: Awaited<ReturnType<typeof produced>> | undefined
    const measure = async (label: string) => {
      const runs: number[] = []
      for (let r = 0; r <= 7; r++) {
        await restore()
        if (r === 0) await checkpoint()
        let sent = 0
        const ms = await time(async () => {
          sent = await db.transaction((tx) => scanOverdue({ ...deps, db: tx }))
        })
        const got = await produced()
        expected ??= got
        if (
          sent !== 1_000 ||
          got.messages === 0 ||
          got.nudges !== 1_000 ||
          got.messages !== expected.messages ||
          got.digest !== expected.digest
        )
          throw new Error(
            `tick ${r} at ${label} sent ${sent}: ${JSON.stringify(got)}, expected 1,000 nudges and ${JSON.stringify(expected)}`,
          )
        if (r > 0) runs.push(ms) // the first is the warm-up
      }
      runs.sort((a, b) => a - b)
      const median = runs[runs.length >> 1]!
      console.error(
        `overdue-scan: ${label}: tick median ${median.toFixed(1)} ms (min ${runs[0]!.toFixed(1)}, max ${runs.at(-1)!.toFixed(1)}), ` +
          `${expected!.nudges} nudges, ${expected!.messages} messages, ${expected!.digest} digest lines per tick`,
      )
      return median
    }

    const baseline = await measure(label(small))
    // 900,000 more open items, none overdue: the overdue count stays at 1,000.
    const t1 = Date.now()
    // In slices of a million: one statement per slice keeps the server's memory bounded at ten million.
    for (let from = small + 1; from <= large; from += 1_000_000) {
      await addItems(from, Math.min(large, from + 999_999), false)
    }
    await restore()
    const grown = await counts()
    const [bytes] = await rows<{ requests: string; tasks: string; watches: string }>(sql`
      select pg_total_relation_size('requests') as requests, pg_total_relation_size('tasks') as tasks,
        pg_total_relation_size('watches') as watches`)
    console.error(
      `overdue-scan: with their indexes, requests ${(Number(bytes!.requests) / 2 ** 20).toFixed(0)} MiB, ` +
        `tasks ${(Number(bytes!.tasks) / 2 ** 20).toFixed(0)} MiB, watches ${(Number(bytes!.watches) / 2 ** 20).toFixed(0)} MiB ` +
        `(${grown.watches} watches)`,
    )
    console.error(
      `overdue-scan: seeded ${grown.items} items, ${grown.watches} watches in ${Date.now() - t1} ms`,
    )
    if (grown.items !== large || grown.due !== 1_000)
      throw new Error(`expected ${label(large)} of which 1,000 due, got ${JSON.stringify(grown)}`)
    const value = await measure(label(large))
    ctx.report({
      name: large === 1_000_000 ? 'overdue-scan' : `overdue-scan-${large / 1_000_000}m`,
      value,
      unit: 'ms',
      baseline,
      ratio: value / baseline,
      database: database.driver,
      baselineLabel: `the same tick at ${label(small)}`,
      target: '< 50 ms, flat',
    })
  } finally {
    await database.close()
  }
}

export const benches: Bench[] = [
  {
    name: 'overdue-scan',
    description: 'Overdue tick at 1,000,000 open items against 100,000',
    databases: ['pglite', 'postgres'],
    run: (ctx) => overdueScan(ctx),
  },
]

/** The same tick at 10,000,000 items against 1,000,000 (issue 15's city scale; `npm run bench -- city`). */
export const overdueScanCity = (ctx: BenchContext) => overdueScan(ctx, 1_000_000, 10_000_000)
