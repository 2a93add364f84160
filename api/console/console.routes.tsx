import { and, asc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { secureHeaders } from 'hono/secure-headers'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listProjects, moveStage, projectDetail } from '../../core/projects/projects.usecases'
import type { GateFailure } from '../../core/projects/stages'
import { listPhotos, loadPhoto } from '../../core/requests/photos'
import { requestNotFound } from '../../core/requests/requests.errors'
import * as repo from '../../core/requests/requests.repository'
import {
  acceptRequest,
  assignmentTargets,
  assignRequest,
  findVisibleRequest,
  phoneFor,
  resolveRequest,
} from '../../core/requests/requests.usecases'
import type { StaffRow } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { retryAfterSeconds } from '../../core/shared/rate-limit'
import { fromShanghai, shanghaiDate, shanghaiParts } from '../../core/sla/calendar'
import { authenticate, getStaff } from '../../core/staff/staff.usecases'
import { getStats } from '../../core/stats/stats'
import { completeTask, extendTask, openTasksOf } from '../../core/tasks/tasks.usecases'
import {
  organisations,
  type ProjectStage,
  projectStages,
  projects,
  type RequestStatus,
  requestStatuses,
  staff as staffTable,
  tasks,
  xiaoqu,
} from '../../db/schema'
import { createErrorHandler } from '../errors'
import { tokenAttempts, tooManyAttemptsMessage } from '../guard'
import { type ConsoleBot, registerBotPage } from './bot.page'
import { registerConsentPages } from './consent.routes'
import { DashboardPage } from './dashboard.page'
import { registerGroupPages } from './groups.routes'
import {
  actorOf,
  type C,
  type Ctx,
  field,
  noticeReader,
  render,
  type StaffActor,
  statusOf,
  viewerOf,
} from './kit'
import { Layout } from './layout'
import { BarePage, LoginPage, LogoutPage } from './login.page'
import { ProjectPage, ProjectsPage, projectHref } from './projects.page'
import { InboxPage, type RequestDetail, RequestPage, requestHref } from './requests.page'
import {
  type ConsoleEnv,
  consolePath,
  csrfTokenFor,
  csrfValid,
  endSession,
  ensureNonce,
  requireConsoleStaff,
  safeNext,
  startSession,
} from './session'
import { type ListedTask, OverduePage, TasksPage } from './tasks.page'

const noticeOf = noticeReader({
  accepted: '已受理，已告知居民。',
  resolved: '已办结，已请居民评价。',
  assigned: '已转派。',
  task_done: '任务已标记完成。',
  task_extended: '任务已延期，原因已记录。',
  stage: '项目已进入下一阶段。',
  logged_out: '您已退出登录。',
})

function requestNumber(raw: string) {
  const match = /^[Qq]?(\d{1,9})$/.exec(raw)
  if (!match) throw requestNotFound(raw.slice(0, 20))
  return `Q${match[1]}`
}

function taskNumber(raw: string) {
  const match = /^[Tt](\d{1,9})$/.exec(raw)
  if (!match) throw notFound('tasks.not_found', `没有找到任务 ${raw.slice(0, 20)}，请核对编号（如 T12）。`)
  return `T${match[1]}`
}

function yearParam(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const year = Number(raw)
  if (!/^\d{4}$/.test(raw) || year < 2000 || year > 2100) {
    throw invalid('console.bad_year', '年份应为 2000 到 2100 之间的整数，如 2026。')
  }
  return year
}

/** A datetime-local value ('2026-03-20T18:00'), read as Shanghai wall time. */
function shanghaiInput(raw: string | undefined): Date {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})$/.exec(raw?.trim() ?? '')
  if (match) {
    const at = fromShanghai(match[1]!, Number(match[2]), Number(match[3]))
    const hour = Number(match[2])
    const minute = Number(match[3])
    if (!Number.isNaN(at.getTime()) && shanghaiDate(at) === match[1] && hour < 24 && minute < 60) return at
  }
  throw invalid('console.bad_time', '请填写新的完成时限，例如 2026-03-20 18:00。')
}

/** The officers' web console (DESIGN §6): server-rendered pages under /console, no client script. */
export function createConsoleRoutes(deps: Deps, options: { bot?: ConsoleBot } = {}) {
  const { db, clock } = deps
  const app = new Hono<ConsoleEnv>()
  const jsonErrors = createErrorHandler(deps.log)

  const mutate = async <T,>(work: (ctx: Ctx) => Promise<T>) => {
    const result = await db.transaction((tx) => work({ ...deps, db: tx }))
    deps.outboxSignal.notify()
    return result
  }

  /** Any error as a page: the AppError's Chinese message and status, never a stack trace. */
  const errorPage = async (c: C, status: ContentfulStatusCode, message: string) => {
    const title =
      status === 403
        ? '无权访问'
        : status === 404
          ? '未找到'
          : status === 503
            ? '暂时无法使用'
            : status >= 500
              ? '出错了'
              : '无法完成'
    const staff = c.get('staff')
    if (!staff) return render(c, <BarePage title={title} message={message} />, status)
    return render(
      c,
      <Layout title={title} viewer={viewerOf(c)} active="none" error={message}>
        <h1>{title}</h1>
        <p>
          <a href={consolePath}>返回收件箱</a>
        </p>
      </Layout>,
      status,
    )
  }

  app.onError(async (error, c) => {
    // The API's handler maps every error (AppError, HTTP, database refusals) and logs the unknown ones.
    const answer = await jsonErrors(error, c)
    const body = (await answer.json()) as { error: { message: string } }
    return errorPage(c as C, answer.status as ContentfulStatusCode, body.error.message)
  })

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      // HSTS is the deployment's (its reverse proxy's) to decide, for the whole host, not one path's.
      strictTransportSecurity: false,
    }),
  )
  app.use('*', async (c, next) => {
    await next()
    // Pages carry residents' details: never kept by the browser or a proxy.
    c.header('Cache-Control', 'no-store')
  })
  app.use(
    '*',
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => errorPage(c as C, 413, '提交的内容过长。'),
    }),
  )

  const csrfRefused = (c: C) =>
    render(
      c,
      <BarePage title="页面已过期" message="页面已过期或来源不明，操作没有执行。请返回刷新页面后重试。" />,
      403,
    )

  // ------------------------------------------------------------------------------------------------------
  // Login and logout

  const loginPage = (
    c: C,
    options: { next?: string; error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) =>
    render(
      c,
      <LoginPage
        csrf={csrfTokenFor(ensureNonce(c))}
        next={safeNext(options.next)}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )

  app.get('/login', (c) => loginPage(c, { next: c.req.query('next'), notice: noticeOf(c) }))
  app.post('/login', async (c) => {
    const body = await c.req.parseBody()
    if (!(await csrfValid(c))) return csrfRefused(c)
    const next = typeof body.next === 'string' ? body.next : undefined
    const raw = typeof body.token === 'string' ? body.token.trim().replace(/^Bearer\s+/i, '') : ''
    if (!raw) return loginPage(c, { next, error: '请输入访问令牌。', status: 400 })
    // Wrong tokens count per address and token prefix, with the API's: past the limit, 429 for a while.
    const attempts = tokenAttempts(c, raw)
    const wait = attempts.blockedFor()
    if (wait > 0) {
      c.header('Retry-After', String(retryAfterSeconds(wait)))
      return loginPage(c, { next, error: tooManyAttemptsMessage(wait), status: 429 })
    }
    const staff = raw.length <= 200 ? await authenticate(db, raw) : undefined
    if (!staff) {
      attempts.failed()
      return loginPage(c, {
        next,
        error: '访问令牌无效或已停用，请核对后重试，或请管理员重新生成。',
        status: 401,
      })
    }
    startSession(c, raw)
    return c.redirect(safeNext(next), 303)
  })

  // Everything below needs a session; POSTs also a CSRF token.
  const guard = requireConsoleStaff(deps, csrfRefused)
  app.use('*', (c, next) => (c.req.path === `${consolePath}/login` ? next() : guard(c, next)))
  app.use('*', async (c, next) => {
    c.set('bot', options.bot?.status())
    await next()
  })

  app.get('/logout', (c) => render(c, <LogoutPage csrf={c.get('csrf')} />))
  app.post('/logout', (c) => {
    endSession(c)
    return c.redirect(`${consolePath}/login?ok=logged_out`, 303)
  })

  // ------------------------------------------------------------------------------------------------------
  // Requests: inbox, detail, 受理 / 办结 / 转派

  /** A request the staff member may see: property staff only what they hold, others within their scope. */
  async function requestDetail(staff: StaffRow, number: string): Promise<RequestDetail> {
    const { request, context } = await findVisibleRequest(db, staff, number)
    const [events, candidates, photos] = await Promise.all([
      repo.listRequestEvents(db, request.id),
      assignmentTargets(db, staff, context.xiaoqu),
      listPhotos(db, [request.id]),
    ])
    return {
      request,
      xiaoquName: context.xiaoqu?.name ?? null,
      authorName: context.author?.name ?? null,
      assignee: context.assignee ?? null,
      events,
      photos,
      phone: phoneFor(staff, request),
      // 转派 offers exactly whom the use case accepts (it checks again).
      candidates,
    }
  }

  const requestPage = async (
    c: C,
    number: string,
    options: { error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) =>
    render(
      c,
      <RequestPage
        viewer={viewerOf(c)}
        now={clock.now()}
        detail={await requestDetail(c.get('staff'), number)}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )

  app.get('/', async (c) => {
    const staff = c.get('staff')
    const statusQuery = c.req.query('status')
    const status = requestStatuses.includes(statusQuery as RequestStatus)
      ? (statusQuery as RequestStatus)
      : undefined
    const beforeQuery = c.req.query('before')
    const before = beforeQuery && /^\d{1,9}$/.test(beforeQuery) ? Number(beforeQuery) : undefined
    const now = clock.now()
    const pageSize = 30
    const [todo, recent] = await Promise.all([
      repo.todoForStaff(db, staff, 200),
      repo.listRequests(db, {
        status,
        before,
        limit: pageSize + 1,
        assigneeStaffId: staff.role === 'property_staff' ? staff.id : undefined,
        scopePath: staff.role === 'property_staff' ? null : staff.scopePath,
        now,
      }),
    ])
    const shown = recent.slice(0, pageSize)
    const olderHref =
      recent.length > pageSize
        ? `${consolePath}?${new URLSearchParams({
            ...(status ? { status } : {}),
            before: String(shown.at(-1)!.request.id),
          })}`
        : undefined
    return render(
      c,
      <InboxPage
        viewer={viewerOf(c)}
        now={now}
        todo={todo}
        recent={shown}
        status={status}
        olderHref={olderHref}
        notice={noticeOf(c)}
      />,
    )
  })

  app.get('/requests/:number', (c) =>
    requestPage(c, requestNumber(c.req.param('number')), { notice: noticeOf(c) }),
  )

  // A resident's photo of a request, for whoever may see the request (the page's thumbnails).
  app.get('/requests/:number/photos/:photoId', async (c) => {
    const { request } = await findVisibleRequest(db, c.get('staff'), requestNumber(c.req.param('number')))
    const photoId = c.req.param('photoId')
    const photo = /^\d{1,9}$/.test(photoId) ? await loadPhoto(db, request.id, Number(photoId)) : undefined
    if (!photo) return c.body(null, 404)
    return c.body(new Uint8Array(photo.data), 200, {
      'content-type': photo.mediaType,
      'cache-control': 'private, max-age=3600',
      'x-content-type-options': 'nosniff',
    })
  })

  const requestAction = (
    verb: 'accept' | 'resolve' | 'assign',
    run: (ctx: Ctx, actor: StaffActor, number: string, body: Record<string, unknown>) => Promise<unknown>,
  ) =>
    app.post(`/requests/:number/${verb}`, async (c) => {
      const number = requestNumber(c.req.param('number'))
      const body = await c.req.parseBody()
      try {
        await mutate((ctx) => run(ctx, actorOf(c), number, body))
      } catch (error) {
        if (!isAppError(error)) throw error
        return requestPage(c, number, { error: error.message, status: statusOf(error) })
      }
      const code = { accept: 'accepted', resolve: 'resolved', assign: 'assigned' }[verb]
      // A change can take the request out of the caller's sight (property staff handing it on).
      const stillVisible = await requestDetail(c.get('staff'), number).then(
        () => true,
        () => false,
      )
      return c.redirect(stillVisible ? `${requestHref(number)}?ok=${code}` : `${consolePath}?ok=${code}`, 303)
    })

  requestAction('accept', (ctx, actor, number, body) =>
    acceptRequest(ctx, actor, number, field(body, 'note', 500, '备注')),
  )
  requestAction('resolve', (ctx, actor, number, body) =>
    resolveRequest(ctx, actor, number, field(body, 'note', 1000, '办理结果') ?? ''),
  )
  requestAction('assign', async (ctx, actor, number, body) => {
    const id = field(body, 'staffId', 12, '转派对象')
    if (!id || !/^\d{1,9}$/.test(id)) throw invalid('console.assignee_required', '请选择转派给谁。')
    return assignRequest(
      ctx,
      actor,
      number,
      await getStaff(ctx.db, Number(id)),
      field(body, 'note', 500, '备注'),
    )
  })

  // ------------------------------------------------------------------------------------------------------
  // Tasks

  /** The project numbers of tasks that belong to one. */
  async function withProjects<T extends { task: { projectId: number | null } }>(rows: T[]) {
    const ids = [...new Set(rows.map((r) => r.task.projectId).filter((id): id is number => id !== null))]
    const found =
      ids.length === 0
        ? []
        : await db
            .select({ id: projects.id, number: projects.number })
            .from(projects)
            .where(inArray(projects.id, ids))
    const numbers = new Map(found.map((p) => [p.id, p.number]))
    return rows.map((r) => ({
      ...r,
      projectNumber: r.task.projectId ? (numbers.get(r.task.projectId) ?? null) : null,
    }))
  }

  const tasksPage = async (
    c: C,
    options: { error?: string; notice?: string; status?: ContentfulStatusCode } = {},
  ) => {
    const rows: ListedTask[] = await withProjects(await openTasksOf(db, c.get('staff'), 200))
    return render(
      c,
      <TasksPage
        viewer={viewerOf(c)}
        now={clock.now()}
        rows={rows}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )
  }

  app.get('/tasks', (c) => tasksPage(c, { notice: noticeOf(c) }))

  const taskAction = (
    verb: 'complete' | 'extend',
    run: (ctx: Ctx, actor: StaffActor, number: string, body: Record<string, unknown>) => Promise<unknown>,
  ) =>
    app.post(`/tasks/:number/${verb}`, async (c) => {
      const number = taskNumber(c.req.param('number'))
      const body = await c.req.parseBody()
      try {
        await mutate((ctx) => run(ctx, actorOf(c), number, body))
      } catch (error) {
        if (!isAppError(error)) throw error
        return tasksPage(c, { error: error.message, status: statusOf(error) })
      }
      return c.redirect(`${consolePath}/tasks?ok=${verb === 'complete' ? 'task_done' : 'task_extended'}`, 303)
    })

  taskAction('complete', (ctx, actor, number, body) =>
    completeTask(ctx, actor, number, field(body, 'note', 500, '完成说明')),
  )
  taskAction('extend', (ctx, actor, number, body) => {
    const reason = field(body, 'reason', 500, '延期原因')
    if (!reason) throw invalid('tasks.reason_required', '延期须写明原因。')
    const due = typeof body.dueAt === 'string' ? body.dueAt : undefined
    return extendTask(ctx, actor, number, { dueAt: shanghaiInput(due), reason })
  })

  // ------------------------------------------------------------------------------------------------------
  // Overdue

  app.get('/overdue', async (c) => {
    const staff = c.get('staff')
    const now = clock.now()
    const property = staff.role === 'property_staff'
    const taskScope: SQL | undefined = property
      ? or(
          eq(tasks.ownerStaffId, staff.id),
          staff.organisationId ? eq(tasks.ownerOrgId, staff.organisationId) : undefined,
        )
      : staff.scopePath
        ? sql`${xiaoqu.path} like ${`${staff.scopePath}%`}`
        : undefined
    const [lateRequests, lateTasks] = await Promise.all([
      repo.listRequests(db, {
        overdue: true,
        limit: 500,
        assigneeStaffId: property ? staff.id : undefined,
        scopePath: property ? null : staff.scopePath,
        now,
      }),
      db
        .select({
          task: tasks,
          xiaoquName: xiaoqu.name,
          staffName: staffTable.name,
          orgName: organisations.name,
        })
        .from(tasks)
        .innerJoin(xiaoqu, eq(xiaoqu.id, tasks.xiaoquId))
        .leftJoin(staffTable, eq(staffTable.id, tasks.ownerStaffId))
        .leftJoin(organisations, eq(organisations.id, tasks.ownerOrgId))
        .where(and(eq(tasks.status, 'open'), lt(tasks.dueAt, now), taskScope))
        .orderBy(asc(tasks.dueAt), asc(tasks.id))
        .limit(500),
    ])
    const assigneeIds = [
      ...new Set(
        lateRequests.map((r) => r.request.assigneeStaffId).filter((id): id is number => id !== null),
      ),
    ]
    const assignees =
      assigneeIds.length === 0
        ? []
        : await db
            .select({ id: staffTable.id, name: staffTable.name })
            .from(staffTable)
            .where(inArray(staffTable.id, assigneeIds))
    const taskRows = await withProjects(lateTasks)
    return render(
      c,
      <OverduePage
        viewer={viewerOf(c)}
        now={now}
        requests={[...lateRequests].sort(
          (a, b) => a.request.resolutionDueAt.getTime() - b.request.resolutionDueAt.getTime(),
        )}
        assigneeNames={new Map(assignees.map((a) => [a.id, a.name]))}
        tasks={taskRows.map((r) => ({ ...r, ownerName: r.staffName ?? r.orgName ?? null }))}
      />,
    )
  })

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

  // ------------------------------------------------------------------------------------------------------
  // Consent: 征询表决 and 房屋认证

  registerConsentPages(app, { deps, mutate })
  registerGroupPages(app, { deps, mutate })
  registerBotPage(app, options.bot)

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

  // Anything else under /console.
  app.all('*', (c) =>
    c.req.path === `${consolePath}/` && c.req.method === 'GET'
      ? c.redirect(consolePath, 301)
      : errorPage(c, 404, `没有这个页面：${c.req.path}`),
  )

  return app
}
