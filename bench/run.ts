import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Jieba } from '@node-rs/jieba'
import { dict } from '@node-rs/jieba/dict'
import { sql } from 'drizzle-orm'
import { loadConfig } from '../config'
import { handleInbound } from '../core/chat/chat.usecases'
import { createClassifier } from '../core/classify/classifier'
import { demoResidents, demoXiaoqu } from '../core/demo/demo.data'
import { seedDemoCommunity } from '../core/demo/demo.seed'
import { enqueueToScope } from '../core/notices/broadcast.repository'
import { scanOverdue } from '../core/nudges/nudges.usecases'
import { createTestClock } from '../core/shared/clock'
import { silentLog } from '../core/shared/log'
import { createNotifier } from '../core/shared/notifier'
import { createReloadableCalendar } from '../core/sla/calendar-store'
import { ensureAdmin } from '../core/staff/staff.usecases'
import { openDatabase, rowsOf } from '../db/client'
import { inboundMessages } from '../db/schema'

interface Result {
  name: string
  value: number
  unit: string
  baseline: number
  ratio: number
  database: string
}

const resultsDir = join(import.meta.dirname, 'results')
const fixtures = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'requests-labelled.json'), 'utf8'),
) as { text: string }[]

function report(result: Result) {
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`)
  console.log(JSON.stringify(result))
}

const time = async (work: () => Promise<unknown> | unknown) => {
  const start = process.hrtime.bigint()
  await work()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** Classifying a message against segmenting it with a bare jieba: the cost of the dictionary on top. */
async function classify() {
  const classifier = createClassifier()
  const jieba = Jieba.withDict(dict)
  const texts = fixtures.map((f) => f.text)
  const rounds = 40
  for (const t of texts) classifier.classify(t)
  const baseline = await time(() => {
    for (let r = 0; r < rounds; r++) for (const t of texts) jieba.cut(t)
  })
  const value = await time(() => {
    for (let r = 0; r < rounds; r++) for (const t of texts) classifier.classify(t)
  })
  const n = rounds * texts.length
  report({
    name: 'classify',
    value: (value * 1000) / n,
    unit: 'µs/message',
    baseline: (baseline * 1000) / n,
    ratio: value / baseline,
    database: 'none',
  })
}

/**
 * A resident's message filed end to end (dedupe row, resident, classification, deadlines, request, event,
 * officers' notice, reply in the outbox, one transaction) against a bare insert of the inbound row.
 */
async function fileRequest() {
  const url = process.env.BENCH_DATABASE_URL
  const database = await openDatabase({ url })
  const clock = createTestClock('2026-03-02T02:00:00Z')
  await ensureAdmin(database.db, undefined, clock.now())
  await seedDemoCommunity(database.db, clock.now())
  const deps = {
    db: database.db,
    clock,
    config: loadConfig({}),
    classifier: createClassifier(),
    calendar: createReloadableCalendar(),
    log: silentLog,
    outboxSignal: createNotifier(),
  }
  const n = 500
  const run = `${Date.now()}`
  const baseline = await time(async () => {
    for (let i = 0; i < n; i++) {
      await database.db.insert(inboundMessages).values({
        messageId: `base-${run}-${i}`,
        senderId: 'x',
        text: fixtures[i % fixtures.length]!.text,
        receivedAt: clock.now(),
      })
    }
  })
  const place = demoXiaoqu[0]!
  const people = demoResidents.filter((r) => r.xiaoquKey === place.key)
  const value = await time(async () => {
    for (let i = 0; i < n; i++) {
      const who = people[i % people.length]!
      await handleInbound(deps, {
        id: `bench-${run}-${i}`,
        roomId: place.roomId,
        roomTopic: place.topic,
        senderId: who.id,
        senderName: who.name,
        text: `@改造助手 ${fixtures[i % fixtures.length]!.text}`,
        mentionsSelf: true,
      })
    }
  })
  report({
    name: 'file-request',
    value: value / n,
    unit: 'ms/message',
    baseline: baseline / n,
    ratio: value / baseline,
    database: database.driver,
  })
  await database.close()
}

/**
 * One notice enqueued to 10,000 groups of a scope (dedupe keys, batch, parts) against a bare
 * INSERT … SELECT of 10,000 outbox rows, in the same run and database.
 */
async function broadcast() {
  const database = await openDatabase({ url: process.env.BENCH_DATABASE_URL })
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
  report({
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

/**
 * One overdue-scan tick (find and enqueue nudges) with 1,000 overdue requests among 100,000 open ones,
 * then among 1,000,000: `value` is the tick at 1,000,000, `baseline` at 100,000. The cost must follow the
 * overdue items, not the total.
 */
async function overdueScan() {
  const database = await openDatabase({ url: process.env.BENCH_DATABASE_URL })
  const { db } = database
  const now = new Date('2026-03-12T02:00:00Z')
  const clock = createTestClock(now)
  await ensureAdmin(db, undefined, now)
  const [community] = rowsOf<{ id: number }>(
    await db.execute(
      sql`insert into areas (kind, name, path) values ('community', ${`bench-${Date.now()}`}, '/b/') returning id`,
    ),
  )
  const [place] = rowsOf<{ id: number }>(
    await db.execute(
      sql`insert into xiaoqu (community_id, name, path) values (${community!.id}, ${`bench-${Date.now()}`}, '/b/x/') returning id`,
    ),
  )
  const addOpen = (from: number, to: number, overdueEvery: number) =>
    db.execute(sql`
      insert into requests (number, xiaoqu_id, channel, text, category, menu_item, urgency, status, response_due_at, resolution_due_at)
      select 'B' || ${Date.now()} || '-' || i, ${place!.id}, 'api', '楼道灯坏了', '照明', '补市政基础设施', 'normal', 'accepted',
             ${now.toISOString()}::timestamptz - interval '1 day',
             case when i % ${overdueEvery}::int = 0 then ${now.toISOString()}::timestamptz - interval '2 hours'
                  else ${now.toISOString()}::timestamptz + interval '5 days' end
      from generate_series(${from}::int, ${to}::int) as i`)
  const deps = { db, clock, config: loadConfig({}), calendar: createReloadableCalendar() }
  const tick = async () => {
    await db.execute(sql`delete from nudges`)
    await db.execute(sql`delete from outbox where dedupe_key like 'nudge:%'`)
    await db.execute(sql`analyze requests`)
    return time(() => db.transaction((tx) => scanOverdue({ ...deps, db: tx })))
  }
  await addOpen(1, 100_000, 100)
  await tick() // warm-up
  const baseline = await tick()
  // 900,000 more open requests, none overdue: the overdue count stays at 1,000.
  await addOpen(100_001, 1_000_000, 1_000_000_000)
  await tick()
  const value = await tick()
  report({
    name: 'overdue-scan',
    value,
    unit: 'ms',
    baseline,
    ratio: value / baseline,
    database: database.driver,
  })
  await db.execute(sql`delete from nudges`)
  await db.execute(sql`delete from outbox where dedupe_key like 'nudge:%'`)
  await db.execute(sql`delete from requests where xiaoqu_id = ${place!.id}`)
  await db.execute(sql`delete from xiaoqu where id = ${place!.id}`)
  await db.execute(sql`delete from areas where id = ${community!.id}`)
  await database.close()
}

const benches: Record<string, () => Promise<void>> = {
  'overdue-scan': overdueScan,
  classify,
  'file-request': fileRequest,
  broadcast,
}
const wanted = process.argv.slice(2).filter((a) => a !== '--')
const names = wanted.length > 0 ? wanted : Object.keys(benches)
for (const name of names) {
  const bench = benches[name]
  if (!bench) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}`)
    process.exit(1)
  }
  await bench()
}
