import type { Hono } from 'hono'
import { shanghaiParts } from '../../core/sla/calendar'
import { getStats } from '../../core/stats/stats'
import { DashboardPage } from './dashboard.page'
import { type ConsoleKit, render, viewerOf, yearParam } from './kit'
import type { ConsoleEnv } from './session'

/** 数据看板: the year's figures against its targets. */
export function registerDashboardPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps } = kit
  const { clock } = deps

  const currentYear = () => shanghaiParts(clock.now()).year
  // ------------------------------------------------------------------------------------------------------
  // Dashboard

  app.get('/dashboard', async (c) => {
    const year = yearParam(c.req.query('year')) ?? currentYear()
    const stats = await getStats(deps, c.get('staff'), { year })
    const years = new Set([year, ...Object.keys(deps.config.yearTargets).map(Number)])
    for (let y = currentYear() + 1; y >= 2020; y--) years.add(y)
    return render(
      c,
      <DashboardPage viewer={viewerOf(c)} stats={stats} years={[...years].sort((a, b) => b - a)} />,
    )
  })
}
