import { and, asc, eq, inArray, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listPhotos, loadPhoto } from '../../core/requests/photos'
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
import { invalid, isAppError } from '../../core/shared/errors'
import { getStaff } from '../../core/staff/staff.usecases'
import {
  organisations,
  type RequestStatus,
  requestStatuses,
  staff as staffTable,
  tasks,
  xiaoqu,
} from '../../db/schema'
import {
  actorOf,
  type C,
  type ConsoleKit,
  type Ctx,
  field,
  noticeReader,
  render,
  requestNumber,
  type StaffActor,
  statusOf,
  viewerOf,
  withProjectNumbers,
} from './kit'
import { InboxPage, type RequestDetail, RequestPage, requestHref } from './requests.page'
import { type ConsoleEnv, consolePath } from './session'
import { OverduePage } from './tasks.page'

const noticeOf = noticeReader({
  accepted: '已受理，已告知居民。',
  resolved: '已办结，已请居民评价。',
  assigned: '已转派。',
})

/** 收件箱, a request's page and its actions (受理 / 办结 / 转派), and 超时. */
export function registerRequestPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

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
    const taskRows = await withProjectNumbers(db, lateTasks)
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
}
