import { and, asc, eq, inArray, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendDigests } from '../../core/nudges/digest'
import { recordRun } from '../../core/nudges/job-runs'
import { scanOverdue } from '../../core/nudges/nudges.usecases'
import * as requests from '../../core/requests/requests.usecases'
import { shanghaiParts } from '../../core/sla/calendar'
import * as tasks from '../../core/tasks/tasks.usecases'
import { type Database, openDatabase } from '../../db/client'
import { jobRuns, nudges, outbox, staff } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { chainOfCommand } from '../support/factories'
import { nudgesOfTasks } from '../support/nudges'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)
const minutes = (n: number) => n * 60_000

/** Runs the two jobs as cron would, for one instance: the scan every tick, the digest at 09:00. */
async function tick(deps: TestDeps) {
  await recordRun(deps.db, deps.clock, 'overdue-scan', () =>
    deps.db.transaction((tx) => scanOverdue({ ...deps, db: tx })),
  )
  const { hour, minute } = shanghaiParts(deps.clock.now())
  if (hour === 9 && minute === 0) {
    await recordRun(deps.db, deps.clock, 'daily-digest', () =>
      deps.db.transaction((tx) => sendDigests({ ...deps, db: tx })),
    )
  }
}

describe.each(drivers)('the nudge ladder on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { start: '2026-04-29T02:00:00Z' })
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it('takes a late request and a late task up the ladder across the Labour Day holiday', async () => {
    deps.clock.set(shanghai('2026-04-29T10:00:00')) // Wednesday
    const { world, leader, supervisor, owner, ownerActor } = await chainOfCommand(deps)
    const task = await tasks.createTask(deps, ownerActor, {
      xiaoquId: world.xiaoqu.id,
      title: '入户测量',
      ownerStaffId: owner.id,
      dueAt: shanghai('2026-04-30T17:30:00'),
      remindAt: shanghai('2026-04-30T09:00:00'),
    })
    const { request } = await requests.fileRequest(deps, {
      text: '楼道灯坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    await requests.acceptRequest(deps, ownerActor, request.number)
    await requests.extendRequest(deps, ownerActor, request.number, {
      resolutionDueAt: shanghai('2026-04-30T17:30:00'),
      reason: '与任务同步办理',
    })

    // Every 15 minutes from Wednesday to the Thursday after the holiday, as cron would.
    for (
      let at = deps.clock.now().getTime();
      at <= shanghai('2026-05-14T12:00:00').getTime();
      at += minutes(15)
    ) {
      deps.clock.set(new Date(at))
      await tick(deps)
    }

    const ours = await deps.db
      .select()
      .from(nudges)
      .where(inArray(nudges.itemId, [task!.id, request.id]))
      .orderBy(asc(nudges.sentAt), asc(nudges.itemKind))
    const seen = ours
      .filter((n) => (n.itemKind === 'task' ? n.itemId === task!.id : n.itemId === request.id))
      .filter((n) => n.itemKind !== 'request-response')
      .map((n) => [n.itemKind, n.level, n.sentAt.toISOString()])
    // 1 May – 5 May is the holiday: the supervisor's rung, one working day after Thursday's deadline, is
    // Wednesday 6 May; leadership's, five working days later, counts Saturday 9 May (a make-up working day)
    // and is Tuesday 12 May. Each fires at the first tick at or after its time.
    expect(seen).toEqual([
      ['task', 0, shanghai('2026-04-30T09:00:00').toISOString()],
      ['request-resolution', 1, shanghai('2026-04-30T17:30:00').toISOString()],
      ['task', 1, shanghai('2026-04-30T17:30:00').toISOString()],
      ['request-resolution', 2, shanghai('2026-05-06T17:30:00').toISOString()],
      ['task', 2, shanghai('2026-05-06T17:30:00').toISOString()],
      ['request-resolution', 3, shanghai('2026-05-12T17:30:00').toISOString()],
      ['task', 3, shanghai('2026-05-12T17:30:00').toISOString()],
    ])
    const messages = await deps.db
      .select()
      .from(outbox)
      .where(
        inArray(outbox.conversationId, [owner.wechatId!, supervisor.staff.wechatId!, leader.staff.wechatId!]),
      )
      .orderBy(asc(outbox.id))
    const who = (id: string) =>
      id === owner.wechatId ? 'owner' : id === supervisor.staff.wechatId ? 'supervisor' : 'leader'
    const nudgeMessages = messages.filter((m) => /【(提醒|催办|催办·抄送|通报|每日汇总)】/.test(m.text))
    // The request and the task fall due in the same tick: each person hears of both in one message.
    expect(
      nudgeMessages.map((m) => [who(m.conversationId), m.text.slice(0, m.text.indexOf('】') + 1)]),
    ).toEqual([
      ['owner', '【提醒】'],
      ['owner', '【催办】'],
      ['supervisor', '【催办·抄送】'],
      // A working day after the deadline the owner is chased again, told the supervisor has a copy.
      ['owner', '【催办】'],
      // Leadership gets both in one digest at 09:00 on the next working day, Wednesday 13 May.
      ['leader', '【每日汇总】'],
    ])
    expect(nudgeMessages[3]!.text).toContain(`此次催办已抄送上级`)
    for (const m of nudgeMessages.slice(1, 4)) {
      expect(m.text).toContain('以下 2 项已超过时限')
      expect(m.text).toContain(request.number)
      expect(m.text).toContain(task!.number)
    }
    expect(nudgeMessages[1]!.text).toContain(`办结 ${request.number}`)
    expect(nudgeMessages[1]!.text).toContain(`完成 ${task!.number}`)
    const digest = nudgeMessages.at(-1)!
    expect(digest.createdAt.toISOString()).toBe(shanghai('2026-05-13T09:00:00').toISOString())
    expect(digest.text).toContain('共 2 项')
    expect(digest.text).toContain(request.number)
    expect(digest.text).toContain(task!.number)
  })
})

describe.each(drivers)('reminders and digests on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { env: { NUDGE_REMIND_BEFORE_HOURS: '{"照明":4}' } })
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it('reminds before a configured category’s deadline, and gives a digest to an officer who chose it, except for urgent items', async () => {
    deps.clock.set(shanghai('2026-03-02T10:00:00')) // Monday
    const { world, owner, ownerActor } = await chainOfCommand(deps)
    await deps.db.update(staff).set({ digest: true }).where(eq(staff.id, owner.id))
    const file = async (text: string) => {
      const { request } = await requests.fileRequest(deps, {
        text,
        xiaoquId: world.xiaoqu.id,
        channel: 'wechat',
        resident: world.resident,
      })
      return requests.acceptRequest(deps, ownerActor, request.number)
    }
    const light = await file('楼道灯坏了') // 照明: resolution in 7 working days, 11 March 10:00
    const leak = await file('楼上跑水了，屋顶在漏水！') // urgent: 24 h
    expect(light.resolutionDueAt.toISOString()).toBe(shanghai('2026-03-11T10:00:00').toISOString())
    const toOwner = async () =>
      (
        await deps.db
          .select()
          .from(outbox)
          .where(eq(outbox.conversationId, owner.wechatId!))
          .orderBy(asc(outbox.id))
      ).map((m) => m.text.slice(0, m.text.indexOf('】') + 1))
    for (
      let at = deps.clock.now().getTime();
      at <= shanghai('2026-03-12T12:00:00').getTime();
      at += minutes(30)
    ) {
      deps.clock.set(new Date(at))
      await tick(deps)
    }
    // The urgent leak comes at once (3 March 10:00). The light's reminder (11 March 06:00) waits for that
    // morning's digest at 09:00, before its deadline; its late nudge (11 March 10:00) for the next one.
    // The leak's second chase, a working day after its deadline (4 March), is urgent too.
    expect(await toOwner()).toEqual(['【催办】', '【催办】', '【每日汇总】', '【每日汇总】'])
    const digests = await deps.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.conversationId, owner.wechatId!), like(outbox.dedupeKey, 'digest:%')))
      .orderBy(asc(outbox.id))
    expect(digests.map((d) => d.createdAt.toISOString())).toEqual([
      shanghai('2026-03-11T09:00:00').toISOString(),
      shanghai('2026-03-12T09:00:00').toISOString(),
    ])
    expect(digests[0]!.text).toContain(`【提醒】诉求 ${light.number}`)
    expect(digests[1]!.text).toContain(`【催办】诉求 ${light.number}`)
    const digest = digests[1]
    expect(digest!.text).not.toContain(leak.number)
  })
})

describe.runIf(process.env.TEST_DATABASE_URL)(
  'two job runners against one Postgres (needs TEST_DATABASE_URL)',
  () => {
    let first: TestDeps
    let second: TestDeps
    let secondDatabase: Database
    beforeAll(async () => {
      first = await createTestDeps('postgres', {
        start: '2026-03-09T00:00:00+08:00',
        env: { NUDGE_SUPERVISOR_AFTER_DAYS: '1', NUDGE_LEADERS_AFTER_DAYS: '2' },
      })
      const url = (first.database as Database & { url?: string }).url!
      secondDatabase = await openDatabase({ url, poolSize: 5 })
      // The second instance: its own connections, the same clock (both read the same wall time).
      second = { ...first, db: secondDatabase.db, database: secondDatabase }
    })
    afterAll(async () => {
      await secondDatabase.close()
      await first.database.close()
    })

    it('over a simulated week nudges every (item, level) exactly once and sends each digest once', async () => {
      const { world, leader, owner, ownerActor } = await chainOfCommand(first)
      // Tasks due Monday to Wednesday at 10:00 and 15:00; one more due next week never comes due.
      const dues = [
        '2026-03-09T10:00',
        '2026-03-09T15:00',
        '2026-03-10T10:00',
        '2026-03-11T15:00',
        '2026-03-19T10:00',
      ]
      const made: tasks.TaskRow[] = []
      for (const [i, due] of dues.entries()) {
        made.push(
          (await tasks.createTask(first, ownerActor, {
            xiaoquId: world.xiaoqu.id,
            title: `任务${i}`,
            ownerStaffId: owner.id,
            dueAt: shanghai(`${due}:00`),
          }))!,
        )
      }
      for (
        let at = first.clock.now().getTime();
        at < shanghai('2026-03-16T00:00:00').getTime();
        at += minutes(10)
      ) {
        first.clock.set(new Date(at))
        await Promise.all([tick(first), tick(second)])
      }
      const rows = await nudgesOfTasks(
        first.db,
        made.map((t) => t.id),
      )
      const levels = (i: number) =>
        rows
          .filter((n) => n.itemId === made[i]!.id)
          .map((n) => n.level)
          .sort()
      // Supervisor one working day after the deadline, leadership two more: Monday's reach leadership on
      // Thursday, Tuesday's on Friday, Wednesday's would on Monday next week.
      expect([0, 1, 2, 3, 4].map(levels)).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2], []])
      const sent = (await first.db.select().from(outbox).where(like(outbox.dedupeKey, 'nudge:%'))).filter(
        (m) => made.some((t) => new RegExp(`${t.number}(?![0-9])`).test(m.text)),
      )
      const perKey = new Map<string, number>()
      for (const m of sent) perKey.set(m.dedupeKey!, (perKey.get(m.dedupeKey!) ?? 0) + 1)
      expect([...perKey.values()].every((n) => n === 1)).toBe(true)
      // Rungs 1 and 2 go as messages (the owner 4 and 4 again, the supervisor 4), each once; rung 3 goes to
      // the digest.
      expect(sent).toHaveLength(12)
      expect(sent.filter((m) => m.conversationId === owner.wechatId)).toHaveLength(8)
      // Leadership's digest: Friday 09:00 with Monday's two (escalated Thursday); Tuesday's escalates on
      // Friday at 10:00 and waits for next Monday's digest.
      const digests = await first.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.conversationId, leader.staff.wechatId!), like(outbox.dedupeKey, 'digest:%')))
        .orderBy(asc(outbox.id))
      expect(digests.map((d) => [d.createdAt.toISOString(), d.text.match(/共 (\d+) 项/)?.[1]])).toEqual([
        [shanghai('2026-03-13T09:00:00').toISOString(), '2'],
      ])
      const runs = await first.db.select().from(jobRuns).where(eq(jobRuns.job, 'overdue-scan'))
      expect(runs.every((r) => r.error === null && r.finishedAt)).toBe(true)
      expect(runs.length).toBeGreaterThanOrEqual(2 * 7 * 24 * 6)
    })
  },
)
