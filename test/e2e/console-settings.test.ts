import { and, desc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { enqueueMessages } from '../../core/outbox/outbox.repository'
import { drainOutboxOnce, type Transport } from '../../core/outbox/outbox.sender'
import { currentSendPacing } from '../../core/settings/send-pacing'
import { getYearTargets } from '../../core/settings/year-targets'
import type { Stats } from '../../core/stats/stats'
import { auditLog, settings } from '../../db/schema'
import { type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const action = '/console/settings/targets'

describe.each(drivers)('console: settings and the year’s targets on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  const statsOf = async (year: number) => {
    const res = await app.request(`/api/v1/stats?year=${year}`, {
      headers: { authorization: `Bearer ${deps.adminToken}` },
    })
    const text = await res.text()
    expect(res.status, text).toBe(200)
    return JSON.parse(text) as Stats
  }

  const storedTargets = async () =>
    (await deps.db.select().from(settings).where(eq(settings.key, 'year_targets')))[0]?.value

  const targetAudits = () =>
    deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'settings.year_targets'), eq(auditLog.entity, 'settings')))
      .orderBy(desc(auditLog.id))

  it('stores a year’s targets from the form: audited, read back by the API’s /stats and the dashboard', async () => {
    const admin = await login(deps.adminToken)
    const page = await admin.open('/console/settings')
    expect(page.status).toBe(200)
    expect(page.html).toContain('设置与目标')
    // No targets for 2026 yet: the env's default year is listed, the form offers the work plan's figures.
    expect(page.html).toContain('环境变量 YEAR_TARGETS')
    expect(page.html).toContain('name="started" value="80"')
    expect(page.html).toContain('name="investmentYuan" value="1280000000"')
    // Settings read from the environment: shown with their variable, not editable.
    expect(page.html).toContain('<code>QUIET_HOURS</code>')
    expect(page.html).toContain('<code>BOT_FRIENDS_PER_HOUR</code>')
    expect(page.html).toContain('每小时最多通过好友申请')
    expect(page.html).not.toContain('<script')
    expect((await statsOf(2026)).projects.targets).toBeNull()

    const saved = await admin.post(page, action, {
      year: '2026',
      started: '90',
      completed: '60',
      investmentYuan: '1,300,000,000',
    })
    expect(saved.status, saved.html).toBe(303)
    expect(saved.location).toBe('/console/settings?ok=targets&year=2026')
    expect(await storedTargets()).toEqual({
      '2026': { started: 90, completed: 60, investmentYuan: '1300000000' },
    })
    const [audit] = await targetAudits()
    expect(audit).toMatchObject({
      entityId: 'year_targets:2026',
      via: 'console',
      before: null,
      after: { started: 90, completed: 60, investmentYuan: '1300000000' },
    })

    const stats = await statsOf(2026)
    expect(stats.projects.targets).toEqual({ started: 90, completed: 60, investmentYuan: '1300000000' })
    expect(stats.projects.investment.targetYuan).toBe('1300000000.00')
    // The env's year is untouched.
    expect((await statsOf(2020)).projects.targets).toEqual({
      started: 80,
      completed: 50,
      investmentYuan: '1280000000',
    })

    const after = await admin.open(saved.location!)
    expect(after.html).toContain('年度目标已保存')
    expect(after.html).toContain('数据库（本页设置）')
    expect(after.html).toContain('13.00 亿元')
    const dashboard = await admin.open('/console/dashboard?year=2026')
    expect(dashboard.html).toContain('目标 90 个')
    expect(dashboard.html).toContain('目标 13.00 亿元')

    // Changed again: the audit keeps what it was.
    const again = await admin.post(after, action, {
      year: '2026',
      started: '85',
      completed: '60',
      investmentYuan: '1300000000.5',
    })
    expect(again.status).toBe(303)
    const [second] = await targetAudits()
    expect(second).toMatchObject({
      before: { started: 90, completed: 60, investmentYuan: '1300000000' },
      after: { started: 85, completed: 60, investmentYuan: '1300000000.5' },
    })
    expect((await statsOf(2026)).projects.investment.targetYuan).toBe('1300000000.50')
    expect((await getYearTargets(deps))['2026']?.started).toBe(85)
  })

  it('refuses bad values with a Chinese message, keeping what was typed and storing nothing', async () => {
    const admin = await login(deps.adminToken)
    const page = await admin.open('/console/settings')
    const before = await storedTargets()
    const audits = (await targetAudits()).length
    const good = { year: '2027', started: '80', completed: '50', investmentYuan: '1280000000' }
    for (const [fields, message] of [
      [{ started: '-1' }, '开工目标不能是负数'],
      [{ completed: '1.5' }, '完工目标应为整数'],
      [{ started: '' }, '开工目标应为整数'],
      [{ investmentYuan: '12.8亿' }, '投资目标应为以元计的金额'],
      [{ investmentYuan: '1.234' }, '最多两位小数'],
      [{ year: '1999' }, '年份应为 2000 到 2100 之间的整数'],
      [{ year: 'abc' }, '年份应为 2000 到 2100 之间的整数'],
    ] as const) {
      const refused = await admin.post(page, action, { ...good, ...fields })
      expect(refused.status, JSON.stringify(fields)).toBe(400)
      expect(refused.html).toContain(message)
      expect(refused.html).toContain('class="msg error"')
      const [name, value] = Object.entries(fields)[0]!
      expect(refused.html).toContain(`name="${name}" value="${value}"`)
    }
    expect(await storedTargets()).toEqual(before)
    expect(await targetAudits()).toHaveLength(audits)
    expect((await statsOf(2027)).projects.targets).toBeNull()
  })

  it('is for admins only: officers and property staff get 403 on the page and the form', async () => {
    const world = await makeWorld(deps)
    const officer = await login(world.officer.token)
    const page = await officer.open('/console/settings')
    expect(page.status).toBe(403)
    expect(page.html).toContain('不能执行此操作')
    expect(page.html).not.toContain('name="investmentYuan"')
    const home = await officer.open('/console')
    expect(home.html).not.toContain('href="/console/settings"')
    const before = await storedTargets()
    const posted = await officer.open(action, {
      form: {
        _csrf: csrfOf(home.html, '/console/logout'),
        year: '2028',
        started: '1',
        completed: '1',
        investmentYuan: '1',
      },
    })
    expect(posted.status).toBe(403)
    expect(await storedTargets()).toEqual(before)
    const property = await loginPropertyStaff(world.xiaoqu.id)
    expect((await property.open('/console/settings')).status).toBe(403)
  })

  it('changes the sender’s pacing at run time: stored, audited, obeyed by the next drain, blank goes back to the environment', async () => {
    const admin = await login(deps.adminToken)
    const page = await admin.open('/console/settings')
    expect(page.html).toContain('发送节奏（可随时修改）')

    const bad = await admin.post(page, '/console/settings/pacing', { quietFrom: '25:00', quietTo: '07:00' })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('免打扰时段请填写开始和结束时间')
    const badCap = await admin.post(page, '/console/settings/pacing', { dailyCap: '-3' })
    expect(badCap.status).toBe(400)
    expect(badCap.html).toContain('每日发送上限应为 0 到 100000 之间的整数')
    expect(await deps.db.select().from(settings).where(eq(settings.key, 'send_pacing'))).toHaveLength(0)

    // Today has already seen sends in other tests' worlds: a cap of what was sent today plus one lets one more through.
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(
      deps.db,
      ['一', '二', '三'].map((text) => ({ conversationId: room, isRoom: true, text })),
      deps.clock.now(),
    )
    const sent: string[] = []
    const transport: Transport = {
      async send(row) {
        sent.push(row.text ?? '')
      },
    }
    const saved = await admin.post(page, '/console/settings/pacing', {
      quietOff: '1',
      minGapSeconds: '0',
      dailyCap: '1',
    })
    expect(saved.status).toBe(303)
    expect(saved.location).toBe('/console/settings?ok=pacing')
    const pacing = await currentSendPacing(deps)
    expect(pacing).toMatchObject({ quietHours: null, minGapMs: 0, dailyCap: 1 })
    expect(pacing.stored.sort()).toEqual(['dailyCap', 'minGapMs', 'quietHours'])
    for (let i = 0; i < 3; i++) await drainOutboxOnce(deps, transport)
    expect(sent.length).toBeLessThanOrEqual(1)
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'settings.send_pacing'))
      .orderBy(desc(auditLog.id))
    expect(audit).toMatchObject({ after: { quietHours: null, minGapMs: 0, dailyCap: 1 } })

    // Lifting the cap (0 = no cap) lets the rest go at once, without a restart.
    const page2 = await admin.open('/console/settings')
    expect(page2.html).toContain('每日上限 1 条')
    await admin.post(page2, '/console/settings/pacing', { quietOff: '1', minGapSeconds: '0', dailyCap: '0' })
    for (let i = 0; i < 5 && sent.length < 3; i++) await drainOutboxOnce(deps, transport)
    expect(sent).toEqual(['一', '二', '三'])

    // Blank fields: the environment's values again.
    await admin.post(page2, '/console/settings/pacing', {})
    expect((await currentSendPacing(deps)).stored).toEqual([])
    expect((await currentSendPacing(deps)).dailyCap).toBe(deps.config.send.dailyCap)
  })
})
