import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import {
  areas,
  auditLog,
  bindCodes,
  households,
  organisations,
  ownersOrganisations,
  requests,
  staff,
  xiaoqu,
} from '../../db/schema'
import { type ConsoleApp, consoleSuite, csrfOf, type Page } from '../support/console'
import type { TestDeps } from '../support/deps'
import { adminActor, fileIn, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

/** The token or code a page shows once, from its data attribute. */
const shown = (page: Page, attribute: 'data-token' | 'data-code') =>
  new RegExp(`${attribute}="([^"]+)"`).exec(page.html)?.[1]

describe.each(drivers)('console: people and places on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  const api = (token: string, method: string, path: string, body?: unknown) =>
    app.request(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  const staffRow = async (id: number) => (await deps.db.select().from(staff).where(eq(staff.id, id)))[0]!

  it('creates staff with role and scope; the token is shown once and logs in; a binding code is issued', async () => {
    const world = await makeWorld(deps)
    const admin = await login(deps.adminToken)
    const list = await admin.open('/console/people')
    expect(list.status).toBe(200)
    expect(list.html).toContain(world.officer.staff.name)
    expect(list.html).toContain('新建工作人员')

    const bad = await admin.post(list, '/console/people/staff', {
      name: '赵六',
      role: 'officer',
      phone: '123',
    })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('手机号应为 11 位数字')
    expect(bad.html).toContain('value="赵六"')

    const name = uniqueId('赵六')
    const created = await admin.post(list, '/console/people/staff', {
      name,
      role: 'community_worker',
      scope: `x${world.xiaoqu.id}`,
      phone: '13800001111',
    })
    expect(created.status).toBe(200)
    const token = shown(created, 'data-token')
    expect(token).toBeTruthy()
    expect(created.html).toContain('令牌只显示这一次')
    const [row] = await deps.db.select().from(staff).where(eq(staff.name, name))
    expect(row).toMatchObject({ role: 'community_worker', scopePath: world.xiaoqu.path, active: true })
    expect(row!.tokenHash).not.toBe(token)
    // Shown once: the staff member's page afterwards carries no token.
    expect(shown(await admin.open(`/console/people/staff/${row!.id}`), 'data-token')).toBeUndefined()
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'staff.create'), eq(auditLog.entityId, String(row!.id))))
    expect(audit).toMatchObject({ via: 'console', actorStaffId: (await adminActor(deps)).staff.id })

    const newcomer = await login(token!)
    const home = await newcomer.open('/console')
    expect(home.status).toBe(200)
    expect(home.html).toContain(name)

    const detail = await admin.open(`/console/people/staff/${row!.id}`)
    const coded = await admin.post(detail, `/console/people/staff/${row!.id}/binding-code`)
    expect(coded.status).toBe(200)
    const code = shown(coded, 'data-code')
    expect(coded.html).toContain(`绑定 ${code}`)
    const [stored] = await deps.db.select().from(bindCodes).where(eq(bindCodes.code, code!))
    expect(stored).toMatchObject({ purpose: 'staff', staffId: row!.id, usedAt: null })

    const rotated = await admin.post(detail, `/console/people/staff/${row!.id}/token`)
    const fresh = shown(rotated, 'data-token')
    expect(fresh).toBeTruthy()
    expect(fresh).not.toBe(token)
    expect((await api(token!, 'GET', '/me')).status).toBe(401)
    expect((await api(fresh!, 'GET', '/me')).status).toBe(200)
  })

  it('deactivates: the token is refused at once, the console session ends, open work is listed; audited', async () => {
    const world = await makeWorld(deps)
    const leaver = await makeStaff(deps, {
      name: uniqueId('离职'),
      role: 'officer',
      areaId: world.community.id,
    })
    const request = await fileIn(deps, world)
    await deps.db
      .update(requests)
      .set({ assigneeStaffId: leaver.staff.id })
      .where(eq(requests.id, request.id))
    const session = await login(leaver.token)
    expect((await session.open('/console')).status).toBe(200)

    const admin = await login(deps.adminToken)
    const detail = await admin.open(`/console/people/staff/${leaver.staff.id}`)
    expect(detail.html).toContain(request.number)
    const action = `/console/people/staff/${leaver.staff.id}/deactivate`
    const unconfirmed = await admin.post(detail, action)
    expect(unconfirmed.status).toBe(400)
    expect((await staffRow(leaver.staff.id)).active).toBe(true)

    const done = await admin.post(detail, action, { confirm: '1' })
    expect(done.status).toBe(303)
    expect(done.location).toBe(`/console/people/staff/${leaver.staff.id}?ok=deactivated`)
    const after = await admin.open(done.location!)
    expect(after.html).toContain('已停用')
    expect(after.html).toContain(`href="/console/requests/${request.number}"`)
    expect((await staffRow(leaver.staff.id)).active).toBe(false)

    expect((await api(leaver.token, 'GET', '/me')).status).toBe(401)
    const ended = await session.open('/console')
    expect(ended.status).toBe(303)
    expect(ended.location).toContain('/console/login')
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'staff.deactivate'), eq(auditLog.entityId, String(leaver.staff.id))))
    expect(audit).toMatchObject({ via: 'console', before: { active: true } })
    expect(audit!.after).toMatchObject({ active: false, openRequests: [request.number] })

    // Not twice, and never oneself.
    const twice = await admin.open(action, { form: { _csrf: csrfOf(after.html), confirm: '1' } })
    expect(twice.status).toBe(409)
    const me = (await adminActor(deps)).staff.id
    const self = await admin.open(`/console/people/staff/${me}/deactivate`, {
      form: { _csrf: csrfOf(after.html), confirm: '1' },
    })
    expect(self.status).toBe(403)
    expect(self.html).toContain('不能停用自己的账号')
    expect((await staffRow(me)).active).toBe(true)
  })

  it('offers the API route too: officers are refused, admins get the open work back', async () => {
    const world = await makeWorld(deps)
    const leaver = await makeStaff(deps, {
      name: uniqueId('调走'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    const request = await fileIn(deps, world)
    await deps.db
      .update(requests)
      .set({ assigneeStaffId: leaver.staff.id })
      .where(eq(requests.id, request.id))
    const refused = await api(world.officer.token, 'POST', `/staff/${leaver.staff.id}/deactivate`)
    expect(refused.status).toBe(403)
    expect((await staffRow(leaver.staff.id)).active).toBe(true)
    const res = await api(deps.adminToken, 'POST', `/staff/${leaver.staff.id}/deactivate`)
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.staff).toMatchObject({ id: leaver.staff.id, active: false })
    expect(body.openRequests.map((r: { number: string }) => r.number)).toEqual([request.number])
    expect((await api(leaver.token, 'GET', '/me')).status).toBe(401)
    expect((await api(deps.adminToken, 'POST', '/staff/abc/deactivate')).status).toBe(400)
  })

  it('keeps officers to their scope: no admin created, other streets unseen; community workers refused', async () => {
    const world = await makeWorld(deps)
    const away = await makeWorld(deps)
    const officer = await login(world.officer.token)
    const list = await officer.open('/console/people')
    expect(list.status).toBe(200)
    expect(list.html).toContain(world.officer.staff.name)
    expect(list.html).not.toContain(away.officer.staff.name)
    expect(list.html).not.toContain('action="/console/people/staff"')

    const name = uniqueId('越权')
    const refused = await officer.open('/console/people/staff', {
      form: { _csrf: csrfOf(list.html), name, role: 'admin' },
    })
    expect(refused.status).toBe(403)
    expect(await deps.db.select().from(staff).where(eq(staff.name, name))).toEqual([])
    expect((await officer.open(`/console/people/staff/${away.officer.staff.id}`)).status).toBe(403)
    expect((await officer.open(`/console/people/xiaoqu/${away.xiaoqu.id}`)).status).toBe(403)

    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    const workerBrowser = await login(worker.token)
    for (const path of ['/console/people', '/console/people/places', '/console/people/organisations']) {
      expect((await workerBrowser.open(path)).status, path).toBe(403)
    }
  })

  it('creates areas and a xiaoqu, gives group binding codes, adds rooms, stores organisations and governance', async () => {
    const admin = await login(deps.adminToken)
    const places = await admin.open('/console/people/places')
    expect(places.status).toBe(200)
    const names = { district: uniqueId('区'), street: uniqueId('街道'), community: uniqueId('社区') }
    const areaId = async (name: string) =>
      (await deps.db.select().from(areas).where(eq(areas.name, name)))[0]?.id
    expect(
      (await admin.post(places, '/console/people/areas', { kind: 'district', name: names.district })).status,
    ).toBe(303)
    const orphan = await admin.post(places, '/console/people/areas', { kind: 'street', name: names.street })
    expect(orphan.status).toBe(400)
    const district = await areaId(names.district)
    expect(
      (
        await admin.post(places, '/console/people/areas', {
          kind: 'street',
          name: names.street,
          parentId: String(district),
        })
      ).status,
    ).toBe(303)
    const street = await areaId(names.street)
    expect(
      (
        await admin.post(places, '/console/people/areas', {
          kind: 'community',
          name: names.community,
          parentId: String(street),
        })
      ).status,
    ).toBe(303)
    const community = (await areaId(names.community))!

    const officer = await makeStaff(deps, { name: uniqueId('街道干部'), role: 'officer', areaId: street! })
    const browser = await login(officer.token)
    const page = await browser.open('/console/people/places')
    expect(page.html).toContain(names.community)
    const badYear = await browser.post(page, '/console/people/xiaoqu', {
      communityId: String(community),
      name: '幸福里',
      buildYear: '九五年',
    })
    expect(badYear.status).toBe(400)
    expect(badYear.html).toContain('建成年份应为四位年份')
    const xiaoquName = uniqueId('幸福里')
    const made = await browser.post(page, '/console/people/xiaoqu', {
      communityId: String(community),
      name: xiaoquName,
      address: '幸福路 1 号',
      buildYear: '1995',
    })
    expect(made.status).toBe(303)
    const [place] = await deps.db.select().from(xiaoqu).where(eq(xiaoqu.name, xiaoquName))
    expect(place).toMatchObject({ communityId: community, buildYear: 1995, address: '幸福路 1 号' })
    expect(made.location).toBe(`/console/people/xiaoqu/${place!.id}?ok=xiaoqu_created`)

    const areaCode = await browser.post(page, `/console/people/areas/${community}/binding-code`)
    expect(areaCode.status).toBe(200)
    const officersCode = shown(areaCode, 'data-code')!
    expect(areaCode.html).toContain(`绑定小区 ${officersCode}`)
    expect((await deps.db.select().from(bindCodes).where(eq(bindCodes.code, officersCode)))[0]).toMatchObject(
      {
        purpose: 'group',
        groupKind: 'officers',
      },
    )

    const detail = await browser.open(`/console/people/xiaoqu/${place!.id}`)
    const room = await browser.post(detail, `/console/people/xiaoqu/${place!.id}/rooms`, {
      building: '3',
      unit: '1',
      room: '101',
      area: '75.5',
    })
    expect(room.status).toBe(303)
    const [household] = await deps.db.select().from(households).where(eq(households.xiaoquId, place!.id))
    expect(household).toMatchObject({ room: '101', exclusiveAreaCenti: 7550 })
    const withRoom = await browser.open(`/console/people/xiaoqu/${place!.id}`)
    expect(withRoom.html).toContain('75.50')
    const groupCode = await browser.post(withRoom, `/console/people/xiaoqu/${place!.id}/binding-code`, {
      kind: 'residents',
    })
    const residentsCode = shown(groupCode, 'data-code')!
    expect(groupCode.html).toContain(`绑定小区 ${residentsCode}`)
    expect(
      (await deps.db.select().from(bindCodes).where(eq(bindCodes.code, residentsCode)))[0],
    ).toMatchObject({
      groupKind: 'residents',
      xiaoquId: place!.id,
    })

    const orgPage = await browser.open('/console/people/organisations')
    const company = uniqueId('物业公司')
    const registered = await browser.post(orgPage, '/console/people/organisations', {
      kind: 'property_company',
      name: company,
    })
    expect(registered.status).toBe(303)
    const [org] = await deps.db.select().from(organisations).where(eq(organisations.name, company))
    expect(org).toMatchObject({ kind: 'property_company', areaId: street })
    expect((await browser.open('/console/people/organisations')).html).toContain(company)

    const noDate = await browser.post(withRoom, `/console/people/xiaoqu/${place!.id}/governance`, {
      ownersKind: 'owners_committee',
      propertyCompanyId: String(org!.id),
    })
    expect(noDate.status).toBe(400)
    expect(noDate.html).toContain('请填写成立日期')
    const saved = await browser.post(withRoom, `/console/people/xiaoqu/${place!.id}/governance`, {
      ownersKind: 'owners_committee',
      formedOn: '2026-02-20',
      propertyCompanyId: String(org!.id),
    })
    expect(saved.status).toBe(303)
    const [owners] = await deps.db
      .select()
      .from(ownersOrganisations)
      .where(eq(ownersOrganisations.xiaoquId, place!.id))
    expect(owners).toMatchObject({ kind: 'owners_committee', formedOn: '2026-02-20' })
    expect((await deps.db.select().from(xiaoqu).where(eq(xiaoqu.id, place!.id)))[0]!.propertyCompanyId).toBe(
      org!.id,
    )
    const shownAfter = await browser.open(`/console/people/xiaoqu/${place!.id}`)
    expect(shownAfter.html).toContain('业主委员会（2026-02-20 成立）')
    expect(shownAfter.html).toContain(company)
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'xiaoqu.governance'), eq(auditLog.entityId, String(place!.id))))
    expect(audit).toMatchObject({ via: 'console', actorStaffId: officer.staff.id })
  })
})
