import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { createXiaoqu } from '../../core/areas/areas.usecases'
import { getStats, type MonthRates, rate, type Stats, yuanWithFen } from '../../core/stats/stats'
import {
  organisations,
  ownersOrganisations,
  type ProjectStage,
  projects,
  requests,
  tasks,
  xiaoqu,
} from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { adminActor, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)
const chinese = /[\u4e00-\u9fff]/

interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown }
}

describe('stats helpers', () => {
  it('rounds rates to four decimals and refuses a zero denominator', () => {
    expect(rate(2, 3)).toBe(0.6667)
    expect(rate(1, 3)).toBe(0.3333)
    expect(rate(1, 32)).toBe(0.0313)
    expect(rate(0, 5)).toBe(0)
    expect(rate(5, 5)).toBe(1)
    expect(rate(1, 0)).toBeNull()
  })
  it('writes a target in 元 with two decimals without a float', () => {
    expect(yuanWithFen('1280000000')).toBe('1280000000.00')
    expect(yuanWithFen('12.5')).toBe('12.50')
    expect(yuanWithFen('99999999999999.99')).toBe('99999999999999.99')
  })
})

describe.each(drivers)('statistics on %s', (driver) => {
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
    // Wednesday 1 July 2020, 10:00 Shanghai.
    deps.clock.set(shanghai('2020-07-01T10:00:00'))
  })

  async function get<T = ErrorEnvelope>(path: string, token?: string) {
    const res = await app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    const text = await res.text()
    return { status: res.status, body: JSON.parse(text) as T, text }
  }

  function expectError(
    reply: { status: number; body: unknown; text: string },
    status: number,
    code?: string,
  ) {
    expect(reply.status, reply.text).toBe(status)
    const { error } = reply.body as ErrorEnvelope
    expect(error.message).toMatch(chinese)
    if (code) expect(error.code).toBe(code)
    return error
  }

  async function addProject(
    xiaoquId: number,
    responsibleStaffId: number,
    input: {
      year: number
      stage?: ProjectStage
      planned?: string
      actual?: string
      startedAt?: Date
      completedAt?: Date
    },
  ) {
    await deps.db.insert(projects).values({
      xiaoquId,
      year: input.year,
      title: uniqueId('项目'),
      responsibleStaffId,
      stage: input.stage ?? '储备',
      stageEnteredAt: deps.clock.now(),
      plannedInvestment: input.planned ?? '0',
      actualInvestment: input.actual ?? '0',
      startedAt: input.startedAt ?? null,
      completedAt: input.completedAt ?? null,
    })
  }

  async function addRequest(
    xiaoquId: number | null,
    input: {
      createdAt: string
      responseDueAt: string
      resolutionDueAt: string
      respondedAt?: string
      resolvedAt?: string
      status?: (typeof requests.$inferInsert)['status']
      rating?: 'satisfied' | 'unsatisfied'
      assigneeStaffId?: number
    },
  ) {
    await deps.db.insert(requests).values({
      xiaoquId,
      channel: 'phone',
      text: '楼道灯坏了',
      category: '照明',
      menuItem: '补市政基础设施',
      urgency: 'normal',
      status: input.status ?? 'submitted',
      assigneeStaffId: input.assigneeStaffId ?? null,
      createdAt: shanghai(input.createdAt),
      responseDueAt: shanghai(input.responseDueAt),
      resolutionDueAt: shanghai(input.resolutionDueAt),
      respondedAt: input.respondedAt ? shanghai(input.respondedAt) : null,
      resolvedAt: input.resolvedAt ? shanghai(input.resolvedAt) : null,
      rating: input.rating ?? null,
    })
  }

  async function addTask(
    xiaoquId: number,
    owner: { staffId: number } | { orgId: number },
    dueAt: string,
    status: 'open' | 'done' | 'cancelled' = 'open',
  ) {
    await deps.db.insert(tasks).values({
      xiaoquId,
      title: uniqueId('任务'),
      ownerStaffId: 'staffId' in owner ? owner.staffId : null,
      ownerOrgId: 'orgId' in owner ? owner.orgId : null,
      dueAt: shanghai(dueAt),
      status,
    })
  }

  /**
   * Street A: three xiaoqu (owners' organisations on two, a property company on one), three 2020 projects and
   * one of 2021, six requests filed in 2020 and one at 23:30 on 31 December 2019, five tasks. Street B, in
   * another district, has a project, a request and a task of its own that A must never see.
   */
  async function buildWorld() {
    const admin = await adminActor(deps)
    const a = await makeWorld(deps)
    const b = await makeWorld(deps)
    const now = deps.clock.now()
    const a1 = a.xiaoqu
    const a2 = await createXiaoqu(
      deps.db,
      admin,
      { communityId: a.community.id, name: uniqueId('小区') },
      now,
    )
    const a3 = await createXiaoqu(
      deps.db,
      admin,
      { communityId: a.community.id, name: uniqueId('小区') },
      now,
    )
    const officerA = await makeStaff(deps, {
      name: uniqueId('街道干部'),
      role: 'officer',
      areaId: a.street.id,
    })
    const officerB = await makeStaff(deps, {
      name: uniqueId('街道干部'),
      role: 'officer',
      areaId: b.street.id,
    })
    const [company] = await deps.db
      .insert(organisations)
      .values({ kind: 'property_company', name: uniqueId('物业公司'), areaId: a.street.id })
      .returning()
    await deps.db.update(xiaoqu).set({ propertyCompanyId: company!.id }).where(eq(xiaoqu.id, a1.id))
    await deps.db.insert(ownersOrganisations).values([
      { xiaoquId: a1.id, kind: 'owners_committee', formedOn: '2019-05-01' },
      { xiaoquId: a2.id, kind: 'property_management_committee' },
    ])

    const responsible = officerA.staff.id
    await addProject(a1.id, responsible, {
      year: 2020,
      stage: '施工',
      planned: '1234567.89',
      actual: '1000000.01',
      startedAt: shanghai('2020-04-01T09:00:00'),
    })
    await addProject(a2.id, responsible, {
      year: 2020,
      stage: '移交',
      planned: '0.11',
      actual: '0.99',
      startedAt: shanghai('2020-03-01T09:00:00'),
      completedAt: shanghai('2020-06-01T09:00:00'),
    })
    await addProject(a3.id, responsible, { year: 2020 })
    await addProject(a1.id, responsible, { year: 2021, planned: '999' })
    await addProject(b.xiaoqu.id, officerB.staff.id, {
      year: 2020,
      planned: '5',
      startedAt: shanghai('2020-02-01T09:00:00'),
    })

    // r1: responded and resolved on time, satisfied.
    await addRequest(a1.id, {
      createdAt: '2020-03-01T09:00:00',
      responseDueAt: '2020-03-02T09:00:00',
      respondedAt: '2020-03-01T10:00:00',
      resolutionDueAt: '2020-03-10T09:00:00',
      resolvedAt: '2020-03-09T09:00:00',
      status: 'closed',
      rating: 'satisfied',
      assigneeStaffId: responsible,
    })
    // r2: responded late and resolved late.
    await addRequest(a2.id, {
      createdAt: '2020-03-01T09:00:00',
      responseDueAt: '2020-03-02T09:00:00',
      respondedAt: '2020-03-03T09:00:00',
      resolutionDueAt: '2020-03-10T09:00:00',
      resolvedAt: '2020-03-12T09:00:00',
      status: 'resolved',
    })
    // r3: not answered, its response deadline an hour ago: overdue for officer A.
    await addRequest(a3.id, {
      createdAt: '2020-06-30T09:00:00',
      responseDueAt: '2020-07-01T09:00:00',
      resolutionDueAt: '2020-07-10T09:00:00',
      assigneeStaffId: responsible,
    })
    // r4: not answered, nothing due yet: in neither denominator.
    await addRequest(a1.id, {
      createdAt: '2020-06-30T09:00:00',
      responseDueAt: '2020-07-02T09:00:00',
      resolutionDueAt: '2020-07-10T09:00:00',
    })
    // r5: answered on time, reopened as unsatisfied, resolution deadline passed: overdue with nobody holding it.
    await addRequest(a1.id, {
      createdAt: '2020-05-01T09:00:00',
      responseDueAt: '2020-05-02T09:00:00',
      respondedAt: '2020-05-01T09:30:00',
      resolutionDueAt: '2020-06-01T09:00:00',
      status: 'accepted',
      rating: 'unsatisfied',
    })
    // r6: filed at 00:30 on 1 January 2020 in Shanghai (still 2019 in UTC): counts for 2020.
    await addRequest(a2.id, {
      createdAt: '2020-01-01T00:30:00',
      responseDueAt: '2020-01-02T09:00:00',
      respondedAt: '2020-01-01T09:00:00',
      resolutionDueAt: '2020-01-10T09:00:00',
      resolvedAt: '2020-01-09T09:00:00',
      status: 'resolved',
    })
    // r7: filed at 23:30 on 31 December 2019: not 2020's, but still overdue now for officer A.
    await addRequest(a1.id, {
      createdAt: '2019-12-31T23:30:00',
      responseDueAt: '2020-01-02T09:00:00',
      resolutionDueAt: '2020-01-10T09:00:00',
      assigneeStaffId: responsible,
    })
    await addRequest(b.xiaoqu.id, {
      createdAt: '2020-03-01T09:00:00',
      responseDueAt: '2020-03-02T09:00:00',
      resolutionDueAt: '2020-03-10T09:00:00',
      assigneeStaffId: officerB.staff.id,
    })

    await addTask(a1.id, { staffId: responsible }, '2020-06-01T18:00:00')
    await addTask(a2.id, { orgId: company!.id }, '2020-06-15T18:00:00')
    await addTask(a2.id, { orgId: company!.id }, '2020-06-20T18:00:00', 'done')
    await addTask(a3.id, { staffId: responsible }, '2020-08-01T18:00:00')
    await addTask(a1.id, { orgId: company!.id }, '2019-01-01T18:00:00')
    await addTask(a1.id, { staffId: responsible }, '2020-05-01T18:00:00', 'cancelled')
    await addTask(b.xiaoqu.id, { staffId: officerB.staff.id }, '2020-06-01T18:00:00')

    return { a, b, a1, a2, a3, officerA, officerB, company: company! }
  }

  /** A month's figures: nothing filed unless given, rates from the given counts. */
  const month = (
    m: number,
    counts: Partial<Omit<MonthRates, 'month' | 'responseRate' | 'resolutionRate' | 'satisfactionRate'>> = {},
  ): MonthRates => {
    const c = {
      total: 0,
      respondedOnTime: 0,
      responseDue: 0,
      resolvedOnTime: 0,
      resolutionDue: 0,
      satisfied: 0,
      rated: 0,
      ...counts,
    }
    return {
      month: m,
      ...c,
      responseRate: rate(c.respondedOnTime, c.responseDue),
      resolutionRate: rate(c.resolvedOnTime, c.resolutionDue),
      satisfactionRate: rate(c.satisfied, c.rated),
    }
  }
  const emptyMonths = Array.from({ length: 12 }, (_, i) => month(i + 1))

  const zeroStages = {
    储备: 0,
    确认: 0,
    设计: 0,
    公示: 0,
    物业签约: 0,
    治理: 0,
    施工: 0,
    竣工验收: 0,
    移交: 0,
    长效管理: 0,
  }

  it("gives a street's 2020 figures exactly: targets, investment to the fen, rates, overdue by owner, coverage", async () => {
    const w = await buildWorld()
    const admin = await adminActor(deps)
    const stats = await getStats(deps, admin.staff, { year: 2020, streetId: w.a.street.id })
    const expected: Stats = {
      year: 2020,
      scope: { path: w.a.street.path, name: w.a.street.name },
      projects: {
        total: 3,
        started: 2,
        completed: 1,
        targets: { started: 80, completed: 50, investmentYuan: '1280000000' },
        startedRate: 0.025,
        completedRate: 0.02,
        investment: { plannedYuan: '1234568.00', actualYuan: '1000001.00', targetYuan: '1280000000.00' },
        byStage: { ...zeroStages, 储备: 1, 施工: 1, 移交: 1 },
      },
      requests: {
        total: 6,
        responseRate: 0.6,
        resolutionRate: 0.5,
        satisfactionRate: 0.5,
        counts: {
          responded: 4,
          respondedOnTime: 3,
          responseDue: 5,
          resolved: 3,
          resolvedOnTime: 2,
          resolutionDue: 4,
          rated: 2,
          satisfied: 1,
        },
        // r6 in January (Shanghai time); r1 and r2 in March; r5 in May; r3 and r4 in June; r7 is 2019's.
        byMonth: emptyMonths.map((m) =>
          m.month === 1
            ? month(1, { total: 1, respondedOnTime: 1, responseDue: 1, resolvedOnTime: 1, resolutionDue: 1 })
            : m.month === 3
              ? month(3, {
                  total: 2,
                  respondedOnTime: 1,
                  responseDue: 2,
                  resolvedOnTime: 1,
                  resolutionDue: 2,
                  rated: 1,
                  satisfied: 1,
                })
              : m.month === 5
                ? month(5, { total: 1, respondedOnTime: 1, responseDue: 1, resolutionDue: 1, rated: 1 })
                : m.month === 6
                  ? month(6, { total: 2, responseDue: 1 })
                  : m,
        ),
      },
      overdueByOwner: [
        {
          ownerKind: 'staff',
          ownerId: w.officerA.staff.id,
          ownerName: w.officerA.staff.name,
          requests: 2,
          tasks: 1,
        },
        {
          ownerKind: 'organisation',
          ownerId: w.company.id,
          ownerName: w.company.name,
          requests: 0,
          tasks: 2,
        },
        { ownerKind: 'none', ownerId: null, ownerName: null, requests: 1, tasks: 0 },
      ],
      xiaoqu: {
        total: 3,
        withOwnersOrganisation: 2,
        ownersOrganisationRate: 0.6667,
        withPropertyManagement: 1,
        propertyManagementRate: 0.3333,
      },
      // The street's one community holds all of it.
      byArea: [
        {
          id: w.a.community.id,
          kind: 'community',
          name: w.a.community.name,
          path: w.a.community.path,
          projects: { total: 3, started: 2, completed: 1 },
          xiaoqu: {
            total: 3,
            withOwnersOrganisation: 2,
            ownersOrganisationRate: 0.6667,
            withPropertyManagement: 1,
            propertyManagementRate: 0.3333,
          },
        },
      ],
    }
    expect(stats).toEqual(expected)

    // The district is the same street here (its only one); over HTTP the answer is the same JSON.
    const byDistrict = await get<Stats>(
      `/api/v1/stats?year=2020&districtId=${w.a.district.id}`,
      deps.adminToken,
    )
    expect(byDistrict.status, byDistrict.text).toBe(200)
    expect(byDistrict.body).toEqual({
      ...expected,
      scope: { path: w.a.district.path, name: w.a.district.name },
      byArea: [
        {
          ...expected.byArea[0]!,
          id: w.a.street.id,
          kind: 'street',
          name: w.a.street.name,
          path: w.a.street.path,
        },
      ],
    })

    // Officer A with no area named sees their own street, the same figures.
    const own = await get<Stats>('/api/v1/stats?year=2020', w.officerA.token)
    expect(own.status, own.text).toBe(200)
    expect(own.body).toEqual(expected)

    // Officer B sees only street B.
    const other = await get<Stats>('/api/v1/stats?year=2020', w.officerB.token)
    expect(other.status, other.text).toBe(200)
    expect(other.body.scope).toEqual({ path: w.b.street.path, name: w.b.street.name })
    expect(other.body.projects).toMatchObject({ total: 1, started: 1, completed: 0 })
    expect(other.body.projects.investment.plannedYuan).toBe('5.00')
    expect(other.body.requests).toMatchObject({ total: 1, responseRate: 0, resolutionRate: 0 })
    expect(other.body.overdueByOwner).toEqual([
      {
        ownerKind: 'staff',
        ownerId: w.officerB.staff.id,
        ownerName: w.officerB.staff.name,
        requests: 1,
        tasks: 1,
      },
    ])
    expect(other.body.xiaoqu).toMatchObject({
      total: 1,
      withOwnersOrganisation: 0,
      ownersOrganisationRate: 0,
    })
  })

  it('has no targets for a year without them, and nothing to divide by in an empty year', async () => {
    const w = await buildWorld()
    const admin = await adminActor(deps)
    const y2021 = await getStats(deps, admin.staff, { year: 2021, streetId: w.a.street.id })
    expect(y2021.projects).toEqual({
      total: 1,
      started: 0,
      completed: 0,
      targets: null,
      startedRate: null,
      completedRate: null,
      investment: { plannedYuan: '999.00', actualYuan: '0.00', targetYuan: null },
      byStage: { ...zeroStages, 储备: 1 },
    })
    // Overdue items and xiaoqu coverage do not depend on the year.
    expect(y2021.overdueByOwner.map((o) => o.ownerKind)).toEqual(['staff', 'organisation', 'none'])
    expect(y2021.xiaoqu.total).toBe(3)

    const empty = await getStats(deps, admin.staff, { year: 2099, streetId: w.a.street.id })
    expect(empty.projects.investment).toEqual({ plannedYuan: '0.00', actualYuan: '0.00', targetYuan: null })
    expect(empty.requests).toEqual({
      total: 0,
      responseRate: null,
      resolutionRate: null,
      satisfactionRate: null,
      counts: {
        responded: 0,
        respondedOnTime: 0,
        responseDue: 0,
        resolved: 0,
        resolvedOnTime: 0,
        resolutionDue: 0,
        rated: 0,
        satisfied: 0,
      },
      byMonth: emptyMonths,
    })
  })

  it('keeps officers inside their scope and property staff out', async () => {
    const w = await buildWorld()
    expectError(
      await get(`/api/v1/stats?year=2020&streetId=${w.b.street.id}`, w.officerA.token),
      403,
      'auth.out_of_scope',
    )
    // A district is wider than a street officer's scope.
    expectError(
      await get(`/api/v1/stats?year=2020&districtId=${w.a.district.id}`, w.officerA.token),
      403,
      'auth.out_of_scope',
    )
    const own = await get<Stats>(`/api/v1/stats?year=2020&streetId=${w.a.street.id}`, w.officerA.token)
    expect(own.status, own.text).toBe(200)
    expect(own.body.requests.total).toBe(6)

    // A community worker of one xiaoqu sees that xiaoqu only.
    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      xiaoquId: w.a1.id,
    })
    const mine = await get<Stats>('/api/v1/stats?year=2020', worker.token)
    expect(mine.status, mine.text).toBe(200)
    expect(mine.body.scope).toEqual({ path: w.a1.path, name: w.a1.name })
    expect(mine.body.projects).toMatchObject({ total: 1, started: 1, completed: 0 })
    expect(mine.body.projects.investment.plannedYuan).toBe('1234567.89')
    expect(mine.body.xiaoqu).toMatchObject({ total: 1, withOwnersOrganisation: 1, withPropertyManagement: 1 })
    expect(mine.body.byArea).toEqual([])

    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: w.a1.id,
    })
    expectError(await get('/api/v1/stats?year=2020', property.token), 403, 'auth.role')

    const whole = await get<Stats>('/api/v1/stats?year=2020', deps.adminToken)
    expect(whole.status, whole.text).toBe(200)
    expect(whole.body.scope).toEqual({ path: null, name: '全市' })
    // The city by district: every xiaoqu and project lies in exactly one district.
    const sum = (pick: (area: Stats['byArea'][number]) => number) =>
      whole.body.byArea.reduce((total, area) => total + pick(area), 0)
    expect(whole.body.byArea.every((area) => area.kind === 'district')).toBe(true)
    expect(whole.body.byArea.map((area) => area.id)).toContain(w.a.district.id)
    expect(sum((area) => area.xiaoqu.total)).toBe(whole.body.xiaoqu.total)
    expect(sum((area) => area.xiaoqu.withOwnersOrganisation)).toBe(whole.body.xiaoqu.withOwnersOrganisation)
    expect(sum((area) => area.projects.started)).toBe(whole.body.projects.started)
    expect(sum((area) => area.projects.total)).toBe(whole.body.projects.total)
    // The months add up to the year.
    expect(whole.body.requests.byMonth).toHaveLength(12)
    expect(whole.body.requests.byMonth.reduce((total, m) => total + m.total, 0)).toBe(
      whole.body.requests.total,
    )
  })

  it('refuses a bad year, a wrong kind of area and an unknown area', async () => {
    const w = await buildWorld()
    const token = deps.adminToken
    for (const query of ['', '?year=', '?year=abc', '?year=2020.5', '?year=1999', '?year=2101']) {
      const error = expectError(await get(`/api/v1/stats${query}`, token), 400, 'validation')
      expect(error.message).toContain('year')
    }
    expectError(await get(`/api/v1/stats?year=2020&streetId=abc`, token), 400, 'validation')
    expectError(
      await get(`/api/v1/stats?year=2020&streetId=${w.a.district.id}`, token),
      400,
      'stats.wrong_area_kind',
    )
    expectError(
      await get(`/api/v1/stats?year=2020&districtId=${w.a.community.id}`, token),
      400,
      'stats.wrong_area_kind',
    )
    expectError(
      await get(`/api/v1/stats?year=2020&districtId=${w.b.district.id}&streetId=${w.a.street.id}`, token),
      400,
      'stats.area_mismatch',
    )
    expectError(await get('/api/v1/stats?year=2020&streetId=2147483000', token), 404, 'areas.not_found')
    expectError(await get('/api/v1/stats?year=2020'), 401, 'auth.missing')
  })
})
