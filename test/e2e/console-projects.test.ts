import { and, asc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createOrganisation } from '../../core/organisations/organisations.usecases'
import * as projectCases from '../../core/projects/projects.usecases'
import { completeTask } from '../../core/tasks/tasks.usecases'
import { auditLog, projectDocuments, projectEvents, projects, tasks } from '../../db/schema'
import { consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

type World = Awaited<ReturnType<typeof makeWorld>>

describe.each(drivers)('console: projects on %s', (driver) => {
  let deps: TestDeps
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
  })

  const organisation = (world: World, kind: 'implementing_entity' | 'responsible_planner', name: string) =>
    createOrganisation({ db: deps.db, now: deps.clock.now() }, world.admin, { kind, name: uniqueId(name) })

  const projectRow = async (number: string) =>
    (await deps.db.select().from(projects).where(eq(projects.number, number)))[0]!

  const auditsOf = (number: string, action: string) =>
    deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entity, 'project'), eq(auditLog.entityId, number), eq(auditLog.action, action)))

  /** A project made through the use cases (items and an implementing entity, so 确认 and 设计 may follow). */
  async function project(world: World, options: { ready?: boolean } = {}) {
    const entity = await organisation(world, 'implementing_entity', '实施主体')
    const made = await projectCases.createProject(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      year: 2026,
      title: '老旧小区综合整治',
      responsibleStaffId: world.officer.staff.id,
      ...(options.ready === false
        ? {}
        : { items: [{ name: '楼本体节能改造', kind: 'basic' as const }], implementingEntityId: entity.id }),
    })
    return { number: made.number, id: made.id, entity }
  }

  /** Closes every open task of the project (as the admin, who may close anyone's). */
  async function finishTasks(projectId: number) {
    const open = await deps.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.projectId, projectId), eq(tasks.status, 'open')))
    const admin = (await makeWorld(deps)).admin
    for (const task of open) await completeTask(deps, admin, task.number, '已完成')
  }

  const move = (world: World, number: string, to: '确认' | '设计') =>
    projectCases.moveStage(deps, world.officer.actor, number, { to })

  // -------------------------------------------------------------------------------------------------------

  it('creates a project through the form: stored, audited, and found by the list filters', async () => {
    const world = await makeWorld(deps)
    const entity = await organisation(world, 'implementing_entity', '建设公司')
    const browser = await login(world.officer.token)
    const form = await browser.open('/console/projects/new')
    expect(form.status).toBe(200)
    expect(form.html).toContain(`<option value="${world.xiaoqu.id}"`)
    expect(form.html).toContain(entity.name)

    const fields = {
      xiaoquId: String(world.xiaoqu.id),
      title: '幸福里综合整治',
      year: '2026',
      basicItems: '楼本体节能改造\n管线改造',
      optionalItems: '加装电梯',
      plannedInvestment: '1,234,567.8',
      responsibleStaffId: String(world.officer.staff.id),
      implementingEntityId: String(entity.id),
    }
    const noTitle = await browser.post(form, '/console/projects/new', { ...fields, title: ' ' })
    expect(noTitle.status).toBe(400)
    expect(noTitle.html).toContain('请填写项目名称')
    expect(noTitle.html).toContain('1,234,567.8')
    const badAmount = await browser.post(form, '/console/projects/new', {
      ...fields,
      plannedInvestment: '12.345',
    })
    expect(badAmount.status).toBe(400)
    expect(badAmount.html).toContain('计划投资以元为单位，最多两位小数')
    expect(await deps.db.select().from(projects).where(eq(projects.xiaoquId, world.xiaoqu.id))).toHaveLength(
      0,
    )

    const created = await browser.post(form, '/console/projects/new', fields)
    expect(created.status).toBe(303)
    const number = /\/console\/projects\/(P\d+)\?ok=created$/.exec(created.location ?? '')?.[1]
    expect(number, created.location ?? '').toBeDefined()
    const row = await projectRow(number!)
    expect(row).toMatchObject({
      title: '幸福里综合整治',
      year: 2026,
      stage: '储备',
      plannedInvestment: '1234567.80',
      responsibleStaffId: world.officer.staff.id,
      implementingEntityId: entity.id,
      items: [
        { name: '楼本体节能改造', kind: 'basic' },
        { name: '管线改造', kind: 'basic' },
        { name: '加装电梯', kind: 'optional' },
      ],
    })
    const [audit] = await auditsOf(number!, 'project.create')
    expect(audit).toMatchObject({ actorStaffId: world.officer.staff.id, via: 'console' })
    const page = await browser.open(created.location!)
    expect(page.html).toContain('项目已创建')
    expect(page.html).toContain('1,234,567.80 元')
    expect(page.html).toContain(entity.name)

    const listed = await browser.open(`/console/projects?year=2026&xiaoqu=${world.xiaoqu.id}`)
    expect(listed.html).toContain(`href="/console/projects/${number}"`)
    expect(listed.html).toContain('共 1 个')
    const otherStage = await browser.open(`/console/projects?stage=${encodeURIComponent('确认')}`)
    expect(otherStage.html).not.toContain(`href="/console/projects/${number}"`)
    const otherYear = await browser.open('/console/projects?year=2025')
    expect(otherYear.html).not.toContain(`href="/console/projects/${number}"`)
    const badStage = await browser.open('/console/projects?stage=abc')
    expect(badStage.status).toBe(400)
    expect(badStage.html).toContain('请从列表中选择阶段')
  })

  it('edits a project: only what changed is saved, recorded and audited', async () => {
    const world = await makeWorld(deps)
    const { number } = await project(world)
    const browser = await login(world.officer.token)
    const form = await browser.open(`/console/projects/${number}/edit`)
    expect(form.status).toBe(200)
    expect(form.html).toContain('老旧小区综合整治')
    const current = await projectRow(number)
    const fields = {
      title: '老旧小区综合整治（一期）',
      year: '2026',
      basicItems: '楼本体节能改造',
      optionalItems: '',
      plannedInvestment: '5000000',
      actualInvestment: '0',
      responsibleStaffId: String(world.officer.staff.id),
      implementingEntityId: String(current.implementingEntityId),
    }
    const saved = await browser.post(form, `/console/projects/${number}/edit`, fields)
    expect(saved.status).toBe(303)
    expect(saved.location).toBe(`/console/projects/${number}?ok=updated`)
    const row = await projectRow(number)
    expect(row.title).toBe('老旧小区综合整治（一期）')
    expect(row.plannedInvestment).toBe('5000000.00')
    const [audit] = await auditsOf(number, 'project.update')
    expect(audit!.via).toBe('console')
    expect(Object.keys(audit!.after as object).sort()).toEqual(['plannedInvestment', 'title'])
    const page = await browser.open(saved.location!)
    expect(page.html).toContain('项目信息已保存')
    expect(page.html).toContain('修改信息')

    const unchanged = await browser.post(form, `/console/projects/${number}/edit`, fields)
    expect(unchanged.status).toBe(400)
    expect(unchanged.html).toContain('没有要修改的内容')
    const badYear = await browser.post(form, `/console/projects/${number}/edit`, { ...fields, year: '明年' })
    expect(badYear.status).toBe(400)
    expect(badYear.html).toContain('年度应为 2000 到 2100 之间的整数')
  })

  it('records a document, and the gate it satisfies then passes', async () => {
    const world = await makeWorld(deps)
    const { number, id } = await project(world)
    await move(world, number, '确认')
    await finishTasks(id)
    await move(world, number, '设计')
    await finishTasks(id)
    const browser = await login(world.officer.token)
    const before = await browser.open(`/console/projects/${number}`)
    expect(before.html).toContain('下一阶段「公示」')
    expect(before.html).toContain('缺少责任规划师对设计方案的审查意见，请先登记。')
    expect(before.html).not.toContain('条件均已满足')

    const action = `/console/projects/${number}/documents`
    const noNote = await browser.post(before, action, { kind: 'design_review', note: ' ' })
    expect(noNote.status).toBe(400)
    expect(noNote.html).toContain('请写明材料的内容或文号')
    const recorded = await browser.post(before, action, { kind: 'design_review', note: '规审〔2026〕12号' })
    expect(recorded.status).toBe(303)
    const docs = await deps.db.select().from(projectDocuments).where(eq(projectDocuments.projectId, id))
    expect(docs.map((d) => [d.kind, d.note])).toEqual([['design_review', '规审〔2026〕12号']])
    expect(await auditsOf(number, 'project.document')).toHaveLength(1)

    const after = await browser.open(recorded.location!)
    expect(after.html).toContain('材料已登记')
    expect(after.html).toContain('规审〔2026〕12号')
    expect(after.html).toContain('条件均已满足，可以进入「公示」')
    const moved = await browser.post(after, `/console/projects/${number}/stage`, { to: '公示' })
    expect(moved.status).toBe(303)
    expect((await projectRow(number)).stage).toBe('公示')
  })

  it('a move a gate blocks names that gate under the stage tried, and nothing moves', async () => {
    const world = await makeWorld(deps)
    const { number } = await project(world, { ready: false })
    const browser = await login(world.officer.token)
    const page = await browser.open(`/console/projects/${number}`)
    expect(page.html).toContain('进入下一阶段「确认」还需要')
    const refused = await browser.post(page, `/console/projects/${number}/stage`, { to: '确认' })
    expect(refused.status).toBe(409)
    expect(refused.html).toContain(`项目 ${number} 不能进入「确认」，阶段没有变更`)
    expect(refused.html).toContain('未能进入「确认」，未通过的条件')
    expect(refused.html).toContain('项目还没有改造内容，请先填写改造内容清单。')
    expect((await projectRow(number)).stage).toBe('储备')
    expect(await auditsOf(number, 'project.stage')).toHaveLength(0)

    // Tried two stages ahead while the next one is ready: each stage is named, nothing contradicts.
    const ready = await project(world)
    await move(world, ready.number, '确认')
    await finishTasks(ready.id)
    const next = await browser.open(`/console/projects/${ready.number}`)
    const skipped = await browser.post(next, `/console/projects/${ready.number}/stage`, { to: '施工' })
    expect(skipped.status).toBe(409)
    expect(skipped.html).toContain('未能进入「施工」，未通过的条件')
    expect(skipped.html).toContain('不能从「确认」直接进入「施工」，须依次经过：设计、公示、物业签约、治理。')
    expect(skipped.html).toContain('下一阶段「设计」')
    expect(skipped.html).toContain('条件均已满足，可以进入「设计」')
    expect(skipped.html).not.toContain('未能进入「设计」')
    expect((await projectRow(ready.number)).stage).toBe('确认')
  })

  it('an admin overrides with a reason (moved, audited); without one it is refused; others see no override', async () => {
    const world = await makeWorld(deps)
    const { number, id } = await project(world)
    await move(world, number, '确认')
    const action = `/console/projects/${number}/stage`

    const officer = await login(world.officer.token)
    const officerView = await officer.open(`/console/projects/${number}`)
    expect(officerView.html).toContain('「确认」阶段还有未完成的任务')
    expect(officerView.html).not.toContain('管理员强制变更阶段')
    expect(officerView.html).not.toContain('name="override"')
    const sneaked = await officer.post(officerView, action, { to: '设计', override: '1', reason: '赶进度' })
    expect(sneaked.status).toBe(403)
    expect(sneaked.html).toContain('只有管理员可以强制变更阶段')
    expect((await projectRow(number)).stage).toBe('确认')

    const admin = await login(deps.adminToken)
    const adminView = await admin.open(`/console/projects/${number}`)
    expect(adminView.html).toContain('管理员强制变更阶段')
    const noReason = await admin.post(adminView, action, { to: '设计', override: '1', reason: ' ' })
    expect(noReason.status).toBe(400)
    expect(noReason.html).toContain('强制变更阶段须写明原因')
    expect((await projectRow(number)).stage).toBe('确认')

    const overridden = await admin.post(adminView, action, {
      to: '设计',
      override: '1',
      reason: '区里要求提前设计',
    })
    expect(overridden.status).toBe(303)
    expect((await projectRow(number)).stage).toBe('设计')
    const [audit] = await auditsOf(number, 'project.stage_override')
    expect(audit!.via).toBe('console')
    expect(audit!.after).toMatchObject({ stage: '设计', reason: '区里要求提前设计' })
    const [event] = await deps.db
      .select()
      .from(projectEvents)
      .where(and(eq(projectEvents.projectId, id), eq(projectEvents.toStage, '设计')))
    expect(event).toMatchObject({ overridden: true, reason: '区里要求提前设计' })
    const cancelled = await deps.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.projectId, id), eq(tasks.stage, '确认')))
    expect(cancelled.map((t) => t.status)).toEqual(['cancelled'])
    const page = await admin.open(overridden.location!)
    expect(page.html).toContain('已强制变更阶段')
    expect(page.html).toContain('确认 → 设计')
    expect(page.html).toContain('强制')
    expect(page.html).toContain('区里要求提前设计')
  })

  it('walks a project to 物业签约: tasks closed, a document, a gate failure shown, an admin override', async () => {
    const world = await makeWorld(deps)
    const entity = await organisation(world, 'implementing_entity', '实施单位')
    const officer = await login(world.officer.token)
    const form = await officer.open('/console/projects/new')
    const created = await officer.post(form, '/console/projects/new', {
      xiaoquId: String(world.xiaoqu.id),
      title: '和平里综合整治',
      year: '2026',
      basicItems: '管线改造',
      plannedInvestment: '3000000',
      responsibleStaffId: String(world.officer.staff.id),
      implementingEntityId: String(entity.id),
    })
    const href = created.location!.split('?')[0]!
    const number = href.split('/').pop()!
    const step = async (to: string) => {
      const page = await officer.open(href)
      return officer.post(page, `${href}/stage`, { to })
    }
    expect((await step('确认')).status).toBe(303)
    // 确认's task is the officer's own: closed from the project page.
    const [demands] = await deps.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.projectId, (await projectRow(number)).id), eq(tasks.status, 'open')))
    let page = await officer.open(href)
    expect(page.html).toContain(`${href}/tasks/${demands!.number}/complete`)
    const closed = await officer.post(page, `${href}/tasks/${demands!.number}/complete`, { note: '已议事' })
    expect(closed.status).toBe(303)
    expect((await step('设计')).status).toBe(303)

    // 设计's plan belongs to the implementing entity: the officer may not close it, the admin may.
    page = await officer.open(href)
    const admin = await login(deps.adminToken)
    let adminPage = await admin.open(href)
    const open = await deps.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.projectId, (await projectRow(number)).id), eq(tasks.status, 'open')))
      .orderBy(asc(tasks.id))
    expect(open.map((t) => t.title)).toEqual(['编制设计方案', '责任规划师审查'])
    expect(page.html).not.toContain(`${href}/tasks/${open[0]!.number}/complete`)
    for (const task of open) {
      adminPage = await admin.open(href)
      expect((await admin.post(adminPage, `${href}/tasks/${task.number}/complete`, {})).status).toBe(303)
    }
    page = await officer.open(href)
    await officer.post(page, `${href}/documents`, { kind: 'design_review', note: '审查通过' })
    expect((await step('公示')).status).toBe(303)

    const blocked = await step('物业签约')
    expect(blocked.status).toBe(409)
    expect(blocked.html).toContain('设计方案公示尚未期满结束，公示结束后才能进入物业签约。')
    expect((await projectRow(number)).stage).toBe('公示')

    adminPage = await admin.open(href)
    const overridden = await admin.post(adminPage, `${href}/stage`, {
      to: '物业签约',
      override: '1',
      reason: '公示已线下完成',
    })
    expect(overridden.status).toBe(303)
    expect((await projectRow(number)).stage).toBe('物业签约')
    expect(await auditsOf(number, 'project.stage_override')).toHaveLength(1)
    const done = await officer.open(href)
    expect(done.html).toContain('下一阶段「治理」')
    expect(done.html).toContain('公示已线下完成')
    expect(done.html).toContain('征询居民对物业服务标准和收费的意见')
  })

  it('keeps another street and property staff out of the projects', async () => {
    const world = await makeWorld(deps)
    const { number } = await project(world)
    const elsewhere = await makeWorld(deps)
    const outsider = await login(elsewhere.officer.token)
    for (const path of [`/console/projects/${number}`, `/console/projects/${number}/edit`]) {
      const page = await outsider.open(path)
      expect(page.status, path).toBe(403)
      expect(page.html).toContain('不在您的管辖范围内')
    }
    const list = await outsider.open('/console/projects')
    expect(list.html).not.toContain(number)
    const csrf = csrfOf(list.html)
    for (const [path, form] of [
      ['stage', { to: '确认' }],
      ['documents', { kind: 'design_review', note: '伪造' }],
      ['edit', { title: '改名', year: '2026', responsibleStaffId: String(elsewhere.officer.staff.id) }],
    ] as const) {
      const res = await outsider.open(`/console/projects/${number}/${path}`, {
        form: { _csrf: csrf, ...form },
      })
      expect(res.status, path).toBe(403)
    }
    const row = await projectRow(number)
    expect(row).toMatchObject({ stage: '储备', title: '老旧小区综合整治' })

    const property = await loginPropertyStaff(world.xiaoqu.id)
    for (const path of ['/console/projects', `/console/projects/${number}`, '/console/projects/new']) {
      expect((await property.open(path)).status, path).toBe(403)
    }
    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    const allowed = await login(worker.token)
    expect((await allowed.open(`/console/projects/${number}`)).status).toBe(200)
  })
})
