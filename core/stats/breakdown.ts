import { type SQL, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { fromShanghai } from '../sla/calendar'

/** 0..1 with four decimals, or null without a denominator (the same rounding as the year's rates). */
type Rate = (n: number, d: number) => number | null

export interface MonthRates {
  /** 1–12, Shanghai calendar month in which the requests were filed. */
  month: number
  total: number
  responseRate: number | null
  resolutionRate: number | null
  satisfactionRate: number | null
  respondedOnTime: number
  responseDue: number
  resolvedOnTime: number
  resolutionDue: number
  satisfied: number
  rated: number
}

export interface AreaFigures {
  id: number
  kind: 'district' | 'street' | 'community' | 'xiaoqu'
  name: string
  path: string
  projects: { total: number; started: number; completed: number }
  xiaoqu: {
    total: number
    withOwnersOrganisation: number
    ownersOrganisationRate: number | null
    withPropertyManagement: number
    propertyManagementRate: number | null
  }
}

/** The three 12345 rates of the requests filed in each month of the year (all twelve, empty ones included). */
export async function monthlyRates(
  db: DbOrTx,
  input: { year: number; now: string; inScope: (path: SQL) => SQL; rate: Rate },
): Promise<MonthRates[]> {
  const months = Array.from({ length: 12 }, (_, i) => i + 1)
  const bound = (year: number, month: number) =>
    fromShanghai(`${year}-${String(month).padStart(2, '0')}-01`).toISOString()
  const values = sql.join(
    months.map(
      (m) =>
        sql`(${m}::int, ${bound(input.year, m)}::timestamptz, ${m === 12 ? bound(input.year + 1, 1) : bound(input.year, m + 1)}::timestamptz)`,
    ),
    sql`, `,
  )
  const now = input.now
  const rows = rowsOf<Record<string, number>>(
    await db.execute(sql`
      with months(month, from_at, to_at) as (values ${values})
      select m.month,
             count(*)::int as total,
             count(*) filter (where r.responded_at <= r.response_due_at)::int as responded_on_time,
             count(*) filter (
               where r.responded_at is not null or r.response_due_at < ${now}::timestamptz)::int as response_due,
             count(*) filter (where r.resolved_at <= r.resolution_due_at)::int as resolved_on_time,
             count(*) filter (
               where r.resolved_at is not null or r.resolution_due_at < ${now}::timestamptz)::int as resolution_due,
             count(r.rating)::int as rated,
             count(*) filter (where r.rating = 'satisfied')::int as satisfied
        from months m
        join requests r on r.created_at >= m.from_at and r.created_at < m.to_at
        left join xiaoqu x on x.id = r.xiaoqu_id
       where ${input.inScope(sql`x.path`)}
       group by m.month`),
  )
  const byMonth = new Map(rows.map((row) => [Number(row.month), row]))
  return months.map((month) => {
    const row = byMonth.get(month) ?? {}
    const n = (key: string) => Number(row[key] ?? 0)
    return {
      month,
      total: n('total'),
      responseRate: input.rate(n('responded_on_time'), n('response_due')),
      resolutionRate: input.rate(n('resolved_on_time'), n('resolution_due')),
      satisfactionRate: input.rate(n('satisfied'), n('rated')),
      respondedOnTime: n('responded_on_time'),
      responseDue: n('response_due'),
      resolvedOnTime: n('resolved_on_time'),
      resolutionDue: n('resolution_due'),
      satisfied: n('satisfied'),
      rated: n('rated'),
    }
  })
}

/**
 * The scope split by its child areas: the city by district, a district by street, a street by community, a
 * community by xiaoqu (a xiaoqu has no parts). Each with its projects of the year and its xiaoqu coverage.
 */
export async function areaBreakdown(
  db: DbOrTx,
  input: { year: number; scopePath: string | null; rate: Rate },
): Promise<AreaFigures[]> {
  const scope = input.scopePath
  if (scope !== null && /\/x\d+\/$/.test(scope)) return []
  const children =
    scope === null
      ? sql`select a.id, a.kind::text as kind, a.name, a.path from areas a where a.parent_id is null`
      : sql`select a.id, a.kind::text as kind, a.name, a.path
              from areas a join areas parent on parent.id = a.parent_id
             where parent.path = ${scope}
            union all
            select x.id, 'xiaoqu' as kind, x.name, x.path
              from xiaoqu x join areas community on community.id = x.community_id
             where community.path = ${scope}`
  const rows = rowsOf<{
    id: number
    kind: AreaFigures['kind']
    name: string
    path: string
    xiaoqu_total: number
    with_oo: number
    with_pm: number
    projects_total: number
    started: number
    completed: number
  }>(
    await db.execute(sql`
      with children as (${children}),
      places as (
        select c.path as child, x.id, x.property_company_id
          from children c join xiaoqu x on x.path like c.path || '%'
      ),
      year_projects as (
        select p.child, pr.started_at, pr.completed_at
          from places p join projects pr on pr.xiaoqu_id = p.id and pr.year = ${input.year}
      )
      select c.id, c.kind, c.name, c.path,
             (select count(*)::int from places p where p.child = c.path) as xiaoqu_total,
             (select count(*)::int from places p join owners_organisations oo on oo.xiaoqu_id = p.id
               where p.child = c.path) as with_oo,
             (select count(p.property_company_id)::int from places p where p.child = c.path) as with_pm,
             (select count(*)::int from year_projects y where y.child = c.path) as projects_total,
             (select count(y.started_at)::int from year_projects y where y.child = c.path) as started,
             (select count(y.completed_at)::int from year_projects y where y.child = c.path) as completed
        from children c
       order by c.path`),
  )
  return rows.map((row) => {
    const total = Number(row.xiaoqu_total)
    const withOo = Number(row.with_oo)
    const withPm = Number(row.with_pm)
    return {
      id: Number(row.id),
      kind: row.kind,
      name: row.name,
      path: row.path,
      projects: {
        total: Number(row.projects_total),
        started: Number(row.started),
        completed: Number(row.completed),
      },
      xiaoqu: {
        total,
        withOwnersOrganisation: withOo,
        ownersOrganisationRate: input.rate(withOo, total),
        withPropertyManagement: withPm,
        propertyManagementRate: input.rate(withPm, total),
      },
    }
  })
}
