import { asc, eq, sql } from 'drizzle-orm'
import { WechatyBuilder } from 'wechaty'
import * as PUPPET from 'wechaty-puppet'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import type { Connection } from '../../bot/connection'
import { createWechatyTransport } from '../../bot/transport'
import { loadConfig } from '../../config'
import { startOutboxSender, type Transport } from '../../core/outbox/outbox.sender'
import { systemClock } from '../../core/shared/clock'
import { silentLog } from '../../core/shared/log'
import { createNotifier } from '../../core/shared/notifier'
import { type Db, rowsOf } from '../../db/client'
import { outbox } from '../../db/schema'
import { type Bench, type BenchContext, median, openScratch } from '../kit'

const rows = 10_000
/** A drain slower than this is stopped and its rate taken over what it sent (the old claim needed minutes). */
const capMs = Number(process.env.OUTBOX_DRAIN_CAP_MS ?? 60_000)
const rounds = Number(process.env.OUTBOX_DRAIN_ROUNDS ?? 3)

/** The mock account's sends, as WeChat received them: (room, text) in arrival order. */
class RecordingPuppet extends PuppetMock {
  readonly received: { room: string; text: string }[] = []
  override async messageSendText(conversationId: string, text: string) {
    this.received.push({ room: conversationId, text })
    return super.messageSendText(conversationId, text)
  }
}

/**
 * A wechaty on wechaty-puppet-mock in-process, logged in, a member of `groups` rooms, and Gaizao's own
 * transport (bot/transport.ts) over it: what both drains hand their messages to.
 */
async function mockWechat(groups: number) {
  if (!process.env.WECHATY_LOG) PUPPET.log.level('silent')
  const mocker = new mock.Mocker()
  const puppet = new RecordingPuppet({ mocker })
  const botId = 'wxid_bench_bot'
  const bot = mocker.createContact({ id: botId, name: '改造助手' })
  for (let g = 0; g < groups; g++) {
    mocker.createRoom({ id: roomId(g), topic: `居民群${g}`, memberIdList: [botId] })
  }
  const wechaty = WechatyBuilder.build({ puppet })
  await wechaty.start()
  mocker.login(bot)
  for (let i = 0; i < 500 && !wechaty.isLoggedIn; i++) await new Promise((r) => setTimeout(r, 10))
  if (!wechaty.isLoggedIn) throw new Error('the mock account did not log in')
  // Every room's payload loaded once, so neither drain pays for the first look at a room.
  for (let g = 0; g < groups; g++) await wechaty.Room.find({ id: roomId(g) })
  const connection = {
    current: () => wechaty,
    ready: () => wechaty.isLoggedIn,
  } as unknown as Connection
  const transport = createWechatyTransport(connection, async () => undefined)
  return { puppet, transport, stop: () => wechaty.stop() }
}

const roomId = (g: number) => `bench-${g}@chatroom`

/** 10,000 due rows, message i to group i mod `groups` (interleaved, as filings arrive), each text numbered. */
async function seed(db: Db, groups: number) {
  await db.execute(sql`truncate outbox restart identity`)
  await db.execute(sql`
    insert into outbox (conversation_id, is_room, text, priority, not_before, created_at)
    select 'bench-' || (i % ${groups}::int) || '@chatroom', 1, '【通知】第' || i || '条', 'normal',
           now() - interval '1 minute', now()
    from generate_series(0, ${rows - 1}::int) as i`)
  await db.execute(sql`vacuum analyze outbox`)
}

/** Every group got its messages once each and in the order written (the number in the text rises). */
function checkOrder(received: { room: string; text: string }[], expected: number) {
  const last = new Map<string, number>()
  const seen = new Set<number>()
  for (const { room, text } of received) {
    const n = Number(/第(\d+)条/.exec(text)?.[1])
    if (seen.has(n)) throw new Error(`message ${n} sent twice`)
    seen.add(n)
    if ((last.get(room) ?? -1) >= n) throw new Error(`${room}: message ${n} after ${last.get(room)}`)
    last.set(room, n)
  }
  if (received.length !== expected) throw new Error(`sent ${received.length} messages, expected ${expected}`)
}

async function statusCounts(db: Db) {
  const result = await db.execute(sql`select status, count(*)::int as n from outbox group by status`)
  return Object.fromEntries(rowsOf<{ status: string; n: number }>(result).map((r) => [r.status, Number(r.n)]))
}

/**
 * The bare drain: pending rows in id order, 100 at a time, each handed to the same transport and marked
 * sent with one prepared UPDATE. No leases, no pacing, no per-group rule beyond id order.
 */
async function bareDrain(db: Db, transport: Transport) {
  const next = db
    .select()
    .from(outbox)
    .where(eq(outbox.status, 'pending'))
    .orderBy(asc(outbox.id))
    .limit(100)
    .prepare('bench_bare_next')
  const sent = db
    .update(outbox)
    .set({ status: 'sent', sentAt: sql`now()` })
    .where(eq(outbox.id, sql.placeholder('id')))
    .prepare('bench_bare_sent')
  const start = performance.now()
  let count = 0
  for (;;) {
    const batch = await next.execute()
    if (batch.length === 0) break
    for (const row of batch) {
      await transport.send(row)
      await sent.execute({ id: row.id })
      count++
    }
  }
  return { count, ms: performance.now() - start }
}

/**
 * Gaizao's drain: the sender the app runs (startOutboxSender, for its account), pacing off, until every row is settled
 * (or `capMs` passed: then the rate over what it sent).
 */
async function gaizaoDrain(db: Db, transport: Transport) {
  const config = loadConfig({
    SEND_MIN_GAP_MS: '0',
    SEND_RATE_PER_MINUTE: '0',
    SEND_DAILY_CAP: '0',
    SEND_JITTER_MS: '0',
    QUIET_HOURS: 'off',
    OUTBOX_POLL_MS: '20',
  })
  let delivered = 0
  let done: () => void = () => {}
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const counting: Transport = {
    ready: transport.ready,
    async send(row) {
      await transport.send(row)
      if (++delivered === rows) done()
    },
  }
  const start = performance.now()
  const sender = startOutboxSender(
    { db, clock: systemClock, config, log: silentLog, outboxSignal: createNotifier() },
    counting,
    // As the bot runs it: every sender speaks for an account (the one-account deployment's `default`).
    { account: 'default' },
  )
  const timer = setTimeout(done, capMs)
  await finished
  clearTimeout(timer)
  await sender.stop()
  const ms = performance.now() - start
  return { count: delivered, ms, capped: delivered < rows }
}

/**
 * Draining a backlog of 10,000 rows through Gaizao's transport over a mock WeChat account in-process: in
 * 5 groups (2,000 each) and in 10,000 groups (one each). Gaizao's sender (leases, per-group order, lease
 * recovery, the claim) against a bare loop over the same transport and database. Both are checked: every
 * message once, in order per group, every row `sent`. Reported: Gaizao's msg/s, the bare drain's msg/s,
 * ratio = Gaizao / bare (higher is better; the target is ≥ 0.5). Median of `OUTBOX_DRAIN_ROUNDS` rounds.
 */
async function outboxDrain(ctx: BenchContext) {
  const database = await openScratch(ctx.url, 'drain', 4)
  const { db } = database
  try {
    const only = process.env.OUTBOX_DRAIN_GROUPS
    for (const groups of [5, 10_000].filter((g) => !only || String(g) === only)) {
      const wechat = await mockWechat(groups)
      try {
        const bare: number[] = []
        const gaizao: number[] = []
        for (let round = 0; round < rounds; round++) {
          await seed(db, groups)
          wechat.puppet.received.length = 0
          const b = await bareDrain(db, wechat.transport)
          checkOrder(wechat.puppet.received, rows)
          if ((await statusCounts(db)).sent !== rows) throw new Error('bare drain left rows unsent')
          bare.push((b.count / b.ms) * 1000)

          await seed(db, groups)
          wechat.puppet.received.length = 0
          const g = await gaizaoDrain(db, wechat.transport)
          checkOrder(wechat.puppet.received, g.count)
          const counts = await statusCounts(db)
          if (!g.capped && counts.sent !== rows) throw new Error(`Gaizao left ${JSON.stringify(counts)}`)
          gaizao.push((g.count / g.ms) * 1000)
          ctx.log(
            `${groups} groups, round ${round + 1}: bare ${bare.at(-1)!.toFixed(0)} msg/s, Gaizao ${gaizao.at(-1)!.toFixed(1)} msg/s${g.capped ? ` (stopped after ${capMs} ms: ${g.count} sent)` : ''}`,
          )
        }
        const value = median(gaizao)
        const baseline = median(bare)
        ctx.report({
          name: `outbox-drain-${groups === 5 ? '5-groups' : '10k-groups'}`,
          value,
          unit: 'msg/s (ratio Gaizao/bare, higher is better)',
          baseline,
          ratio: value / baseline,
          database: database.driver,
          baselineLabel: 'bare drain, same transport',
          target: '≥ 0.5× (Gaizao/bare)',
        })
      } finally {
        await wechat.stop()
      }
    }
  } finally {
    await database.close()
  }
}

export const benches: Bench[] = [
  {
    name: 'outbox-drain',
    description:
      "10,000 rows in 5 and in 10,000 groups drained by Gaizao's sender over a mock wechaty, against a bare drain over the same transport",
    databases: ['pglite', 'postgres'],
    run: outboxDrain,
  },
]
