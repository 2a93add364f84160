import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../config'
import { handleInbound } from '../../core/chat/chat.usecases'
import { createClassifier } from '../../core/classify/classifier'
import { demoResidents, demoXiaoqu } from '../../core/demo/demo.data'
import { seedDemoCommunity } from '../../core/demo/demo.seed'
import { createTestClock } from '../../core/shared/clock'
import { silentLog } from '../../core/shared/log'
import { createNotifier } from '../../core/shared/notifier'
import { useTokenSecret } from '../../core/shared/tokens'
import { createReloadableCalendar } from '../../core/sla/calendar-store'
import { ensureAdmin } from '../../core/staff/staff.usecases'
import { openDatabase } from '../../db/client'
import { inboundMessages } from '../../db/schema'

import { type Bench, type BenchContext, time } from '../kit'

const fixtures = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'requests-labelled.json'), 'utf8'),
) as { text: string }[]

// Staff tokens are hashed under a key; the bench's own databases need any fixed one.
useTokenSecret('bench-secret-for-hashing-staff-tokens-0000')

/**
 * A resident's message filed end to end (dedupe row, resident, classification, deadlines, request, event,
 * officers' notice, reply in the outbox, one transaction) against a bare insert of the inbound row.
 */
async function fileRequest(ctx: BenchContext) {
  const url = ctx.url
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
  ctx.report({
    name: 'file-request',
    value: value / n,
    unit: 'ms/message',
    baseline: baseline / n,
    ratio: value / baseline,
    database: database.driver,
  })
  await database.close()
}

export const benches: Bench[] = [
  {
    name: 'file-request',
    description: 'Filing from chat against bare inserts of the inbound row',
    databases: ['pglite', 'postgres'],
    run: fileRequest,
  },
]
