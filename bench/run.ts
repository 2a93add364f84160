import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Jieba } from '@node-rs/jieba'
import { dict } from '@node-rs/jieba/dict'
import { loadConfig } from '../config'
import { handleInbound } from '../core/chat/chat.usecases'
import { createClassifier } from '../core/classify/classifier'
import { demoResidents, demoXiaoqu } from '../core/demo/demo.data'
import { seedDemoCommunity } from '../core/demo/demo.seed'
import { createTestClock } from '../core/shared/clock'
import { silentLog } from '../core/shared/log'
import { createNotifier } from '../core/shared/notifier'
import { createReloadableCalendar } from '../core/sla/calendar-store'
import { ensureAdmin } from '../core/staff/staff.usecases'
import { openDatabase } from '../db/client'
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

const benches: Record<string, () => Promise<void>> = { classify, 'file-request': fileRequest }
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
