import { eq } from 'drizzle-orm'
import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listProjects, moveStage, projectDetail } from '../../core/projects/projects.usecases'
import type { GateFailure } from '../../core/projects/stages'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { shanghaiParts } from '../../core/sla/calendar'
import { type ProjectStage, projectStages, projects, staff as staffTable } from '../../db/schema'
import { actorOf, type C, type ConsoleKit, noticeReader, render, statusOf, viewerOf, yearParam } from './kit'
import { ProjectPage, ProjectsPage, projectHref } from './projects.page'
import type { ConsoleEnv } from './session'

const noticeOf = noticeReader({
  stage: '项目已进入下一阶段。',
})

/** 项目: the list by year, a project's page and its stage moves. */
export function registerProjectPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  // ------------------------------------------------------------------------------------------------------
  // Projects

  const currentYear = () => shanghaiParts(clock.now()).year

  app.get('/projects', async (c) => {
    const staff = c.get('staff')
    const year = yearParam(c.req.query('year'))
    const [rows, years] = await Promise.all([
      listProjects(db, { scopePath: staff.scopePath, year, limit: 1000 }),
      db.selectDistinct({ year: projects.year }).from(projects),
    ])
    const options = [...new Set([currentYear(), ...years.map((y) => y.year)])].sort((a, b) => b - a)
    return render(c, <ProjectsPage viewer={viewerOf(c)} rows={rows} year={year} years={options} />)
  })

  const projectPage = async (
    c: C,
    number: string,
    options: {
      error?: string
      notice?: string
      failedGates?: GateFailure[]
      status?: ContentfulStatusCode
    } = {},
  ) => {
    const detail = await projectDetail(db, c.get('staff'), number)
    const [responsible] = await db
      .select({ name: staffTable.name })
      .from(staffTable)
      .where(eq(staffTable.id, detail.project.responsibleStaffId))
    return render(
      c,
      <ProjectPage
        viewer={viewerOf(c)}
        now={clock.now()}
        detail={detail}
        responsibleName={responsible?.name ?? null}
        error={options.error}
        notice={options.notice}
        failedGates={options.failedGates}
      />,
      options.status ?? 200,
    )
  }

  const projectNumber = (raw: string) => {
    if (!/^[Pp]\d{1,9}$/.test(raw)) throw notFound('projects.not_found', `没有找到项目 ${raw.slice(0, 20)}。`)
    return raw.toUpperCase()
  }

  app.get('/projects/:number', (c) =>
    projectPage(c, projectNumber(c.req.param('number')), { notice: noticeOf(c) }),
  )

  app.post('/projects/:number/stage', async (c) => {
    const number = projectNumber(c.req.param('number'))
    const body = await c.req.parseBody()
    try {
      const to = body.to
      if (typeof to !== 'string' || !projectStages.includes(to as ProjectStage)) {
        throw invalid('console.bad_stage', '请选择要进入的阶段。')
      }
      const override = body.override === '1'
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 500) : undefined
      await mutate((ctx) => moveStage(ctx, actorOf(c), number, { to: to as ProjectStage, override, reason }))
    } catch (error) {
      if (!isAppError(error)) throw error
      const gates = (error.details as { gates?: GateFailure[] } | undefined)?.gates
      return projectPage(c, number, { error: error.message, failedGates: gates, status: statusOf(error) })
    }
    return c.redirect(`${projectHref(number)}?ok=stage`, 303)
  })
}
