import { eq, type SQL, sql } from 'drizzle-orm'
import type { Config } from '../../config'
import { type DbOrTx, rowsOf } from '../../db/client'
import { areas, type ProjectStage, projectStages, xiaoqu } from '../../db/schema'
import { getYearTargets } from '../settings/year-targets'
import { assertRole, assertScope, type StaffRow } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { invalid, notFound } from '../shared/errors'
import { fromShanghai } from '../sla/calendar'
import { type AreaFigures, areaBreakdown, type MonthRates, monthlyRates } from './breakdown'

export type { AreaFigures, MonthRates } from './breakdown'

export interface StatsQuery {
  /** A Shanghai calendar year. */
  year: number
  districtId?: number
  streetId?: number
}

export interface StatsCtx {
  db: DbOrTx
  clock: Clock
  config: Pick<Config, 'yearTargets'>
}

export interface OverdueOwner {
  ownerKind: 'staff' | 'organisation' | 'none'
  ownerId: number | null
  ownerName: string | null
  requests: number
  tasks: number
}

export interface Stats {
  year: number
  /** `path` null is the whole city. */
  scope: { path: string | null; name: string }
  projects: {
    total: number
    started: number
    completed: number
    targets: { started: number; completed: number; investmentYuan: string } | null
    startedRate: number | null
    completedRate: number | null
    /** 元 with two decimals, summed exactly in SQL. */
    investment: { plannedYuan: string; actualYuan: string; targetYuan: string | null }
    byStage: Record<ProjectStage, number>
  }
  requests: {
    total: number
    responseRate: number | null
    resolutionRate: number | null
    satisfactionRate: number | null
    counts: {
      responded: number
      respondedOnTime: number
      /** The response rate's denominator: responded, or the response deadline has passed. */
      responseDue: number
      resolved: number
      resolvedOnTime: number
      /** The resolution rate's denominator: resolved, or the resolution deadline has passed. */
      resolutionDue: number
      rated: number
      satisfied: number
    }
    /** The same rates for the requests filed in each month, January to December. */
    byMonth: MonthRates[]
  }
  overdueByOwner: OverdueOwner[]
  xiaoqu: {
    total: number
    withOwnersOrganisation: number
    ownersOrganisationRate: number | null
    withPropertyManagement: number
    propertyManagementRate: number | null
  }
  /** The scope split by its child areas (districts, streets, communities or xiaoqu); empty for a xiaoqu. */
  byArea: AreaFigures[]
}

/** Who may read the figures: everyone but property staff (admins always pass assertRole). */
const readerRoles = ['officer', 'community_worker'] as const
const kindNames = { district: '区', street: '街道', community: '社区' } as const

/** n / d rounded to 4 decimals, or null when there is nothing to divide by. Exact at the half: n·10⁴/d is one IEEE division. */
export function rate(n: number, d: number): number | null {
  if (d <= 0) return null
  return Math.round((n * 10_000) / d) / 10_000
}

/** '1280000000' or '12.5' → '1280000000.00', '12.50', by string, never through a float. */
export function yuanWithFen(value: string): string {
  const [whole = '0', fen = ''] = value.trim().split('.')
  return `${BigInt(whole || '0').toString()}.${fen.padEnd(2, '0').slice(0, 2)}`
}

/** The area to report on: the one asked for (inside the viewer's scope), else the viewer's own scope. */
async function resolveScope(
  db: DbOrTx,
  viewer: StaffRow,
  query: StatsQuery,
): Promise<{ path: string | null; name: string }> {
  const loadArea = async (id: number, kind: 'district' | 'street') => {
    const [row] = await db.select().from(areas).where(eq(areas.id, id))
    if (!row) throw notFound('areas.not_found', `没有编号为 ${id} 的${kindNames[kind]}。`)
    if (row.kind !== kind) {
      throw invalid(
        'stats.wrong_area_kind',
        `编号 ${id} 是${kindNames[row.kind]}「${row.name}」，不是${kindNames[kind]}。`,
        { fields: [kind === 'street' ? 'streetId' : 'districtId'] },
      )
    }
    return row
  }
  const district = query.districtId === undefined ? undefined : await loadArea(query.districtId, 'district')
  const street = query.streetId === undefined ? undefined : await loadArea(query.streetId, 'street')
  if (district && street && !street.path.startsWith(district.path)) {
    throw invalid('stats.area_mismatch', `街道「${street.name}」不属于「${district.name}」。`, {
      fields: ['districtId', 'streetId'],
    })
  }
  const area = street ?? district
  if (area) {
    assertScope(viewer, area.path)
    return { path: area.path, name: area.name }
  }
  const own = viewer.scopePath
  if (own === null) return { path: null, name: '全市' }
  // A scope is an area path, or a xiaoqu path ending in 'x<id>/'.
  const [named] = /\/x\d+\/$/.test(own)
    ? await db.select({ name: xiaoqu.name }).from(xiaoqu).where(eq(xiaoqu.path, own))
    : await db.select({ name: areas.name }).from(areas).where(eq(areas.path, own))
  return { path: own, name: named?.name ?? own }
}

/**
 * 统计: a year's projects against the year's targets (stored in the database, see core/settings), request response/resolution/satisfaction rates, what is
 * overdue right now by owner, and owners' organisation and property management coverage of the xiaoqu.
 * Every figure is aggregated in SQL; money stays numeric end to end.
 */
export async function getStats(ctx: StatsCtx, viewer: StaffRow, query: StatsQuery): Promise<Stats> {
  assertRole(viewer, readerRoles)
  const { db } = ctx
  const scope = await resolveScope(db, viewer, query)
  const now = ctx.clock.now().toISOString()
  const from = fromShanghai(`${query.year}-01-01`).toISOString()
  const to = fromShanghai(`${query.year + 1}-01-01`).toISOString()
  // Paths hold only digits, 'x' and '/', so a prefix LIKE needs no escaping. A null scope (the whole city)
  // also counts requests that name no xiaoqu.
  const inScope = (path: SQL): SQL =>
    scope.path === null ? sql`true` : sql`${path} like ${`${scope.path}%`}`

  const [projectRows, stageRows, requestRows, overdueRows, xiaoquRows, byMonth, byArea, yearTargets] =
    await Promise.all([
      db.execute(sql`
      select count(*)::int as total,
             count(p.started_at)::int as started,
             count(p.completed_at)::int as completed,
             round(coalesce(sum(p.planned_investment), 0), 2)::text as planned,
             round(coalesce(sum(p.actual_investment), 0), 2)::text as actual
        from projects p
        join xiaoqu x on x.id = p.xiaoqu_id
       where p.year = ${query.year} and ${inScope(sql`x.path`)}`),
      db.execute(sql`
      select p.stage, count(*)::int as n
        from projects p
        join xiaoqu x on x.id = p.xiaoqu_id
       where p.year = ${query.year} and ${inScope(sql`x.path`)}
       group by p.stage`),
      db.execute(sql`
      select count(*)::int as total,
             count(r.responded_at)::int as responded,
             count(*) filter (where r.responded_at <= r.response_due_at)::int as responded_on_time,
             count(*) filter (
               where r.responded_at is not null or r.response_due_at < ${now}::timestamptz)::int as response_due,
             count(r.resolved_at)::int as resolved,
             count(*) filter (where r.resolved_at <= r.resolution_due_at)::int as resolved_on_time,
             count(*) filter (
               where r.resolved_at is not null or r.resolution_due_at < ${now}::timestamptz)::int as resolution_due,
             count(r.rating)::int as rated,
             count(*) filter (where r.rating = 'satisfied')::int as satisfied
        from requests r
        left join xiaoqu x on x.id = r.xiaoqu_id
       where r.created_at >= ${from}::timestamptz and r.created_at < ${to}::timestamptz
         and ${inScope(sql`x.path`)}`),
      db.execute(sql`
      with items as (
        select case when r.assignee_staff_id is null then 'none' else 'staff' end as kind,
               r.assignee_staff_id as owner_id,
               1 as is_request
          from requests r
          left join xiaoqu x on x.id = r.xiaoqu_id
         where ((r.status = 'submitted' and r.response_due_at < ${now}::timestamptz)
             or (r.status in ('submitted', 'accepted') and r.resolution_due_at < ${now}::timestamptz))
           and ${inScope(sql`x.path`)}
        union all
        select case when t.owner_staff_id is not null then 'staff'
                    when t.owner_org_id is not null then 'organisation'
                    else 'none' end,
               coalesce(t.owner_staff_id, t.owner_org_id),
               0
          from tasks t
          join xiaoqu x on x.id = t.xiaoqu_id
         where t.status = 'open' and t.due_at < ${now}::timestamptz and ${inScope(sql`x.path`)}
      )
      select i.kind, i.owner_id, coalesce(s.name, o.name) as owner_name,
             count(*) filter (where i.is_request = 1)::int as requests,
             count(*) filter (where i.is_request = 0)::int as tasks
        from items i
        left join staff s on i.kind = 'staff' and s.id = i.owner_id
        left join organisations o on i.kind = 'organisation' and o.id = i.owner_id
       group by i.kind, i.owner_id, s.name, o.name
       order by count(*) desc, i.kind, i.owner_id`),
      db.execute(sql`
      select count(*)::int as total,
             count(oo.xiaoqu_id)::int as with_oo,
             count(x.property_company_id)::int as with_pm
        from xiaoqu x
        left join owners_organisations oo on oo.xiaoqu_id = x.id
       where ${inScope(sql`x.path`)}`),
      monthlyRates(db, { year: query.year, now, inScope, rate }),
      areaBreakdown(db, { year: query.year, scopePath: scope.path, rate }),
      getYearTargets(ctx),
    ])

  const p = rowsOf<{ total: number; started: number; completed: number; planned: string; actual: string }>(
    projectRows,
  )[0]!
  const byStage = Object.fromEntries(projectStages.map((stage) => [stage, 0])) as Record<ProjectStage, number>
  for (const row of rowsOf<{ stage: ProjectStage; n: number }>(stageRows)) byStage[row.stage] = Number(row.n)
  const r = rowsOf<Record<string, number>>(requestRows)[0]!
  const n = (key: string) => Number(r[key] ?? 0)
  const x = rowsOf<{ total: number; with_oo: number; with_pm: number }>(xiaoquRows)[0]!
  const targets = yearTargets[String(query.year)] ?? null
  const started = Number(p.started)
  const completed = Number(p.completed)
  const xiaoquTotal = Number(x.total)

  return {
    year: query.year,
    scope,
    projects: {
      total: Number(p.total),
      started,
      completed,
      targets: targets && { ...targets },
      startedRate: targets ? rate(started, targets.started) : null,
      completedRate: targets ? rate(completed, targets.completed) : null,
      investment: {
        plannedYuan: String(p.planned),
        actualYuan: String(p.actual),
        targetYuan: targets ? yuanWithFen(targets.investmentYuan) : null,
      },
      byStage,
    },
    requests: {
      total: n('total'),
      responseRate: rate(n('responded_on_time'), n('response_due')),
      resolutionRate: rate(n('resolved_on_time'), n('resolution_due')),
      satisfactionRate: rate(n('satisfied'), n('rated')),
      counts: {
        responded: n('responded'),
        respondedOnTime: n('responded_on_time'),
        responseDue: n('response_due'),
        resolved: n('resolved'),
        resolvedOnTime: n('resolved_on_time'),
        resolutionDue: n('resolution_due'),
        rated: n('rated'),
        satisfied: n('satisfied'),
      },
      byMonth,
    },
    overdueByOwner: rowsOf<{
      kind: OverdueOwner['ownerKind']
      owner_id: number | null
      owner_name: string | null
      requests: number
      tasks: number
    }>(overdueRows).map((row) => ({
      ownerKind: row.kind,
      ownerId: row.owner_id === null ? null : Number(row.owner_id),
      ownerName: row.owner_name,
      requests: Number(row.requests),
      tasks: Number(row.tasks),
    })),
    xiaoqu: {
      total: xiaoquTotal,
      withOwnersOrganisation: Number(x.with_oo),
      ownersOrganisationRate: rate(Number(x.with_oo), xiaoquTotal),
      withPropertyManagement: Number(x.with_pm),
      propertyManagementRate: rate(Number(x.with_pm), xiaoquTotal),
    },
    byArea,
  }
}
