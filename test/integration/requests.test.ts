import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findOrCreateOfflineResident } from '../../core/people/residents'
import * as useCases from '../../core/requests/requests.usecases'
import { auditLog, outbox, requestEvents } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('request use cases on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it('files a classified request with deadlines from the working calendar and tells the officers group', async () => {
    const world = await makeWorld(deps)
    // Friday 6 March 2026, 17:30 Shanghai: 7 working days later is Tuesday 17 March, 17:30.
    deps.clock.set(new Date('2026-03-06T09:30:00Z'))
    const { request } = await useCases.fileRequest(deps, {
      text: '3号楼2单元楼道灯坏了，晚上黑乎乎的',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
      groupId: world.group.id,
    })
    expect(request.number).toMatch(/^Q\d{4,}$/)
    expect(request.category).toBe('照明')
    expect(request.menuItem).toBe('补市政基础设施')
    expect(request.urgency).toBe('normal')
    expect(request.resolutionDueAt.toISOString()).toBe('2026-03-17T09:30:00.000Z')
    const toOfficers = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, world.officersRoomId))
    expect(toOfficers).toHaveLength(1)
    expect(toOfficers[0]!.text).toContain(request.number)
  })

  it('gives urgent requests hour deadlines', async () => {
    const world = await makeWorld(deps)
    deps.clock.set(new Date('2026-03-07T02:00:00Z'))
    const { request } = await useCases.fileRequest(deps, {
      text: '楼上跑水了，我家天花板一直在漏水！',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    expect(request.urgency).toBe('urgent')
    expect(request.responseDueAt.getTime() - deps.clock.now().getTime()).toBe(2 * 3600_000)
  })

  it('runs accept → resolve → unsatisfied (reopens) → resolve → satisfied, with events and audit', async () => {
    const world = await makeWorld(deps)
    const { request } = await useCases.fileRequest(deps, {
      text: '小区门口的路灯不亮了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
      groupId: world.group.id,
    })
    const accepted = await useCases.acceptRequest(deps, world.officer.actor, request.number)
    expect(accepted.status).toBe('accepted')
    expect(accepted.assigneeStaffId).toBe(world.officer.staff.id)
    expect(accepted.respondedAt).not.toBeNull()
    await expect(useCases.acceptRequest(deps, world.officer.actor, request.number)).rejects.toMatchObject({
      code: 'requests.wrong_status',
      status: 409,
    })
    await expect(
      useCases.rateRequest(deps, world.resident, request.number, 'satisfied'),
    ).rejects.toMatchObject({ code: 'requests.not_resolved' })
    await useCases.resolveRequest(deps, world.officer.actor, request.number, '已更换灯泡')
    await expect(
      useCases.rateRequest(deps, world.resident, request.number, 'unsatisfied'),
    ).rejects.toMatchObject({ code: 'requests.reason_required' })
    const reopened = await useCases.rateRequest(
      deps,
      world.resident,
      request.number,
      'unsatisfied',
      '还是不亮',
    )
    expect(reopened.status).toBe('accepted')
    await useCases.resolveRequest(deps, world.officer.actor, request.number, '更换了整条线路')
    const closed = await useCases.rateRequest(deps, world.resident, request.number, 'satisfied')
    expect(closed).toMatchObject({ status: 'closed', rating: 'satisfied' })
    const events = await deps.db.select().from(requestEvents).where(eq(requestEvents.requestId, request.id))
    expect(events.map((e) => e.kind)).toEqual([
      'filed',
      'accepted',
      'resolved',
      'rated',
      'reopened',
      'resolved',
      'rated',
    ])
    const audits = await deps.db.select().from(auditLog).where(eq(auditLog.entityId, request.number))
    expect(audits.map((a) => a.action)).toEqual(['request.accept', 'request.resolve', 'request.resolve'])
    const toGroup = await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.roomId))
    expect(toGroup.map((m) => m.mentions[0]?.id)).toEqual(toGroup.map(() => world.resident.wechatId))
    expect(toGroup.some((m) => m.text.includes('已办结') && m.text.includes(`满意 ${request.number}`))).toBe(
      true,
    )
  })

  it('refuses rating by anyone but the author, and officers outside their scope', async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const { request } = await useCases.fileRequest(deps, {
      text: '单元门禁坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    await expect(useCases.acceptRequest(deps, other.officer.actor, request.number)).rejects.toMatchObject({
      status: 403,
    })
    await useCases.resolveRequest(deps, world.officer.actor, request.number, '已修好')
    // A resident of another xiaoqu is told nothing about the number; one of the same xiaoqu is told why.
    await expect(
      useCases.rateRequest(deps, other.resident, request.number, 'satisfied'),
    ).rejects.toMatchObject({ code: 'requests.not_found' })
    await expect(
      useCases.rateRequest(deps, other.resident, request.number, 'satisfied', undefined, {
        xiaoquId: world.xiaoqu.id,
      }),
    ).rejects.toMatchObject({ code: 'requests.not_author' })
  })

  it("counts 同求 once per resident and refuses it on one's own request", async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const { request } = await useCases.fileRequest(deps, {
      text: '垃圾站臭气熏天',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    // 同求 is said in a group of the request's xiaoqu (here by a resident of elsewhere visiting it).
    const inGroup = { xiaoquId: world.xiaoqu.id }
    const first = await useCases.supportRequest(deps, other.resident, request.number, inGroup)
    const second = await useCases.supportRequest(deps, other.resident, request.number, inGroup)
    expect([first.added, second.added]).toEqual([true, false])
    expect(second.request.supportCount).toBe(1)
    await expect(
      useCases.supportRequest(deps, world.resident, request.number, inGroup),
    ).rejects.toMatchObject({
      code: 'requests.own_request',
    })
  })

  it('reassigns to a named officer, tells them privately, and reclassifies with an audit entry', async () => {
    const world = await makeWorld(deps)
    const colleague = await makeStaff(deps, {
      name: '赵工',
      role: 'officer',
      areaId: world.community.id,
      wechat: true,
    })
    const { request } = await useCases.fileRequest(deps, {
      text: '楼下有人私搭乱建了一个棚子',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    const assigned = await useCases.assignRequest(deps, world.officer.actor, request.number, colleague.staff)
    expect(assigned.assigneeStaffId).toBe(colleague.staff.id)
    const dm = await deps.db.select().from(outbox).where(eq(outbox.conversationId, colleague.staff.wechatId!))
    expect(dm).toHaveLength(1)
    const reclassified = await useCases.reclassifyRequest(deps, world.officer.actor, request.number, {
      category: '消防安全',
      urgency: 'urgent',
      reason: '棚子堵了消防通道',
    })
    expect(reclassified).toMatchObject({ category: '消防安全', urgency: 'urgent' })
    expect(reclassified.resolutionDueAt.getTime()).toBeLessThan(request.resolutionDueAt.getTime())
    const [audit] = await deps.db.select().from(auditLog).where(eq(auditLog.action, 'request.reclassify'))
    expect(audit?.before).toMatchObject({ category: request.category })
    await expect(
      useCases.reclassifyRequest(deps, world.officer.actor, request.number, {
        category: '不存在',
        reason: 'x',
      }),
    ).rejects.toMatchObject({ code: 'requests.bad_category' })
  })

  it('keeps a long message whole in the inbound store but truncates the request text with a note', async () => {
    const world = await makeWorld(deps)
    const long = `楼道灯坏了。${'情况说明'.repeat(600)}`
    const { request, truncated } = await useCases.fileRequest(deps, {
      text: long,
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    expect(truncated).toBe(true)
    expect(request.text).toHaveLength(useCases.maxRequestLength)
    await expect(
      useCases.fileRequest(deps, {
        text: '   ',
        xiaoquId: world.xiaoqu.id,
        channel: 'wechat',
        resident: world.resident,
      }),
    ).rejects.toMatchObject({ code: 'requests.empty' })
  })

  it('keeps one record for a caller who phones twice with the same name and number', async () => {
    const now = deps.clock.now()
    const first = await findOrCreateOfflineResident(deps.db, { name: '马大爷', phone: '13600000001' }, now)
    const again = await findOrCreateOfflineResident(deps.db, { name: '马大爷', phone: '13600000001' }, now)
    const other = await findOrCreateOfflineResident(deps.db, { name: '马大妈', phone: '13600000001' }, now)
    const noPhone = await findOrCreateOfflineResident(deps.db, { name: '马大爷' }, now)
    expect(again.id).toBe(first.id)
    expect(new Set([first.id, other.id, noPhone.id]).size).toBe(3)
  })
})
