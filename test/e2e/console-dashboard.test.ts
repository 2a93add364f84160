import { and, count, eq, isNotNull } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { percent, yi } from '../../api/console/format'
import { acceptRequest } from '../../core/requests/requests.usecases'
import { setYearTargets } from '../../core/settings/year-targets'
import { getStats } from '../../core/stats/stats'
import { projects } from '../../db/schema'
import { consoleSuite } from '../support/console'
import type { TestDeps } from '../support/deps'
import { adminActor, fileIn, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const day = 24 * 60 * 60 * 1000
const shanghai = (local: string) => new Date(`${local}+08:00`)

/** Every chart on a page: its opening tag. */
const chartsOf = (html: string) => html.match(/<svg [^>]*>/g) ?? []

/** The accessible name of the chart with this title. */
function chartLabel(html: string, title: string) {
  const match = new RegExp(`aria-label="${title}：([^"]*)"`).exec(html)
  expect(match, `no chart titled ${title}`).not.toBeNull()
  return match![1]!
}

describe.each(drivers)('console: the dashboard draws on %s', (driver) => {
  let deps: TestDeps
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
  })

  async function addProject(
    world: Awaited<ReturnType<typeof makeWorld>>,
    input: { year: number; planned?: string; startedAt?: Date; completedAt?: Date },
  ) {
    await deps.db.insert(projects).values({
      xiaoquId: world.xiaoqu.id,
      year: input.year,
      title: uniqueId('项目'),
      responsibleStaffId: world.officer.staff.id,
      stage: input.completedAt ? '移交' : input.startedAt ? '施工' : '储备',
      stageEnteredAt: deps.clock.now(),
      plannedInvestment: input.planned ?? '0',
      startedAt: input.startedAt ?? null,
      completedAt: input.completedAt ?? null,
    })
  }

  const storeTargets = async (
    year: number,
    target: { started: number; completed: number; investmentYuan: string },
  ) => {
    const admin = await adminActor(deps)
    await deps.db.transaction((tx) => setYearTargets({ ...deps, db: tx }, admin, { year, ...target }))
  }

  it("draws the year's projects and investment against the stored targets, with getStats' figures", async () => {
    const world = await makeWorld(deps)
    await addProject(world, { year: 2026, planned: '1000000.50', startedAt: shanghai('2026-02-01T09:00:00') })
    await addProject(world, {
      year: 2026,
      planned: '2000000',
      startedAt: shanghai('2026-01-10T09:00:00'),
      completedAt: shanghai('2026-02-20T09:00:00'),
    })
    await addProject(world, { year: 2026, startedAt: shanghai('2026-02-15T09:00:00') })
    await addProject(world, { year: 2026, planned: '5' })
    await addProject(world, { year: 2025, startedAt: shanghai('2025-05-01T09:00:00') })
    await storeTargets(2026, { started: 80, completed: 50, investmentYuan: '1280000000' })

    const [stored] = await deps.db
      .select({ n: count() })
      .from(projects)
      .where(
        and(eq(projects.xiaoquId, world.xiaoqu.id), eq(projects.year, 2026), isNotNull(projects.startedAt)),
      )
    const stats = await getStats(deps, world.officer.staff, { year: 2026 })
    expect(stats.projects.started).toBe(stored!.n)
    expect(stats.projects.started).toBe(3)

    const browser = await login(world.officer.token)
    const page = await browser.open('/console/dashboard?year=2026')
    expect(page.status).toBe(200)
    const charts = chartsOf(page.html)
    expect(charts.length).toBeGreaterThanOrEqual(5)
    for (const chart of charts) {
      expect(chart).toMatch(/viewBox="0 0 360 \d+(\.\d)?"/)
      expect(chart).toContain('width="100%"')
      expect(chart).toContain('role="img"')
    }
    const p = stats.projects
    expect(chartLabel(page.html, '开工、完工与年度目标')).toBe(
      `开工 ${p.started} 个，目标 80 个（${percent(p.startedRate)}）；完工 ${p.completed} 个，目标 50 个（${percent(p.completedRate)}）`,
    )
    expect(percent(p.startedRate)).toBe('3.8%')
    expect(page.html).toContain(`>${p.started} / 80 个</text>`)
    expect(page.html).toContain(`>${p.completed} / 50 个</text>`)
    expect(chartLabel(page.html, '投资与年度目标')).toBe(
      `计划投资 ${yi(p.investment.plannedYuan)}，实际投资 ${yi(p.investment.actualYuan)}，目标 12.80 亿元`,
    )
    expect(p.investment.plannedYuan).toBe('3000005.50')
    // The figures beside the charts, in a table that becomes cards on a phone.
    expect(page.html).toContain('aria-label="项目完成情况与年度目标"')
    expect(page.html).toContain('<td data-label="完成" class="num">3 个</td>')
    expect(page.html).toContain('<td data-label="年度目标" class="num">80 个</td>')
    expect(page.html).toContain('1,280,000,000.00 元')
    // The officer's community split by its xiaoqu.
    expect(page.html).toContain('按小区')
    expect(chartLabel(page.html, '业主组织组建率与物业管理覆盖率（按小区）')).toContain(
      `${world.xiaoqu.name}：小区 1 个，组建率 0.0%，物业管理覆盖率 0.0%`,
    )
    expect(page.html).not.toMatch(/NaN|Infinity/)
    expect(page.html).not.toContain('<script')
  })

  it('draws the three rates by month and what is overdue by owner, as getStats counts them', async () => {
    const world = await makeWorld(deps)
    const first = await fileIn(deps, world)
    await fileIn(deps, world, '小区门口路灯不亮')
    await deps.db.transaction((tx) => acceptRequest({ ...deps, db: tx }, world.officer.actor, first.number))
    deps.clock.advance(10 * day)
    const stats = await getStats(deps, world.officer.staff, { year: 2026 })
    const march = stats.requests.byMonth[2]!
    expect(march).toMatchObject({ month: 3, total: 2 })
    expect(stats.overdueByOwner.length).toBeGreaterThan(0)

    const browser = await login(world.officer.token)
    const page = await browser.open('/console/dashboard?year=2026')
    expect(page.status).toBe(200)
    expect(chartLabel(page.html, '响应率、解决率、满意率按月')).toBe(
      `3月 2 件：响应率 ${percent(march.responseRate)}，解决率 ${percent(march.resolutionRate)}，满意率 ${percent(march.satisfactionRate)}`,
    )
    expect(percent(march.responseRate)).toBe('50.0%')
    expect(page.html).toContain('<td data-label="月份">3 月</td>')
    expect(page.html).toContain(`<td data-label="响应率" class="num">50.0%（1/2）</td>`)
    const overdue = chartLabel(page.html, '当前超时（按负责方）')
    for (const owner of stats.overdueByOwner) {
      const name = owner.ownerName ?? '尚未指定承办人'
      expect(overdue).toContain(`${name} 超时诉求 ${owner.requests} 件、超时任务 ${owner.tasks} 件`)
    }
    expect(page.html).not.toMatch(/NaN|Infinity/)
  })

  it('splits the city by district and drills down to a district and a street, inside the viewer’s scope', async () => {
    const world = await makeWorld(deps)
    await addProject(world, { year: 2026, startedAt: shanghai('2026-02-01T09:00:00') })
    const admin = await login(deps.adminToken)
    const city = await admin.open('/console/dashboard?year=2026')
    expect(city.status).toBe(200)
    expect(city.html).toContain('数据看板 · 全市 · 2026 年')
    expect(city.html).toContain('按区')
    expect(city.html).toContain(`districtId=${world.district.id}">${world.district.name}</a>`)
    const whole = await getStats(deps, (await adminActor(deps)).staff, { year: 2026 })
    expect(whole.byArea.reduce((n, a) => n + a.projects.started, 0)).toBe(whole.projects.started)

    const district = await admin.open(`/console/dashboard?year=2026&districtId=${world.district.id}`)
    expect(district.status).toBe(200)
    expect(district.html).toContain(`数据看板 · ${world.district.name} · 2026 年`)
    expect(district.html).toContain('按街道')
    expect(district.html).toContain(`streetId=${world.street.id}">${world.street.name}</a>`)
    expect(district.html).toContain('回到我的管辖范围')
    const street = await admin.open(`/console/dashboard?year=2026&streetId=${world.street.id}`)
    expect(street.html).toContain('按社区')
    expect(street.html).toContain(world.community.name)

    // A street's officer may look at their street, not at the district above it nor another street.
    const officer = await makeStaff(deps, {
      name: uniqueId('街道干部'),
      role: 'officer',
      areaId: world.street.id,
    })
    const own = await login(officer.token)
    expect((await own.open(`/console/dashboard?year=2026&streetId=${world.street.id}`)).status).toBe(200)
    const wider = await own.open(`/console/dashboard?year=2026&districtId=${world.district.id}`)
    expect(wider.status).toBe(403)
    expect(wider.html).toContain('不在您的管辖范围内')
    const elsewhere = await makeWorld(deps)
    expect((await own.open(`/console/dashboard?year=2026&streetId=${elsewhere.street.id}`)).status).toBe(403)
    const bad = await own.open('/console/dashboard?year=2026&streetId=abc')
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('区域编号不对')
  })

  it('draws empty states for a year with nothing in it, never NaN', async () => {
    const admin = await login(deps.adminToken)
    const page = await admin.open('/console/dashboard?year=2031')
    expect(page.status).toBe(200)
    expect(page.html).toContain('本年度还没有项目，也未设目标。')
    expect(page.html).toContain('本年度还没有可计算的诉求。')
    expect(page.html).toContain('未设年度目标')
    expect(chartsOf(page.html).length).toBeGreaterThanOrEqual(4)
    expect(page.html).not.toMatch(/NaN|Infinity|undefined/)
  })

  it('refuses property staff on the dashboard and on household claims', async () => {
    const world = await makeWorld(deps)
    const property = await loginPropertyStaff(world.xiaoqu.id)
    const dashboard = await property.open('/console/dashboard')
    expect(dashboard.status).toBe(403)
    expect(dashboard.html).toContain('不能执行此操作')
    expect(dashboard.html).not.toContain('<svg')
    const claims = await property.open('/console/claims')
    expect(claims.status).toBe(403)
    // Nor does their menu offer either.
    const home = await property.open('/console')
    expect(home.html).not.toContain('href="/console/dashboard"')
    expect(home.html).not.toContain('href="/console/claims"')
  })
})
