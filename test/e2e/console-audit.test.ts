import { describe, expect, it } from 'vitest'
import { recordAudit } from '../../core/audit/audit'
import { type ConsoleApp, consoleSuite } from '../support/console'
import type { TestDeps } from '../support/deps'
import { adminActor, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

describe.each(drivers)('console: the audit log on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  /** Entries of an entity type of this test's own, so other tests' entries never match. */
  async function seed() {
    const entity = uniqueId('audit_thing')
    const admin = await adminActor(deps)
    const world = await makeWorld(deps)
    const officer = { kind: 'staff' as const, staff: world.officer.staff, via: 'console' as const }
    const entry = (
      actor: typeof admin | typeof officer,
      action: string,
      entityId: string,
      at: string,
      after?: unknown,
    ) => recordAudit(deps.db, { actor, action, entity, entityId, after, at: shanghai(at) })
    await entry(admin, 'thing.create', 'A1', '2026-02-27T09:00:00', { name: '甲' })
    await entry(officer, 'thing.update', 'A1', '2026-02-28T09:00:00', {
      phone: '13812345678',
      note: '联系 13987654321',
    })
    await entry(officer, 'thing.delete', 'B2', '2026-03-01T23:30:00')
    await entry(admin, 'other.create', 'B2', '2026-03-02T08:00:00', { ok: true })
    return { entity, world }
  }

  const ids = (html: string) => [...html.matchAll(/data-entity-id="([^"]+)"/g)].map((m) => m[1])
  const actions = (html: string) => [...html.matchAll(/<code>([\w.]+)<\/code>/g)].map((m) => m[1])

  it('narrows by entity, entity id, action family, actor and dates; phones masked in the diff', async () => {
    const { entity, world } = await seed()
    const admin = await login(deps.adminToken)
    const all = await admin.open(`/console/audit?entity=${entity}`)
    expect(all.status).toBe(200)
    expect(actions(all.html)).toEqual(['other.create', 'thing.delete', 'thing.update', 'thing.create'])
    expect(all.html).toContain('138****5678')
    expect(all.html).toContain('139****4321')
    expect(all.html).not.toContain('13812345678')
    expect(all.html).not.toContain('13987654321')

    expect(ids((await admin.open(`/console/audit?entity=${entity}&entityId=B2`)).html)).toEqual(['B2', 'B2'])
    expect(actions((await admin.open(`/console/audit?entity=${entity}&action=thing`)).html)).toEqual([
      'thing.delete',
      'thing.update',
      'thing.create',
    ])
    expect(actions((await admin.open(`/console/audit?entity=${entity}&action=thing.update`)).html)).toEqual([
      'thing.update',
    ])
    const byName = await admin.open(
      `/console/audit?entity=${entity}&actor=${encodeURIComponent(world.officer.staff.name)}`,
    )
    expect(actions(byName.html)).toEqual(['thing.delete', 'thing.update'])
    const byId = await admin.open(`/console/audit?entity=${entity}&actor=${world.officer.staff.id}`)
    expect(actions(byId.html)).toEqual(['thing.delete', 'thing.update'])
    // Dates are Shanghai days, both ends included: 23:30 on 1 March is 1 March.
    const days = await admin.open(`/console/audit?entity=${entity}&from=2026-02-28&to=2026-03-01`)
    expect(actions(days.html)).toEqual(['thing.delete', 'thing.update'])

    const bad = await admin.open('/console/audit?from=2026-13-45x')
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('日期应形如 2026-03-02')
  })

  it('pages by keyset: 50 a page, then the rest, nothing repeated', async () => {
    const entity = uniqueId('audit_page')
    const admin = await adminActor(deps)
    for (let i = 1; i <= 61; i++) {
      await recordAudit(deps.db, {
        actor: admin,
        action: 'page.test',
        entity,
        entityId: `E${i}`,
        at: deps.clock.now(),
      })
    }
    const browser = await login(deps.adminToken)
    const first = await browser.open(`/console/audit?entity=${entity}`)
    const firstIds = ids(first.html)
    expect(firstIds).toHaveLength(50)
    expect(firstIds[0]).toBe('E61')
    const next = /href="(\/console\/audit\?[^"]*before=\d+[^"]*)"/
      .exec(first.html)?.[1]
      ?.replaceAll('&amp;', '&')
    expect(next).toContain(`entity=${entity}`)
    const second = await browser.open(next!)
    const secondIds = ids(second.html)
    expect(secondIds).toHaveLength(11)
    expect(secondIds.at(-1)).toBe('E1')
    expect(new Set([...firstIds, ...secondIds]).size).toBe(61)
    expect(second.html).toContain('没有更早的记录了')
    expect(second.html).toContain('回到最新')

    const api = async (query: string) => {
      const res = await app.request(`/api/v1/audit?${query}`, {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      expect(res.status).toBe(200)
      return (await res.json()) as { items: { entityId: string }[]; nextBefore: number | null }
    }
    const page1 = await api(`entity=${entity}&limit=40`)
    expect(page1.items).toHaveLength(40)
    const page2 = await api(`entity=${entity}&limit=40&before=${page1.nextBefore}`)
    expect(page2.items.map((i) => i.entityId).at(-1)).toBe('E1')
    expect(page2.nextBefore).toBeNull()
    expect((await api(`entity=${entity}&action=page&entityId=E7`)).items).toHaveLength(1)
  })

  it('is for admins only: officers get 403 on the page and the API', async () => {
    const world = await makeWorld(deps)
    const officer = await login(world.officer.token)
    const refused = await officer.open('/console/audit')
    expect(refused.status).toBe(403)
    expect(refused.html).not.toContain('修改前 → 修改后')
    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    expect((await (await login(worker.token)).open('/console/audit')).status).toBe(403)
    const res = await app.request('/api/v1/audit', {
      headers: { authorization: `Bearer ${world.officer.token}` },
    })
    expect(res.status).toBe(403)
  })
})
