import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createOrganisation } from '../../core/organisations/organisations.usecases'
import { createProject } from '../../core/projects/projects.usecases'
import { auditLog, outbox, staff, tasks } from '../../db/schema'
import { consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('console: tasks on %s', (driver) => {
  let deps: TestDeps
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
  })

  const taskByTitle = async (title: string) =>
    (await deps.db.select().from(tasks).where(eq(tasks.title, title)))[0]

  it('creates a task on 我的任务 (stored, audited, its owner told) and completes it', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/tasks')
    expect(page.status).toBe(200)
    expect(page.html).toContain('新建任务')
    expect(page.html).toContain(`<option value="${world.xiaoqu.id}"`)
    const title = uniqueId('清理楼道堆物')
    const created = await browser.post(page, '/console/tasks/new', {
      xiaoquId: String(world.xiaoqu.id),
      title,
      detail: '3号楼各单元',
      ownerStaffId: String(world.officer.staff.id),
      dueAt: '2026-03-06T18:00',
      urgent: '1',
    })
    expect(created.status).toBe(303)
    expect(created.location).toBe('/console/tasks?ok=task_created')
    const task = (await taskByTitle(title))!
    expect(task).toMatchObject({
      xiaoquId: world.xiaoqu.id,
      projectId: null,
      ownerStaffId: world.officer.staff.id,
      ownerOrgId: null,
      urgent: true,
      status: 'open',
      detail: '3号楼各单元',
    })
    expect(task.dueAt.toISOString()).toBe(new Date('2026-03-06T18:00:00+08:00').toISOString())
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'task.create'), eq(auditLog.entityId, task.number)))
    expect(audit!.via).toBe('console')
    const told = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, world.officer.staff.wechatId!))
    expect(told.map((m) => m.text).join('\n')).toContain(`【新任务】${task.number}「${title}」`)

    const listed = await browser.open(created.location!)
    expect(listed.html).toContain('任务已创建')
    expect(listed.html).toContain(task.number)
    expect(listed.html).toContain('紧急')
    const done = await browser.post(listed, `/console/tasks/${task.number}/complete`, { note: '已清理' })
    expect(done.status).toBe(303)
    expect((await taskByTitle(title))!).toMatchObject({ status: 'done', completionNote: '已清理' })
    expect((await browser.open(done.location!)).html).not.toContain(title)
  })

  it('refuses a task without one owner, without a place or with a past due time, keeping what was typed', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/tasks')
    const org = await createOrganisation({ db: deps.db, now: deps.clock.now() }, world.admin, {
      kind: 'property_company',
      name: uniqueId('物业公司'),
    })
    const title = uniqueId('检查消防通道')
    const base = { xiaoquId: String(world.xiaoqu.id), title, dueAt: '2026-03-06T18:00' }
    const cases: [Record<string, string>, string][] = [
      [base, '请选择负责人或负责单位，且只选一个'],
      [
        { ...base, ownerStaffId: String(world.officer.staff.id), ownerOrgId: String(org.id) },
        '请选择负责人或负责单位，且只选一个',
      ],
      [{ ...base, xiaoquId: '', ownerOrgId: String(org.id) }, '请选择任务所属的小区，或填写项目编号'],
      [{ ...base, ownerOrgId: String(org.id), dueAt: '2026-03-01T18:00' }, '完成时限必须晚于现在'],
      [{ ...base, ownerOrgId: String(org.id), dueAt: '下周五' }, '完成时限的格式不对'],
      [{ ...base, ownerOrgId: String(org.id), projectNumber: '101' }, '项目编号形如 P101'],
      [{ ...base, ownerOrgId: String(org.id), title: '' }, '请填写任务名称'],
    ]
    for (const [form, message] of cases) {
      const refused = await browser.post(page, '/console/tasks/new', form)
      expect(refused.status, message).toBe(400)
      expect(refused.html).toContain(message)
      if (form.title) expect(refused.html).toContain(`value="${title}"`)
    }
    expect(await taskByTitle(title)).toBeUndefined()

    // An organisation's task reaches its members' 我的任务.
    const created = await browser.post(page, '/console/tasks/new', { ...base, ownerOrgId: String(org.id) })
    expect(created.status).toBe(303)
    const member = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    await deps.db.update(staff).set({ organisationId: org.id }).where(eq(staff.id, member.staff.id))
    const memberView = await login(member.token)
    const mine = await memberView.open('/console/tasks')
    expect(mine.html).toContain(title)
  })

  it('makes a task for a project, by number on 我的任务 and from the project page, listed on the project', async () => {
    const world = await makeWorld(deps)
    const project = await createProject(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      year: 2026,
      title: '综合整治',
      responsibleStaffId: world.officer.staff.id,
    })
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/tasks')
    const byNumber = uniqueId('测绘')
    const created = await browser.post(page, '/console/tasks/new', {
      projectNumber: project.number.toLowerCase(),
      title: byNumber,
      ownerStaffId: String(world.officer.staff.id),
      dueAt: '2026-03-10T12:00',
    })
    expect(created.status).toBe(303)
    expect(await taskByTitle(byNumber)).toMatchObject({
      projectId: project.id,
      stage: '储备',
      xiaoquId: world.xiaoqu.id,
    })

    const href = `/console/projects/${project.number}`
    const projectPage = await browser.open(href)
    expect(projectPage.html).toContain(byNumber)
    const fromProject = uniqueId('入户调查')
    const noOwner = await browser.post(projectPage, `${href}/tasks`, {
      title: fromProject,
      dueAt: '2026-03-10T12:00',
    })
    expect(noOwner.status).toBe(400)
    expect(noOwner.html).toContain('请选择负责人或负责单位')
    expect(noOwner.html).toContain(`value="${fromProject}"`)
    const made = await browser.post(projectPage, `${href}/tasks`, {
      title: fromProject,
      ownerStaffId: String(world.officer.staff.id),
      dueAt: '2026-03-10T12:00',
    })
    expect(made.status).toBe(303)
    expect(made.location).toBe(`${href}?ok=task_created`)
    const task = (await taskByTitle(fromProject))!
    expect(task).toMatchObject({ projectId: project.id, stage: '储备' })
    const shown = await browser.open(made.location!)
    expect(shown.html).toContain(task.number)
    const done = await browser.post(shown, `${href}/tasks/${task.number}/complete`, {})
    expect(done.status).toBe(303)
    expect((await taskByTitle(fromProject))!.status).toBe('done')
    const listed = await browser.open(done.location!)
    expect(listed.html).toContain('已完成')
  })

  it('property staff get no create form and are refused; another street cannot place a task here', async () => {
    const world = await makeWorld(deps)
    const property = await loginPropertyStaff(world.xiaoqu.id)
    const page = await property.open('/console/tasks')
    expect(page.status).toBe(200)
    expect(page.html).not.toContain('action="/console/tasks/new"')
    const title = uniqueId('越权任务')
    const refused = await property.open('/console/tasks/new', {
      form: {
        _csrf: csrfOf(page.html),
        xiaoquId: String(world.xiaoqu.id),
        title,
        ownerStaffId: String(world.officer.staff.id),
        dueAt: '2026-03-06T18:00',
      },
    })
    expect(refused.status).toBe(403)

    const elsewhere = await makeWorld(deps)
    const outsider = await login(elsewhere.officer.token)
    const theirs = await outsider.open('/console/tasks')
    expect(theirs.html).not.toContain(`<option value="${world.xiaoqu.id}"`)
    const out = await outsider.post(theirs, '/console/tasks/new', {
      xiaoquId: String(world.xiaoqu.id),
      title,
      ownerStaffId: String(elsewhere.officer.staff.id),
      dueAt: '2026-03-06T18:00',
    })
    expect(out.status).toBe(403)
    expect(out.html).toContain('不在您的管辖范围内')
    expect(await taskByTitle(title)).toBeUndefined()
  })
})
