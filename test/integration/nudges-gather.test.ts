import { and, asc, eq, like } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanOverdue } from '../../core/nudges/nudges.usecases'
import * as tasks from '../../core/tasks/tasks.usecases'
import { nudges, outbox, watches } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { chainOfCommand } from '../support/factories'
import { nudgesOfTasks } from '../support/nudges'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

const makeTasks = async (
  deps: TestDeps,
  chain: Awaited<ReturnType<typeof chainOfCommand>>,
  count: number,
  dueAt: Date,
  urgent = false,
) => {
  const made: tasks.TaskRow[] = []
  for (let i = 0; i < count; i++) {
    made.push(
      (await tasks.createTask(deps, chain.ownerActor, {
        xiaoquId: chain.world.xiaoqu.id,
        title: `${urgent ? '抢修' : '巡查'}${i + 1}`,
        ownerStaffId: chain.owner.id,
        dueAt,
        urgent,
      }))!,
    )
  }
  return made
}

/** Nudge messages to the chain's owner, oldest first. */
const toOwner = async (deps: TestDeps, chain: Awaited<ReturnType<typeof chainOfCommand>>) =>
  deps.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.conversationId, chain.owner.wechatId!), like(outbox.dedupeKey, 'nudge:%')))
    .orderBy(asc(outbox.id))

describe.each(drivers)('one message per person and tick on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { start: '2026-03-02T02:00:00Z' }) // Monday 2 March, 10:00
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const scan = () => deps.db.transaction((tx) => scanOverdue({ ...deps, db: tx }))

  it('gathers what falls due together into one message, lists 15 and counts the rest, and keeps urgent apart', async () => {
    deps.clock.set(shanghai('2026-03-02T10:00:00'))
    const chain = await chainOfCommand(deps)
    const due = shanghai('2026-03-03T18:00:00')
    const calm = await makeTasks(deps, chain, 17, due)
    const [urgent] = await makeTasks(deps, chain, 1, due, true)
    deps.clock.set(shanghai('2026-03-03T18:01:00'))
    expect(await scan()).toBe(18)
    expect(await scan()).toBe(0)

    const sent = await toOwner(deps, chain)
    expect(sent.map((m) => m.priority)).toEqual(['normal', 'urgent'])
    const [list, alone] = sent as [(typeof sent)[0], (typeof sent)[0]]
    expect(list.text.split('\n')[0]).toBe('【催办】以下 17 项已超过时限，请尽快办理：')
    for (const t of calm.slice(0, 15)) expect(list.text).toContain(`完成 ${t.number}"`)
    for (const t of calm.slice(15)) expect(list.text).not.toContain(`${t.number}「`)
    expect(list.text).toContain('……另有 2 项')
    // One item alone keeps the full wording.
    expect(alone.text).toContain(`【催办】任务 ${urgent!.number}`)
    expect(alone.text).toContain(`请尽快完成：发"完成 ${urgent!.number}"`)
    // Every item still has its own (item, level) record.
    const records = await nudgesOfTasks(
      deps.db,
      [...calm, urgent!].map((t) => t.id),
    )
    expect(records.map((r) => r.level)).toEqual(Array(18).fill(1))
    // Done: their clocks stop, and they climb no further.
    for (const t of [...calm, urgent!]) await tasks.completeTask(deps, chain.ownerActor, t.number)
  })

  it('when a racing tick has claimed some rungs, tells only of its own', async () => {
    deps.clock.set(shanghai('2026-03-09T10:00:00'))
    const chain = await chainOfCommand(deps)
    const [first, second, third] = await makeTasks(deps, chain, 3, shanghai('2026-03-10T18:00:00'))
    // Another instance's tick got to the first one's owner rung already.
    await deps.db
      .insert(nudges)
      .values({ itemKind: 'task', itemId: first!.id, level: 1, sentAt: shanghai('2026-03-10T18:00:30') })
    deps.clock.set(shanghai('2026-03-10T18:01:00'))
    expect(await scan()).toBe(2)
    const sent = await toOwner(deps, chain)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toContain('以下 2 项')
    expect(sent[0]!.text).toContain(second!.number)
    expect(sent[0]!.text).toContain(third!.number)
    expect(sent[0]!.text).not.toContain(`${first!.number}「`)
    // All three moved on to the supervisor's rung all the same.
    expect(await scan()).toBe(0)
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)(
  'a deadline moved while a tick runs (needs TEST_DATABASE_URL)',
  () => {
    let deps: TestDeps
    let other: postgres.Sql
    beforeAll(async () => {
      deps = await createTestDeps('postgres', { start: '2026-03-02T02:00:00Z' })
      other = postgres((deps.database as { url?: string }).url!, { max: 1, onnotice: () => {} })
    })
    afterAll(async () => {
      await other.end()
      await deps.database.close()
    })

    it('keeps the new schedule rather than the tick’s stale move', async () => {
      deps.clock.set(shanghai('2026-03-02T10:00:00'))
      const chain = await chainOfCommand(deps)
      const [task] = await makeTasks(deps, chain, 1, shanghai('2026-03-03T18:00:00'))
      deps.clock.set(shanghai('2026-03-03T18:01:00'))
      const extended = shanghai('2026-03-20T18:00:00')
      let tick: Promise<number> | undefined
      // Another session moves the deadline, as extending the task would, and commits only once the tick has
      // read the old one and is waiting on the row.
      await other.begin(async (tx) => {
        await tx`update watches set due_at = ${extended}, next_level = 1, next_at = ${extended}
                 where item_kind = 'task' and item_id = ${task!.id}`
        tick = deps.db.transaction((t) => scanOverdue({ ...deps, db: t }))
        // Until the tick waits on this transaction's row lock.
        for (let i = 0; i < 100; i++) {
          const [row] = await tx`select count(*)::int as n from pg_locks
                                 where not granted and transactionid = pg_current_xact_id()::xid`
          if (row!.n > 0) break
          await new Promise((r) => setTimeout(r, 20))
        }
      })
      // The tick read the deadline as passed, but the watch changed under it: it chases nothing and moves
      // nothing, and the new deadline's ladder stands.
      expect(await tick).toBe(0)
      expect(await toOwner(deps, chain)).toEqual([])
      const [watch] = await deps.db
        .select()
        .from(watches)
        .where(and(eq(watches.itemKind, 'task'), eq(watches.itemId, task!.id)))
      expect(watch!.nextAt?.toISOString()).toBe(extended.toISOString())
      expect(watch!.nextLevel).toBe(1)
    })
  },
)
