import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganisation } from '../../core/organisations/organisations.usecases'
import * as useCases from '../../core/requests/requests.usecases'
import {
  createRoutingRule,
  deleteRoutingRule,
  listRoutingRules,
  routeRequest,
} from '../../core/requests/routing'
import { auditLog, outbox, requestEvents, staff } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const lamp = '3号楼2单元楼道灯坏了，晚上看不见'
const lift = '5号楼电梯坏了三天了，老人下不了楼'

describe.each(drivers)('routing rules (派单规则) on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  type World = Awaited<ReturnType<typeof makeWorld>>
  const now = () => deps.clock.now()

  const file = async (world: World, text = lamp) =>
    (
      await deps.db.transaction((tx) =>
        useCases.fileRequest(
          { ...deps, db: tx },
          {
            text,
            xiaoquId: world.xiaoqu.id,
            channel: 'wechat',
            resident: world.resident,
            groupId: world.group.id,
          },
        ),
      )
    ).request

  const outboxTo = (conversationId: string) =>
    deps.db.select().from(outbox).where(eq(outbox.conversationId, conversationId))

  const handler = (world: World, areaId = world.community.id, name = '处理人') =>
    makeStaff(deps, { name: uniqueId(name), role: 'officer', areaId, wechat: true })

  const rule = (world: World, input: Parameters<typeof createRoutingRule>[2]) =>
    deps.db.transaction((tx) => createRoutingRule(tx, world.admin, input, now()))

  it('hands a matching request to the handler at once, tells them privately and not the officers group', async () => {
    const world = await makeWorld(deps)
    const person = await handler(world)
    const made = await rule(world, {
      category: '照明',
      areaId: world.community.id,
      handlerStaffId: person.staff.id,
    })

    const request = await file(world)
    expect(request.category).toBe('照明')
    expect(request.assigneeStaffId).toBe(person.staff.id)

    const privately = await outboxTo(person.staff.wechatId!)
    expect(privately).toHaveLength(1)
    expect(privately[0]!.isRoom).toBe(0)
    expect(privately[0]!.text).toContain(request.number)
    expect(await outboxTo(world.officersRoomId)).toHaveLength(0)

    const events = await deps.db.select().from(requestEvents).where(eq(requestEvents.requestId, request.id))
    const assigned = events.find((e) => e.kind === 'assigned')
    expect(assigned).toMatchObject({ actorKind: 'system', data: { rule: made.id, to: person.staff.id } })
    expect(assigned!.note).toContain(`派单规则 #${made.id}`)
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'request.route'), eq(auditLog.entityId, request.number)))
    expect(audit!.after).toEqual({ ruleId: made.id, assigneeStaffId: person.staff.id })
  })

  it('prefers the most specific area, then the rule naming the category over the catch-all', async () => {
    const world = await makeWorld(deps)
    const districtWide = await handler(world, world.district.id, '区')
    const streetLamps = await handler(world, world.street.id, '街道')
    const communityAll = await handler(world, world.community.id, '社区')
    const communityLamps = await handler(world, world.community.id, '社区照明')
    await rule(world, { areaId: world.district.id, handlerStaffId: districtWide.staff.id })
    await rule(world, { category: '照明', areaId: world.street.id, handlerStaffId: streetLamps.staff.id })
    const all = await rule(world, { areaId: world.community.id, handlerStaffId: communityAll.staff.id })
    const lamps = await rule(world, {
      category: '照明',
      areaId: world.community.id,
      handlerStaffId: communityLamps.staff.id,
    })

    expect((await file(world)).assigneeStaffId).toBe(communityLamps.staff.id)
    const lifted = await file(world, lift)
    expect(lifted.category).toBe('电梯')
    expect(lifted.assigneeStaffId).toBe(communityAll.staff.id)

    await deps.db.transaction((tx) => deleteRoutingRule(tx, world.admin, lamps.id, now()))
    expect((await file(world)).assigneeStaffId).toBe(communityAll.staff.id)
    await deps.db.transaction((tx) => deleteRoutingRule(tx, world.admin, all.id, now()))
    // The street's rule names the category, the district's does not: for lamps the street's, else the district's.
    expect((await file(world)).assigneeStaffId).toBe(streetLamps.staff.id)
    expect((await file(world, lift)).assigneeStaffId).toBe(districtWide.staff.id)
    expect(await outboxTo(world.officersRoomId)).toHaveLength(0)
  })

  it('leaves a request with no matching rule to the officers group, as before', async () => {
    const world = await makeWorld(deps)
    const person = await handler(world)
    await rule(world, { category: '电梯', areaId: world.community.id, handlerStaffId: person.staff.id })
    const request = await file(world)
    expect(request.assigneeStaffId).toBeNull()
    const toOfficers = await outboxTo(world.officersRoomId)
    expect(toOfficers).toHaveLength(1)
    expect(toOfficers[0]!.text).toContain(request.number)
    expect(toOfficers[0]!.text).not.toContain('派单规则')
    expect(await outboxTo(person.staff.wechatId!)).toHaveLength(0)
    const events = await deps.db.select().from(requestEvents).where(eq(requestEvents.requestId, request.id))
    expect(events.map((e) => e.kind)).toEqual(['filed'])
  })

  it('falls back to the officers group when the rule’s handler has been deactivated', async () => {
    const world = await makeWorld(deps)
    const person = await handler(world)
    const made = await rule(world, { areaId: world.community.id, handlerStaffId: person.staff.id })
    await deps.db.update(staff).set({ active: false }).where(eq(staff.id, person.staff.id))

    const request = await file(world)
    expect(request.assigneeStaffId).toBeNull()
    const toOfficers = await outboxTo(world.officersRoomId)
    expect(toOfficers).toHaveLength(1)
    expect(toOfficers[0]!.text).toContain(`派单规则 #${made.id}`)
    expect(await outboxTo(person.staff.wechatId!)).toHaveLength(0)
  })

  it('routes to an organisation’s first active handler, or to the officers group when it has none', async () => {
    const world = await makeWorld(deps)
    const ctx = { db: deps.db, now: now() }
    const company = await createOrganisation(ctx, world.admin, {
      kind: 'property_company',
      name: uniqueId('物业公司'),
      areaId: world.community.id,
    })
    const first = await makeStaff(deps, {
      name: uniqueId('物业甲'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const second = await makeStaff(deps, {
      name: uniqueId('物业乙'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
      wechat: true,
    })
    for (const s of [first, second]) {
      await deps.db.update(staff).set({ organisationId: company.id }).where(eq(staff.id, s.staff.id))
    }
    await deps.db.update(staff).set({ active: false }).where(eq(staff.id, first.staff.id))
    await rule(world, { areaId: world.community.id, handlerOrgId: company.id })

    const request = await file(world)
    expect(request.assigneeStaffId).toBe(second.staff.id)
    expect(await outboxTo(second.staff.wechatId!)).toHaveLength(1)
    expect(await outboxTo(world.officersRoomId)).toHaveLength(0)

    await deps.db.update(staff).set({ active: false }).where(eq(staff.id, second.staff.id))
    expect(await routeRequest(deps.db, world.xiaoqu.path, '照明')).toMatchObject({ kind: 'unavailable' })
    expect((await file(world)).assigneeStaffId).toBeNull()
    expect(await outboxTo(world.officersRoomId)).toHaveLength(1)
  })

  it('keeps rules within an officer’s scope, one per area and category, audited', async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const officer = world.officer.actor
    const person = await handler(world)

    await expect(
      deps.db.transaction((tx) =>
        createRoutingRule(
          tx,
          officer,
          { areaId: other.community.id, handlerStaffId: person.staff.id },
          now(),
        ),
      ),
    ).rejects.toMatchObject({ status: 403, code: 'auth.out_of_scope' })
    // The street is above a community officer's scope.
    await expect(
      deps.db.transaction((tx) =>
        createRoutingRule(tx, officer, { areaId: world.street.id, handlerStaffId: person.staff.id }, now()),
      ),
    ).rejects.toMatchObject({ status: 403 })
    await expect(
      deps.db.transaction((tx) =>
        createRoutingRule(
          tx,
          officer,
          { areaId: world.community.id, handlerStaffId: other.officer.staff.id },
          now(),
        ),
      ),
    ).rejects.toMatchObject({ status: 403, code: 'routing.handler_out_of_scope' })
    await expect(
      deps.db.transaction((tx) =>
        createRoutingRule(
          tx,
          officer,
          { category: '下水道', areaId: world.community.id, handlerStaffId: person.staff.id },
          now(),
        ),
      ),
    ).rejects.toMatchObject({ status: 400, code: 'routing.bad_category' })

    const made = await deps.db.transaction((tx) =>
      createRoutingRule(tx, officer, { areaId: world.community.id, handlerStaffId: person.staff.id }, now()),
    )
    await expect(
      deps.db.transaction((tx) =>
        createRoutingRule(
          tx,
          officer,
          { areaId: world.community.id, handlerStaffId: world.officer.staff.id },
          now(),
        ),
      ),
    ).rejects.toMatchObject({ status: 409, code: 'routing.exists' })

    const listed = await listRoutingRules(deps.db, officer.staff)
    expect(listed.map((r) => r.rule.id)).toEqual([made.id])
    expect(listed[0]).toMatchObject({ editable: true, handler: { kind: 'staff', id: person.staff.id } })
    expect(await listRoutingRules(deps.db, other.officer.staff)).toEqual([])
    await expect(
      deps.db.transaction((tx) => deleteRoutingRule(tx, other.officer.actor, made.id, now())),
    ).rejects.toMatchObject({ status: 403 })

    await deps.db.transaction((tx) => deleteRoutingRule(tx, officer, made.id, now()))
    const audits = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entity, 'routing_rule'), eq(auditLog.entityId, String(made.id))))
    expect(audits.map((a) => a.action).sort()).toEqual(['routing.create', 'routing.delete'])
    expect(await listRoutingRules(deps.db, officer.staff)).toEqual([])
  })
})
