import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { auditLog, outbox, routingRules } from '../../db/schema'
import { type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { fileIn, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('console and API: routing rules (派单规则) on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  const rulesOfArea = (areaId: number) =>
    deps.db.select().from(routingRules).where(eq(routingRules.areaId, areaId))

  it('an officer adds a rule for an area of their street, new requests go to its handler, then deletes it', async () => {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const streetOfficer = await makeStaff(deps, {
      name: uniqueId('街道科长'),
      role: 'officer',
      areaId: world.street.id,
    })
    const browser = await login(streetOfficer.token)
    const page = await browser.open('/console/routing')
    expect(page.status).toBe(200)
    expect(page.html).toContain('派单规则（0 条）')
    expect(page.html).toContain(
      `<option value="${world.community.id}">${world.community.name}（社区）</option>`,
    )
    expect(page.html).toContain(`>${world.street.name}（街道）</option>`)
    expect(page.html).not.toContain(elsewhere.community.name)
    expect(page.html).not.toContain(`>${world.district.name}（区）</option>`) // above the officer's scope
    expect(page.html).toContain(`value="s${world.officer.staff.id}"`)
    expect(page.html).toContain('<option value="照明">照明</option>')

    const noHandler = await browser.post(page, '/console/routing', {
      category: '照明',
      areaId: String(world.community.id),
      handler: '',
    })
    expect(noHandler.status).toBe(400)
    expect(noHandler.html).toContain('请选择处理人')
    const badCategory = await browser.post(page, '/console/routing', {
      category: '下水道',
      areaId: String(world.community.id),
      handler: `s${world.officer.staff.id}`,
    })
    expect(badCategory.status).toBe(400)
    expect(badCategory.html).toContain('请从列表中选择分类')
    const outOfScope = await browser.post(page, '/console/routing', {
      category: '照明',
      areaId: String(elsewhere.community.id),
      handler: `s${world.officer.staff.id}`,
    })
    expect(outOfScope.status).toBe(403)
    expect(outOfScope.html).toContain('不在您的管辖范围内')
    expect(await rulesOfArea(world.community.id)).toEqual([])
    expect(await rulesOfArea(elsewhere.community.id)).toEqual([])

    const created = await browser.post(page, '/console/routing', {
      category: '照明',
      areaId: String(world.community.id),
      handler: `s${world.officer.staff.id}`,
    })
    expect(created.status).toBe(303)
    expect(created.location).toBe('/console/routing?ok=created')
    const [rule] = await rulesOfArea(world.community.id)
    expect(rule).toMatchObject({
      category: '照明',
      handlerStaffId: world.officer.staff.id,
      handlerOrgId: null,
    })
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'routing.create'), eq(auditLog.entityId, String(rule!.id))))
    expect(audit).toMatchObject({ via: 'console', actorStaffId: streetOfficer.staff.id })

    const listed = await browser.open('/console/routing?ok=created')
    expect(listed.html).toContain('已添加派单规则')
    expect(listed.html).toContain(`#${rule!.id}`)
    expect(listed.html).toContain(`人员：${world.officer.staff.name}`)

    const duplicate = await browser.post(listed, '/console/routing', {
      category: '照明',
      areaId: String(world.community.id),
      handler: `s${streetOfficer.staff.id}`,
    })
    expect(duplicate.status).toBe(409)
    expect(duplicate.html).toContain(`已有派单规则 #${rule!.id}`)

    const request = await fileIn(deps, world)
    expect(request.assigneeStaffId).toBe(world.officer.staff.id)
    const toHandler = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, world.officer.staff.wechatId!))
    expect(toHandler.map((m) => m.text).join('\n')).toContain(request.number)
    expect(
      await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.officersRoomId)),
    ).toEqual([])

    // Another street's officer cannot delete it.
    const outsider = await login(elsewhere.officer.token)
    const refused = await outsider.open(`/console/routing/${rule!.id}/delete`, {
      form: { _csrf: csrfOf((await outsider.open('/console/routing')).html) },
    })
    expect(refused.status).toBe(403)
    expect(await rulesOfArea(world.community.id)).toHaveLength(1)

    const deleted = await browser.post(listed, `/console/routing/${rule!.id}/delete`)
    expect(deleted.status).toBe(303)
    expect(deleted.location).toBe('/console/routing?ok=deleted')
    expect(await rulesOfArea(world.community.id)).toEqual([])
  })

  it('refuses the page to roles that do not keep rules', async () => {
    const world = await makeWorld(deps)
    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    const browser = await login(worker.token)
    const page = await browser.open('/console/routing')
    expect(page.status).toBe(403)
    expect(page.html).not.toContain('添加规则')
  })

  it('offers the same rules through the API, validated and scoped', async () => {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const call = async (token: string, method: string, path: string, body?: unknown) => {
      const res = await app.request(`/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return {
        status: res.status,
        body: (await res.json()) as Record<string, unknown> & { items?: unknown[] },
      }
    }
    const token = world.officer.token

    const both = await call(token, 'POST', '/routing-rules', {
      areaId: world.community.id,
      handlerStaffId: world.officer.staff.id,
      handlerOrgId: 1,
    })
    expect(both.status).toBe(400)
    expect(JSON.stringify(both.body)).toContain('二选一')
    const badCategory = await call(token, 'POST', '/routing-rules', {
      category: 'lamps',
      areaId: world.community.id,
      handlerStaffId: world.officer.staff.id,
    })
    expect(badCategory.status).toBe(400)
    const outside = await call(token, 'POST', '/routing-rules', {
      areaId: elsewhere.community.id,
      handlerStaffId: world.officer.staff.id,
    })
    expect(outside.status).toBe(403)

    const created = await call(token, 'POST', '/routing-rules', {
      category: '电梯',
      areaId: world.community.id,
      handlerStaffId: world.officer.staff.id,
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      category: '电梯',
      area: { id: world.community.id, kind: 'community' },
      handler: { kind: 'staff', id: world.officer.staff.id, active: true },
      editable: true,
    })
    const id = created.body.id as number
    const listed = await call(token, 'GET', '/routing-rules')
    expect(listed.body.items).toEqual([expect.objectContaining({ id })])
    expect((await call(elsewhere.officer.token, 'GET', '/routing-rules')).body.items).toEqual([])
    expect((await call(elsewhere.officer.token, 'DELETE', `/routing-rules/${id}`)).status).toBe(403)
    expect((await call(token, 'DELETE', `/routing-rules/${id}`)).body).toEqual({ deleted: id })
    expect((await call(token, 'DELETE', `/routing-rules/${id}`)).status).toBe(404)

    const spec = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/routing-rules', '/api/v1/routing-rules/{id}']),
    )
  })
})
