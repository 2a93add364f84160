import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import * as projectCases from '../../core/projects/projects.usecases'
import { acceptRequest } from '../../core/requests/requests.usecases'
import { createTask } from '../../core/tasks/tasks.usecases'
import { auditLog, projects, requests, tasks } from '../../db/schema'
import { Browser, type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { fileIn as fileInWorld, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)
const day = 24 * 3600_000

describe.each(drivers)('officers’ web console on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  const fileIn = (world: Awaited<ReturnType<typeof makeWorld>>, text?: string) =>
    fileInWorld(deps, world, text)

  const requestRow = async (number: string) =>
    (await deps.db.select().from(requests).where(eq(requests.number, number)))[0]!

  // -------------------------------------------------------------------------------------------------------
  // Login, logout, sessions

  it('refuses a bad token with a Chinese 401 page and sets no session', async () => {
    const browser = new Browser(app)
    const form = await browser.open('/console/login')
    expect(form.html).toContain('访问令牌')
    const page = await browser.post(form, '/console/login', { token: 'gz_not-a-real-token' })
    expect(page.status).toBe(401)
    expect(page.html).toContain('访问令牌无效或已停用')
    expect(page.html).toMatch(/^<!DOCTYPE html>/)
    expect(browser.cookies.has('gz_console')).toBe(false)
    const empty = await browser.post(form, '/console/login', { token: '   ' })
    expect(empty.status).toBe(400)
    expect(empty.html).toContain('请输入访问令牌')
  })

  it('logs in with a good token: HttpOnly, SameSite=Strict cookie (Secure over https), then the inbox', async () => {
    const world = await makeWorld(deps)
    const browser = new Browser(app)
    const form = await browser.open('/console/login')
    const done = await browser.post(form, '/console/login', { token: world.officer.token })
    expect(done.status).toBe(303)
    expect(done.location).toBe('/console')
    const session = done.setCookies.find((c) => c.startsWith('gz_console='))!
    expect(session).toMatch(/HttpOnly/)
    expect(session).toMatch(/SameSite=Strict/)
    expect(session).toMatch(/Path=\/console/)
    expect(session).not.toMatch(/Secure/)
    const inbox = await browser.open('/console')
    expect(inbox.status).toBe(200)
    expect(inbox.html).toContain('收件箱')
    expect(inbox.html).toContain(world.officer.staff.name)
    expect(inbox.html).toContain('工作人员')
    for (const nav of ['任务', '超时', '项目', '数据看板', '退出']) expect(inbox.html).toContain(nav)
    expect(inbox.html).not.toContain('<script')

    const secure = new Browser(app, 'https://console.example.org')
    const secureForm = await secure.open('/console/login')
    const secureDone = await secure.post(secureForm, '/console/login', { token: world.officer.token })
    expect(secureDone.setCookies.find((c) => c.startsWith('gz_console='))).toMatch(/Secure/)

    // Logging in refuses a form without its CSRF field (login CSRF), and goes back where it was sent from.
    const bare = await new Browser(app).open('/console/login', { form: { token: world.officer.token } })
    expect(bare.status).toBe(403)
    const back = new Browser(app)
    const sent = await back.open('/console/tasks')
    expect(sent.location).toBe('/console/login?next=%2Fconsole%2Ftasks')
    const backForm = await back.open(sent.location!)
    const arrived = await back.post(backForm, '/console/login', {
      token: world.officer.token,
      next: '/console/tasks',
    })
    expect(arrived.location).toBe('/console/tasks')
    // Never to another site. (Logging in renewed the CSRF nonce: the old form is spent.)
    const spent = await back.post(backForm, '/console/login', { token: world.officer.token })
    expect(spent.status).toBe(403)
    const evil = await back.post(await back.open('/console/login'), '/console/login', {
      token: world.officer.token,
      next: '//evil.example/console',
    })
    expect(evil.location).toBe('/console')
  })

  it('sends every page to the login page without a valid session cookie, and logout ends it', async () => {
    const anonymous = new Browser(app)
    for (const path of [
      '/console',
      '/console/tasks',
      '/console/overdue',
      '/console/projects',
      '/console/dashboard',
    ]) {
      const page = await anonymous.open(path)
      expect(page.status, path).toBe(303)
      expect(page.location, path).toMatch(/^\/console\/login/)
    }
    const detail = await anonymous.open('/console/requests/Q1001')
    expect(detail.location).toBe('/console/login?next=%2Fconsole%2Frequests%2FQ1001')
    const post = await anonymous.open('/console/requests/Q1001/accept', { form: { note: 'x' } })
    expect(post.status).toBe(303)
    expect(post.location).toBe('/console/login')

    const forged = new Browser(app)
    forged.cookies.set('gz_console', 'gz_forged')
    expect((await forged.open('/console')).location).toBe('/console/login')

    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const inbox = await browser.open('/console')
    const out = await browser.post(inbox, '/console/logout')
    expect(out.status).toBe(303)
    expect(out.location).toBe('/console/login?ok=logged_out')
    expect(browser.cookies.has('gz_console')).toBe(false)
    expect((await browser.open('/console')).location).toBe('/console/login')
    expect((await browser.open(out.location!)).html).toContain('您已退出登录')
  })

  // -------------------------------------------------------------------------------------------------------
  // Requests

  it('lists a filed request in the inbox with the phone masked, and the detail too until the officer holds it', async () => {
    const world = await makeWorld(deps)
    const request = await fileIn(world)
    const browser = await login(world.officer.token)
    const inbox = await browser.open('/console')
    expect(inbox.status).toBe(200)
    expect(inbox.html).toContain(request.number)
    expect(inbox.html).toContain(request.category)
    expect(inbox.html).toContain(world.xiaoqu.name)
    expect(inbox.html).toContain('待受理')
    expect(inbox.html).toContain('135****0001')
    expect(inbox.html).not.toContain('13501010001')
    expect(inbox.html).toContain(`href="/console/requests/${request.number}"`)

    const detail = await browser.open(`/console/requests/${request.number}`)
    expect(detail.status).toBe(200)
    expect(detail.html).toContain('135****0001')
    expect(detail.html).not.toContain('13501010001')
    expect(detail.html).toContain('张桂兰')
    expect(detail.html).toContain('办理记录')
    expect(detail.html).toContain('提交')
    // 转派 offers the officers covering the xiaoqu.
    expect(detail.html).toContain(`<option value="${world.officer.staff.id}"`)
    const missing = await browser.open('/console/requests/Q999999')
    expect(missing.status).toBe(404)
    expect(missing.html).toContain('没有找到诉求 Q999999')
  })

  it('accepts a request only with the CSRF token, then redirects back (POST/redirect/GET)', async () => {
    const world = await makeWorld(deps)
    const request = await fileIn(world)
    const browser = await login(world.officer.token)
    const action = `/console/requests/${request.number}/accept`
    const detail = await browser.open(`/console/requests/${request.number}`)

    const without = await browser.open(action, { form: { note: '马上处理' } })
    expect(without.status).toBe(403)
    expect(without.html).toContain('页面已过期或来源不明')
    const wrong = await browser.open(action, { form: { _csrf: 'x'.repeat(43), note: '马上处理' } })
    expect(wrong.status).toBe(403)
    const crossSite = await browser.open(action, {
      form: { _csrf: csrfOf(detail.html, action), note: '马上处理' },
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
    // Another officer's form token is not this session's.
    const other = await login(
      (await makeStaff(deps, { name: uniqueId('官员'), role: 'officer', areaId: world.community.id })).token,
    )
    const theirs = await other.open(`/console/requests/${request.number}`)
    const borrowed = await browser.open(action, { form: { _csrf: csrfOf(theirs.html, action) } })
    expect(borrowed.status).toBe(403)
    expect((await requestRow(request.number)).status).toBe('submitted')

    const accepted = await browser.post(detail, action, { note: '马上处理' })
    expect(accepted.status).toBe(303)
    expect(accepted.location).toBe(`/console/requests/${request.number}?ok=accepted`)
    const row = await requestRow(request.number)
    expect(row.status).toBe('accepted')
    expect(row.assigneeStaffId).toBe(world.officer.staff.id)
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'request.accept'), eq(auditLog.entityId, request.number)))
    expect(audit).toMatchObject({ via: 'console', actorStaffId: world.officer.staff.id })
    const after = await browser.open(accepted.location!)
    expect(after.html).toContain('已受理')
    expect(after.html).toContain('马上处理')

    // A use case's refusal is shown on the page with its status.
    const again = await browser.post(after, `/console/requests/${request.number}/resolve`, { note: '' })
    expect(again.status).toBe(400)
    expect(again.html).toContain('请写明办理结果')
    const resolved = await browser.post(after, `/console/requests/${request.number}/resolve`, {
      note: '已更换楼道灯',
    })
    expect(resolved.status).toBe(303)
    expect((await requestRow(request.number)).status).toBe('resolved')
    // Accepting a resolved request is a 409.
    const twice = await browser.open(action, { form: { _csrf: csrfOf(after.html) } })
    expect(twice.status).toBe(409)
    expect(twice.html).toContain('不能受理')
    expect(twice.html).not.toMatch(/at \w+ \(|Error:/)
  })

  it('reassigns a request to a colleague whose scope covers the xiaoqu', async () => {
    const world = await makeWorld(deps)
    const colleague = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      xiaoquId: world.xiaoqu.id,
    })
    const request = await fileIn(world)
    const browser = await login(world.officer.token)
    const detail = await browser.open(`/console/requests/${request.number}`)
    expect(detail.html).toContain(colleague.staff.name)
    const action = `/console/requests/${request.number}/assign`
    const none = await browser.post(detail, action, { staffId: '' })
    expect(none.status).toBe(400)
    expect(none.html).toContain('请选择转派给谁')
    const done = await browser.post(detail, action, {
      staffId: String(colleague.staff.id),
      note: '请社工跟进',
    })
    expect(done.status).toBe(303)
    expect((await requestRow(request.number)).assigneeStaffId).toBe(colleague.staff.id)
  })

  it('refuses an officer of another street with the Chinese 403, on the page and on the forms', async () => {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const request = await fileIn(world)
    const browser = await login(elsewhere.officer.token)
    const page = await browser.open(`/console/requests/${request.number}`)
    expect(page.status).toBe(403)
    expect(page.html).toContain(`诉求 ${request.number} 不在您的管辖范围内`)
    expect(page.html).toContain('收件箱') // still inside the layout
    const inbox = await browser.open('/console')
    expect(inbox.html).not.toContain(request.number)
    const action = `/console/requests/${request.number}/accept`
    const post = await browser.open(action, { form: { _csrf: csrfOf(inbox.html, '/console/logout') } })
    expect(post.status).toBe(403)
    expect(post.html).toContain('不在您的管辖范围内')
    expect((await requestRow(request.number)).status).toBe('submitted')
  })

  it('escapes what residents write', async () => {
    const world = await makeWorld(deps)
    const request = await fileIn(world, '<script>alert("x")</script> 楼道灯坏了 <img src=x onerror=alert(1)>')
    const browser = await login(world.officer.token)
    for (const path of ['/console', `/console/requests/${request.number}`]) {
      const page = await browser.open(path)
      expect(page.status).toBe(200)
      expect(page.html).toContain('&lt;script&gt;')
      expect(page.html).not.toContain('<script>alert')
      expect(page.html).not.toContain('<img src=x')
    }
  })

  // -------------------------------------------------------------------------------------------------------
  // Tasks, overdue, projects, dashboard

  it('lists my tasks; 完成 closes one, 延期 needs a reason and moves the due time', async () => {
    const world = await makeWorld(deps)
    const make = (title: string) =>
      createTask(deps, world.officer.actor, {
        xiaoquId: world.xiaoqu.id,
        title,
        ownerStaffId: world.officer.staff.id,
        dueAt: shanghai('2026-03-06T18:00:00'),
      })
    const first = (await make('检查楼道照明'))!
    const second = (await make('上门回访独居老人'))!
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/tasks')
    expect(page.status).toBe(200)
    expect(page.html).toContain(first.number)
    expect(page.html).toContain('检查楼道照明')
    expect(page.html).toContain('2026-03-06 18:00')

    const done = await browser.post(page, `/console/tasks/${first.number}/complete`, { note: '已检查' })
    expect(done.status).toBe(303)
    expect(done.location).toBe('/console/tasks?ok=task_done')
    const [closed] = await deps.db.select().from(tasks).where(eq(tasks.id, first.id))
    expect(closed!.status).toBe('done')
    const after = await browser.open(done.location!)
    expect(after.html).toContain('任务已标记完成')
    expect(after.html).not.toContain('检查楼道照明')

    const extend = `/console/tasks/${second.number}/extend`
    const noReason = await browser.post(after, extend, { dueAt: '2026-03-13T18:00', reason: ' ' })
    expect(noReason.status).toBe(400)
    expect(noReason.html).toContain('延期须写明原因')
    const badTime = await browser.post(after, extend, { dueAt: '下周', reason: '老人住院' })
    expect(badTime.status).toBe(400)
    expect(badTime.html).toContain('请填写新的完成时限')
    const extended = await browser.post(after, extend, { dueAt: '2026-03-13T18:00', reason: '老人住院' })
    expect(extended.status).toBe(303)
    const [moved] = await deps.db.select().from(tasks).where(eq(tasks.id, second.id))
    expect(moved!.dueAt.toISOString()).toBe(shanghai('2026-03-13T18:00:00').toISOString())
  })

  it('shows what is overdue in scope: requests and tasks past their deadlines', async () => {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const request = await fileIn(world)
    const theirs = await fileIn(elsewhere)
    const task = (await createTask(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '清理楼道堆物',
      ownerStaffId: world.officer.staff.id,
      dueAt: shanghai('2026-03-03T18:00:00'),
    }))!
    deps.clock.advance(30 * day)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/overdue')
    expect(page.status).toBe(200)
    expect(page.html).toContain(request.number)
    expect(page.html).toContain(task.number)
    expect(page.html).toContain('清理楼道堆物')
    expect(page.html).toContain('办结超时')
    expect(page.html).not.toContain(theirs.number)
    const inbox = await browser.open('/console')
    expect(inbox.html).toContain('其中超时 1 件')
  })

  it('shows the pipeline and what the next stage needs; a refused move names the failing gates', async () => {
    const world = await makeWorld(deps)
    const project = await projectCases.createProject(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      year: 2026,
      title: '老旧小区综合整治',
      responsibleStaffId: world.officer.staff.id,
    })
    const browser = await login(world.officer.token)
    const pipeline = await browser.open('/console/projects')
    expect(pipeline.status).toBe(200)
    expect(pipeline.html).toContain('储备')
    expect(pipeline.html).toContain('长效管理')
    expect(pipeline.html).toContain(`href="/console/projects/${project.number}"`)

    const detail = await browser.open(`/console/projects/${project.number}`)
    expect(detail.status).toBe(200)
    expect(detail.html).toContain('进入下一阶段「确认」还需要')
    expect(detail.html).toContain('项目还没有改造内容')
    const action = `/console/projects/${project.number}/stage`
    const refused = await browser.post(detail, action, { to: '确认' })
    expect(refused.status).toBe(409)
    expect(refused.html).toContain('未通过的条件')
    expect(refused.html).toContain(`项目 ${project.number} 不能进入「确认」`)

    await projectCases.updateProject(deps, world.officer.actor, project.number, {
      items: [{ name: '楼本体节能改造', kind: 'basic' }],
      plannedInvestment: '1234567.89',
    })
    const ready = await browser.open(`/console/projects/${project.number}`)
    expect(ready.html).toContain('条件均已满足')
    expect(ready.html).toContain('1,234,567.89 元')
    const moved = await browser.post(ready, action, { to: '确认' })
    expect(moved.status).toBe(303)
    const [row] = await deps.db.select().from(projects).where(eq(projects.id, project.id))
    expect(row!.stage).toBe('确认')
    const next = await browser.open(moved.location!)
    expect(next.html).toContain('项目已进入下一阶段')
    expect(next.html).toContain('组织居民议事，汇总改造需求')
    expect(next.html).not.toContain('强制进入')

    // An admin may override the open gates with a reason; without one it is refused.
    const admin = await login(deps.adminToken)
    const adminView = await admin.open(`/console/projects/${project.number}`)
    expect(adminView.html).toContain('管理员强制变更阶段')
    const noReason = await admin.post(adminView, action, { to: '设计', override: '1', reason: '' })
    expect(noReason.status).toBe(400)
    const overridden = await admin.post(adminView, action, {
      to: '设计',
      override: '1',
      reason: '区里要求提前设计',
    })
    expect(overridden.status).toBe(303)
    const [afterOverride] = await deps.db.select().from(projects).where(eq(projects.id, project.id))
    expect(afterOverride!.stage).toBe('设计')

    const elsewhere = await makeWorld(deps)
    const outsider = await login(elsewhere.officer.token)
    const forbidden = await outsider.open(`/console/projects/${project.number}`)
    expect(forbidden.status).toBe(403)
    expect(forbidden.html).toContain('不在您的管辖范围内')
  })

  it('renders the dashboard for a year: figures, targets in 元 and 亿元, rates as percentages', async () => {
    const world = await makeWorld(deps)
    const first = await fileIn(world)
    await fileIn(world, '小区门口路灯不亮')
    await deps.db.transaction((tx) => acceptRequest({ ...deps, db: tx }, world.officer.actor, first.number))
    deps.clock.advance(10 * day)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/dashboard?year=2026')
    expect(page.status).toBe(200)
    expect(page.html).toContain('2026 年')
    expect(page.html).toContain(world.community.name)
    for (const label of ['响应率', '解决率', '满意率', '业主组织组建率', '物业管理覆盖率', '当前超时']) {
      expect(page.html).toContain(label)
    }
    // One of two requests responded on time: 50.0%; nothing rated yet.
    expect(page.html).toContain('50.0%')
    expect(page.html).toContain('—')
    const defaultYear = await browser.open('/console/dashboard')
    expect(defaultYear.html).toContain('2026 年')

    const admin = await login(deps.adminToken)
    const target = await admin.open('/console/dashboard?year=2020')
    expect(target.status).toBe(200)
    expect(target.html).toContain('12.80 亿元')
    expect(target.html).toContain('1,280,000,000.00 元')
    expect(target.html).toContain('目标 80 个')

    const bad = await browser.open('/console/dashboard?year=abc')
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('年份应为 2000 到 2100 之间的整数')

    const refused = await (await loginPropertyStaff(world.xiaoqu.id)).open('/console/dashboard')
    expect(refused.status).toBe(403)
    expect(refused.html).toContain('不能执行此操作')
  })

  it('answers unknown console pages with a Chinese 404 page', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/nowhere')
    expect(page.status).toBe(404)
    expect(page.html).toContain('没有这个页面')
  })
})
