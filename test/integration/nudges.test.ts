import { readFile } from 'node:fs/promises'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendDigests } from '../../core/nudges/digest'
import { recordRun } from '../../core/nudges/job-runs'
import { scanOverdue } from '../../core/nudges/nudges.usecases'
import * as requests from '../../core/requests/requests.usecases'
import { digestItems, jobRuns, nudges, outbox, watches } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { chainOfCommand, makeWorld } from '../support/factories'
import { nudgeMessagesAbout } from '../support/nudges'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

describe.each(drivers)('nudging overdue requests on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { start: '2026-03-06T09:30:00Z' }) // Friday 6 March, 17:30
  })
  afterAll(async () => {
    await deps.database.close()
  })

  /** Nudge messages naming one request: to whom, at which level. */
  const sentTo = async (number: string) =>
    (await nudgeMessagesAbout(deps.db, number)).map(({ to, level }) => ({ to, level }))
  const scan = () => deps.db.transaction((tx) => scanOverdue({ ...deps, db: tx }))
  const digest = () => deps.db.transaction((tx) => sendDigests({ ...deps, db: tx }))

  it('climbs owner → supervisor → leadership at working-day steps, each once, and stops when resolved', async () => {
    deps.clock.set(shanghai('2026-03-06T17:30:00'))
    const { world, leader, supervisor, owner } = await chainOfCommand(deps)
    const { request } = await requests.fileRequest(deps, {
      text: '楼道灯坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    await requests.acceptRequest(deps, { kind: 'staff', staff: owner!, via: 'wechat' }, request.number)
    // Resolution due in 7 working days: Tuesday 17 March, 17:30.
    expect(request.resolutionDueAt.toISOString()).toBe(shanghai('2026-03-17T17:30:00').toISOString())

    deps.clock.set(shanghai('2026-03-17T17:29:00'))
    await scan()
    expect(await sentTo(request.number)).toEqual([])
    deps.clock.set(shanghai('2026-03-17T17:31:00'))
    await scan()
    await scan()
    expect(await sentTo(request.number)).toEqual([{ to: owner!.wechatId, level: 1 }])
    deps.clock.set(shanghai('2026-03-18T17:31:00')) // one working day later: the supervisor
    await scan()
    // The supervisor gets a copy, and the owner is chased again, told who has it.
    expect(await sentTo(request.number)).toEqual([
      { to: owner!.wechatId, level: 1 },
      { to: supervisor.staff.wechatId, level: 2 },
      { to: owner!.wechatId, level: 2 },
    ])
    const [, copy, again] = await nudgeMessagesAbout(deps.db, request.number)
    expect(copy!.text).toMatch(/^【催办·抄送】/)
    expect(copy!.text).toContain('请督促承办人尽快办理')
    expect(again!.text).toMatch(/^【催办】/)
    expect(again!.text).toContain(`此次催办已抄送${supervisor.staff.name}`)
    deps.clock.set(shanghai('2026-03-25T17:29:00')) // five more working days end 25 March, 17:30
    await scan()
    expect((await sentTo(request.number)).map((n) => n.level)).toEqual([1, 2, 2])
    deps.clock.set(shanghai('2026-03-25T17:31:00'))
    await scan()
    // Leadership hears of it in the next morning's digest, not by a message of its own.
    expect((await sentTo(request.number)).map((n) => n.level)).toEqual([1, 2, 2])
    const pending = await deps.db.select().from(digestItems).where(eq(digestItems.staffId, leader.staff.id))
    expect(pending.map((d) => d.line)).toEqual([expect.stringContaining(`【通报】诉求 ${request.number}`)])
    deps.clock.set(shanghai('2026-03-26T09:00:00'))
    await digest()
    await digest()
    const digests = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, leader.staff.wechatId!))
    expect(digests).toHaveLength(1)
    expect(digests[0]!.text).toContain('【每日汇总】2026-03-26，共 1 项')
    expect(digests[0]!.text).toContain(request.number)

    const other = await requests.fileRequest(deps, {
      text: '门禁坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    await requests.resolveRequest(deps, world.officer.actor, other.request.number, '已修好')
    deps.clock.set(shanghai('2026-04-30T10:00:00'))
    await scan()
    expect(await sentTo(other.request.number)).toEqual([])
  })

  it("tells the officers' group when nobody holds the request, and skips weekends unless urgent", async () => {
    deps.clock.set(shanghai('2026-03-06T17:30:00'))
    const world = await makeWorld(deps)
    const calm = await requests.fileRequest(deps, {
      text: '绿化带杂草多',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    const urgent = await requests.fileRequest(deps, {
      text: '楼上跑水了，屋顶在漏水！',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    deps.clock.set(shanghai('2026-03-07T10:00:00')) // Saturday: the urgent one's 2 h are long gone
    await scan()
    expect(await sentTo(calm.request.number)).toEqual([])
    expect(await sentTo(urgent.request.number)).toEqual([{ to: world.officersRoomId, level: 1 }])
    deps.clock.set(shanghai('2026-03-09T17:31:00')) // Monday, after the calm one's response deadline
    await scan()
    expect(await sentTo(calm.request.number)).toEqual([{ to: world.officersRoomId, level: 1 }])
  })

  it('nudges once when two scans race, and records every run', async () => {
    deps.clock.set(shanghai('2026-03-10T09:00:00'))
    const world = await makeWorld(deps)
    const { request } = await requests.fileRequest(deps, {
      text: '单元门坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    deps.clock.set(shanghai('2026-03-11T10:00:00')) // an hour past the response deadline: the first rung only
    await Promise.all([
      recordRun(deps.db, deps.clock, 'overdue-scan', scan),
      recordRun(deps.db, deps.clock, 'overdue-scan', scan),
    ])
    expect(await sentTo(request.number)).toHaveLength(1)
    expect(await deps.db.select().from(nudges).where(eq(nudges.itemId, request.id))).toHaveLength(1)
    const runs = await deps.db.select().from(jobRuns).where(eq(jobRuns.job, 'overdue-scan'))
    expect(runs.length).toBeGreaterThanOrEqual(2)
    expect(runs.every((r) => r.finishedAt && r.error === null)).toBe(true)
  })

  it('watches requests filed before the engine moved to watches (migration 0013)', async () => {
    deps.clock.set(shanghai('2026-03-10T09:00:00'))
    const world = await makeWorld(deps)
    const { request } = await requests.fileRequest(deps, {
      text: '单元门坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    // As a database from before 0011 would have it: the request, no watches.
    await deps.db.delete(watches).where(eq(watches.itemId, request.id))
    const migration = await readFile(
      new URL('../../db/migrations/0013_backfill_watches.sql', import.meta.url),
      'utf8',
    )
    for (const statement of migration.split('--> statement-breakpoint'))
      await deps.db.execute(sql.raw(statement))
    const rows = await deps.db.select().from(watches).where(eq(watches.itemId, request.id))
    expect(rows.map((w) => [w.itemKind, w.ref, w.nextAt?.toISOString()]).sort()).toEqual([
      ['request-resolution', request.number, request.resolutionDueAt.toISOString()],
      ['request-response', request.number, request.responseDueAt.toISOString()],
    ])
    deps.clock.set(shanghai('2026-03-11T10:00:00'))
    await scan()
    expect(await sentTo(request.number)).toEqual([{ to: world.officersRoomId, level: 1 }])
  })
})
