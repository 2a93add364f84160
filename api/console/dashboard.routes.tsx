import type { Hono } from 'hono'
import { getYearTargets } from '../../core/settings/year-targets'
import { invalid } from '../../core/shared/errors'
import { shanghaiParts } from '../../core/sla/calendar'
import { getStats } from '../../core/stats/stats'
import { DashboardPage } from './dashboard.page'
import { type ConsoleKit, render, viewerOf, yearParam } from './kit'
import type { ConsoleEnv } from './session'

/** An area's number from the query string (a drill-down link), or undefined. */
function areaParam(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{1,9}$/.test(raw)) throw invalid('console.bad_area', '区域编号不对，请从看板上的链接进入。')
  return Number(raw)
}

/** 数据看板: the year's figures against its targets, drawn, for the viewer's scope or an area inside it. */
export function registerDashboardPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps } = kit
  const { clock } = deps

  const currentYear = () => shanghaiParts(clock.now()).year

  app.get('/dashboard', async (c) => {
    const year = yearParam(c.req.query('year')) ?? currentYear()
    const districtId = areaParam(c.req.query('districtId'))
    const streetId = areaParam(c.req.query('streetId'))
    // getStats checks the role first, so property staff get their 403 before anything else is read.
    const stats = await getStats(deps, c.get('staff'), { year, districtId, streetId })
    const targets = await getYearTargets(deps)
    const years = new Set([year, ...Object.keys(targets).map(Number)])
    for (let y = currentYear() + 1; y >= 2020; y--) years.add(y)
    return render(
      c,
      <DashboardPage
        viewer={viewerOf(c)}
        stats={stats}
        years={[...years].sort((a, b) => b - a)}
        narrowed={districtId !== undefined || streetId !== undefined}
      />,
    )
  })
}
