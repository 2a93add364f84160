import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { advanceNotices } from '../../core/notices/lifecycle'
import { createPublicity, publishPublicity } from '../../core/notices/publicity.usecases'
import { scanOverdue } from '../../core/nudges/nudges.usecases'
import { createOrganisation } from '../../core/organisations/organisations.usecases'
import * as projects from '../../core/projects/projects.usecases'
import { fileRequest } from '../../core/requests/requests.usecases'
import * as tasks from '../../core/tasks/tasks.usecases'
import { auditLog, staff, watches, xiaoqu } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { nudgeMessagesAbout } from '../support/nudges'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

describe.each(drivers)('projects, stages and tasks on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps)
  })
  afterAll(async () => {
    await deps.database.close()
  })
  beforeEach(() => {
    deps.clock.set(shanghai('2026-03-02T10:00:00')) // Monday
  })

  const call = apiCaller(() => app)

  async function setup() {
    const world = await makeWorld(deps)
    const ctx = { db: deps.db, now: deps.clock.now() }
    const org = (kind: Parameters<typeof createOrganisation>[2]['kind']) =>
      createOrganisation(ctx, world.admin, { kind, name: uniqueId(kind) })
    const implementing = await org('implementing_entity')
    const property = await org('property_company')
    const planner = await org('responsible_planner')
    const builder = await org('construction_unit')
    const project = await projects.createProject(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      year: 2026,
      title: '老旧小区综合整治',
      responsibleStaffId: world.officer.staff.id,
    })
    const move = (to: Parameters<typeof projects.moveStage>[3]['to'], actor = world.officer.actor) =>
      deps.db.transaction((tx) => projects.moveStage({ ...deps, db: tx }, actor, project.number, { to }))
    const finishStage = async () => {
      const open = (await tasks.tasksOfProject(deps.db, [project.id])).filter((t) => t.status === 'open')
      for (const t of open) await tasks.completeTask(deps, world.admin, t.number)
    }
    return { world, project, implementing, property, planner, builder, move, finishStage }
  }

  it('walks every stage through its gates, naming the gate that fails, and makes each stage’s tasks', async () => {
    const { world, project, implementing, property, planner, builder, move, finishStage } = await setup()
    await expect(move('确认')).rejects.toMatchObject({ status: 409, code: 'projects.gate.items' })
    await projects.updateProject(deps, world.officer.actor, project.number, {
      items: [
        { name: '楼本体节能改造', kind: 'basic' },
        { name: '加装电梯', kind: 'optional' },
      ],
      plannedInvestment: '1234567.89',
    })
    const confirmed = await move('确认')
    expect(confirmed.tasks.map((t) => [t.title, t.ownerStaffId])).toEqual([
      ['组织居民议事，汇总改造需求', world.officer.staff.id],
    ])
    // Two gates fail at once: both are named.
    const refused = await move('设计').catch((e) => e)
    expect(refused.status).toBe(409)
    expect(refused.details.gates.map((g: { gate: string }) => g.gate)).toEqual([
      'stage_tasks',
      'implementing_entity',
    ])
    expect(refused.message).toContain(confirmed.tasks[0]!.number)
    await finishStage()
    await projects.updateProject(deps, world.officer.actor, project.number, {
      implementingEntityId: implementing.id,
      plannerId: planner.id,
      propertyCompanyId: property.id,
      constructionUnitId: builder.id,
    })
    const design = await move('设计')
    // 编制设计方案 to the implementing entity in 20 working days at 18:00: 2 March + 20 = 30 March.
    expect(design.tasks.map((t) => [t.title, t.ownerOrgId, t.dueAt.toISOString()])).toEqual([
      ['编制设计方案', implementing.id, shanghai('2026-03-30T18:00:00').toISOString()],
      ['责任规划师审查', planner.id, shanghai('2026-04-07T18:00:00').toISOString()],
    ])
    await expect(move('施工')).rejects.toMatchObject({ status: 409, code: 'projects.gate.order' })
    await finishStage()
    await expect(move('公示')).rejects.toMatchObject({ code: 'projects.gate.design_review' })
    await projects.recordDocument(deps, world.officer.actor, project.number, {
      kind: 'design_review',
      note: '规划师王工审查通过',
    })
    await move('公示')
    await finishStage()
    await expect(move('物业签约')).rejects.toMatchObject({ code: 'projects.gate.publicity' })
    // The project's design publicity runs its period; its closing makes 汇总公示意见.
    const publicity = await createPublicity(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '设计方案公示',
      body: '详见附件',
      opensAt: shanghai('2026-03-03T09:00:00'),
      closesAt: shanghai('2026-03-10T09:00:00'),
      review: { reviewedBy: '王工' },
      projectNumber: project.number,
    })
    await publishPublicity(deps, world.officer.actor, publicity.number)
    deps.clock.set(shanghai('2026-03-03T09:01:00'))
    await advanceNotices(deps)
    deps.clock.set(shanghai('2026-03-10T09:01:00'))
    await advanceNotices(deps)
    const summaryTask = (await tasks.tasksOfProject(deps.db, [project.id])).find(
      (t) => t.title === '汇总公示意见',
    )
    expect(summaryTask).toMatchObject({ status: 'open', stage: '公示' })
    await expect(move('物业签约')).rejects.toMatchObject({ code: 'projects.gate.stage_tasks' })
    await finishStage()
    await move('物业签约')
    await finishStage()
    await expect(move('治理')).rejects.toMatchObject({ code: 'projects.gate.property_agreement' })
    await projects.recordDocument(deps, world.officer.actor, project.number, {
      kind: 'property_agreement',
      note: '物业服务协议，同意户数 132/200',
    })
    await move('治理')
    await finishStage()
    const building = await move('施工')
    expect(building.project.startedAt?.toISOString()).toBe(deps.clock.now().toISOString())
    await finishStage()
    await move('竣工验收')
    await finishStage()
    await expect(move('移交')).rejects.toMatchObject({ code: 'projects.gate.acceptance' })
    await projects.recordDocument(deps, world.officer.actor, project.number, {
      kind: 'acceptance',
      note: '验收合格',
    })
    const handed = await move('移交')
    expect(handed.project.completedAt).not.toBeNull()
    await finishStage()
    await projects.recordDocument(deps, world.officer.actor, project.number, {
      kind: 'handover',
      note: '已移交',
    })
    await move('长效管理')
    const [place] = await deps.db.select().from(xiaoqu).where(eq(xiaoqu.id, world.xiaoqu.id))
    expect(place!.propertyCompanyId).toBe(property.id)
    const detail = await projects.projectDetail(deps.db, world.officer.staff, project.number)
    expect(detail.events.filter((e) => e.kind === 'stage').map((e) => e.toStage)).toEqual([
      '确认',
      '设计',
      '公示',
      '物业签约',
      '治理',
      '施工',
      '竣工验收',
      '移交',
      '长效管理',
    ])
    expect(detail.events.every((e) => e.actorName && e.at)).toBe(true)
    expect(detail.gates.next).toBeNull()
  })

  it('lets only an admin override a gate, with a reason, audited; the stage’s open tasks are cancelled', async () => {
    const { world, project, move } = await setup()
    await projects.updateProject(deps, world.officer.actor, project.number, {
      items: [{ name: 'garden', kind: 'basic' }],
    })
    const confirmed = await move('确认')
    const override = (actor: typeof world.admin, reason?: string) =>
      projects.moveStage(deps, actor, project.number, { to: '设计', override: true, reason })
    await expect(override(world.officer.actor, '赶工期')).rejects.toMatchObject({ status: 403 })
    await expect(override(world.admin)).rejects.toMatchObject({
      status: 400,
      code: 'projects.reason_required',
    })
    await expect(override(world.admin, '  ')).rejects.toMatchObject({ status: 400 })
    const moved = await override(world.admin, '区里要求提前启动设计')
    expect(moved.overridden.map((g) => g.gate)).toEqual(['stage_tasks', 'implementing_entity'])
    const [cancelled] = (await tasks.tasksOfProject(deps.db, [project.id])).filter(
      (t) => t.number === confirmed.tasks[0]!.number,
    )
    expect(cancelled!.status).toBe('cancelled')
    const [watch] = await deps.db
      .select()
      .from(watches)
      .where(and(eq(watches.itemKind, 'task'), eq(watches.itemId, cancelled!.id)))
    expect(watch!.nextAt).toBeNull()
    const audits = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, project.number), eq(auditLog.action, 'project.stage_override')))
    expect(audits).toHaveLength(1)
    expect(JSON.stringify(audits[0]!.after)).toContain('区里要求提前启动设计')
  })

  it('lets the owner, their organisation or a supervisor complete a task, and nobody else', async () => {
    const { world, project } = await setup()
    const supervisor = await makeStaff(deps, {
      name: uniqueId('科长'),
      role: 'officer',
      areaId: world.street.id,
    })
    await deps.db
      .update(staff)
      .set({ supervisorId: supervisor.staff.id })
      .where(eq(staff.id, world.officer.staff.id))
    const stranger = await makeStaff(deps, {
      name: uniqueId('路人'),
      role: 'officer',
      areaId: world.street.id,
    })
    const make = (title: string) =>
      tasks.createTask(deps, world.officer.actor, {
        xiaoquId: world.xiaoqu.id,
        projectId: project.id,
        title,
        ownerStaffId: world.officer.staff.id,
        dueAt: shanghai('2026-03-10T18:00:00'),
      })
    const one = await make('入户调查')
    await expect(tasks.completeTask(deps, stranger.actor, one!.number)).rejects.toMatchObject({
      status: 403,
      code: 'tasks.not_yours',
    })
    const done = await tasks.completeTask(deps, supervisor.actor, one!.number, '已入户 40 户')
    expect(done).toMatchObject({ status: 'done', completedBy: supervisor.staff.id })
    await expect(tasks.completeTask(deps, world.officer.actor, one!.number)).rejects.toMatchObject({
      status: 409,
    })
    const history = await tasks.taskHistory(deps.db, one!.id)
    expect(history.map((e) => e.kind)).toEqual(['created', 'completed'])

    const org = await createOrganisation({ db: deps.db, now: deps.clock.now() }, world.admin, {
      kind: 'property_company',
      name: uniqueId('物业'),
    })
    const member = await makeStaff(deps, {
      name: uniqueId('物业员'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    await deps.db.update(staff).set({ organisationId: org.id }).where(eq(staff.id, member.staff.id))
    const orgTask = await tasks.createTask(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '签订物业服务协议',
      ownerOrgId: org.id,
      dueAt: shanghai('2026-03-20T18:00:00'),
    })
    const [memberRow] = await deps.db.select().from(staff).where(eq(staff.id, member.staff.id))
    const finished = await tasks.completeTask(
      deps,
      { kind: 'staff', staff: memberRow!, via: 'wechat' },
      orgTask!.number,
    )
    expect(finished.status).toBe('done')
  })

  it('refuses bad input over HTTP with the right status and a Chinese message', async () => {
    const { world, project } = await setup()
    const officer = world.officer.token
    const noOwner = await call(officer, 'POST', '/tasks', {
      xiaoquId: world.xiaoqu.id,
      title: '清理地桩地锁',
      dueAt: '2026-03-10T18:00:00+08:00',
    })
    expect(noOwner.status).toBe(400)
    expect(noOwner.body.error.message).toContain('负责')
    const noDue = await call(officer, 'POST', '/tasks', {
      projectNumber: project.number,
      title: '清理地桩地锁',
      ownerStaffId: world.officer.staff.id,
    })
    expect(noDue.status).toBe(400)
    expect(noDue.body.error.message).toContain('完成时限')
    const jump = await call(officer, 'POST', `/projects/${project.number}/stage`, { to: '施工' })
    expect(jump.status).toBe(409)
    expect(jump.body.error.code).toBe('projects.gate.order')
    expect(jump.body.error.message).toContain('须依次经过')
    const noReason = await call(deps.adminToken, 'POST', `/projects/${project.number}/stage`, {
      to: '确认',
      override: true,
    })
    expect(noReason.status).toBe(400)
    const created = await call(officer, 'POST', '/tasks', {
      projectNumber: project.number,
      title: '清理地桩地锁',
      ownerStaffId: world.officer.staff.id,
      dueAt: '2026-03-10T18:00:00+08:00',
    })
    expect(created.status).toBe(201)
    const stranger = await makeStaff(deps, {
      name: uniqueId('路人'),
      role: 'officer',
      areaId: world.street.id,
    })
    const notYours = await call(stranger.token, 'POST', `/tasks/${created.body.number}/complete`, {})
    expect(notYours.status).toBe(403)
    const extendNoReason = await call(officer, 'POST', `/tasks/${created.body.number}/extend`, {
      dueAt: '2026-03-20T18:00:00+08:00',
      reason: '',
    })
    expect(extendNoReason.status).toBe(400)
    const extended = await call(officer, 'POST', `/tasks/${created.body.number}/extend`, {
      dueAt: '2026-03-20T18:00:00+08:00',
      reason: '等待施工单位进场',
    })
    expect(extended.status).toBe(200)
    expect(extended.body.dueAt).toBe(shanghai('2026-03-20T18:00:00').toISOString())
    const shown = await call(officer, 'GET', `/tasks/${created.body.number}`)
    expect(shown.body.history.map((e: { kind: string }) => e.kind)).toEqual(['created', 'extended'])
    expect(shown.body.history[1].note).toBe('等待施工单位进场')
    const mine = await call(officer, 'GET', '/tasks')
    expect(mine.body.items.map((t: { number: string }) => t.number)).toContain(created.body.number)
    const { request } = await fileRequest(deps, {
      text: '单元门禁坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    const requestNoReason = await call(officer, 'POST', `/requests/${request.number}/extend`, {
      resolutionDueAt: '2026-03-30T18:00:00+08:00',
      reason: ' ',
    })
    expect(requestNoReason.status).toBe(400)
    const requestExtended = await call(officer, 'POST', `/requests/${request.number}/extend`, {
      resolutionDueAt: '2026-03-30T18:00:00+08:00',
      reason: '需协调产权单位',
    })
    expect(requestExtended.status).toBe(200)
    expect(requestExtended.body.resolutionDueAt).toBe(shanghai('2026-03-30T18:00:00').toISOString())
    const [extendAudit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'request.extend'), eq(auditLog.entityId, request.number)))
    expect(JSON.stringify(extendAudit!.after)).toContain('需协调产权单位')
    const digestOn = await call(officer, 'PUT', '/me/preferences', { digest: true })
    expect(digestOn.body.digest).toBe(true)
    const detail = await call(officer, 'GET', `/projects/${project.number}`)
    expect(detail.status).toBe(200)
    expect(detail.body.nextStage).toBe('确认')
    expect(detail.body.nextStageNeeds.map((g: { gate: string }) => g.gate)).toEqual(['stage_tasks', 'items'])
  })

  it('extending moves the ladder, snoozing holds it, completing stops it; each is audited', async () => {
    const { world } = await setup()
    const task = await tasks.createTask(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '入户测量',
      ownerStaffId: world.officer.staff.id,
      dueAt: shanghai('2026-03-03T18:00:00'),
    })
    const scan = () => deps.db.transaction((tx) => scanOverdue({ ...deps, db: tx }))
    const nudgesFor = async () =>
      (await nudgeMessagesAbout(deps.db, task!.number)).map((m) => ({ conversationId: m.to, text: m.text }))
    await tasks.extendTask(deps, world.officer.actor, task!.number, {
      dueAt: shanghai('2026-03-05T18:00:00'),
      reason: '居民不在家',
    })
    deps.clock.set(shanghai('2026-03-04T10:00:00'))
    await scan()
    expect(await nudgesFor()).toHaveLength(0)
    deps.clock.set(shanghai('2026-03-05T18:01:00'))
    await tasks.extendTask(deps, world.officer.actor, task!.number, {
      snoozeUntil: shanghai('2026-03-06T09:00:00'),
      reason: '明早处理',
    })
    await scan()
    expect(await nudgesFor()).toHaveLength(0)
    deps.clock.set(shanghai('2026-03-06T09:00:00'))
    await scan()
    expect((await nudgesFor()).map((r) => r.conversationId)).toEqual([world.officer.staff.wechatId])
    expect((await nudgesFor())[0]!.text).toContain(`完成 ${task!.number}`)
    await tasks.completeTask(deps, world.officer.actor, task!.number)
    deps.clock.set(shanghai('2026-03-20T10:00:00'))
    await scan()
    expect(await nudgesFor()).toHaveLength(1)
    const actions = (
      await deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entity, 'task'), eq(auditLog.entityId, task!.number)))
        .orderBy(asc(auditLog.id))
    ).map((a) => a.action)
    expect(actions).toEqual(['task.create', 'task.extend', 'task.snooze', 'task.complete'])
  })
})
