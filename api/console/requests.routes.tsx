import { and, asc, eq, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listXiaoqu } from '../../core/areas/areas.usecases'
import * as repo from '../../core/requests/requests.repository'
import { assignmentTargets, assignRequest } from '../../core/requests/requests.usecases'
import type { StaffRow } from '../../core/shared/actor'
import { isAppError } from '../../core/shared/errors'
import { getStaff } from '../../core/staff/staff.usecases'
import { organisations, staff as staffTable, tasks, xiaoqu } from '../../db/schema'
import {
  actorOf,
  type C,
  type ConsoleKit,
  field,
  noticeReader,
  render,
  requestNumber,
  statusOf,
  viewerOf,
  withProjectNumbers,
} from './kit'
import { registerRequestActions } from './requests.actions'
import { type InboxFilters, inboxBack, inboxHref, parseInboxQuery } from './requests.filters'
import { OverduePage } from './requests.overdue'
import { InboxPage, type ListedRequest } from './requests.page'
import type { ConsoleEnv } from './session'

export const inboxNotices = {
  accepted: '已受理，已告知居民。',
  resolved: '已办结，已请居民评价。',
  assigned: '已转派。',
  filed: '已登记诉求。',
  bulk_assigned: '勾选的诉求已全部转派。',
}
const noticeOf = noticeReader(inboxNotices)

const pageSize = 30
const maxBulk = 100

/** Where the inbox stands: its filters, its page, and what was wrong with the query if anything. */
interface InboxState {
  filters: InboxFilters
  before?: number
  error?: string
}

/** 收件箱 (filters, search, paging, row actions, bulk 转派), a request's page and its actions, and 超时. */
export function registerRequestPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  /** Who each shown open request may be handed to, by its xiaoqu: the one rule of assignmentTargets. */
  async function candidatesFor(staff: StaffRow, rows: readonly ListedRequest[]) {
    const places = new Map<string, { path: string; name: string }>()
    for (const { request, xiaoquPath, xiaoquName } of rows) {
      if (repo.isOpenRequest(request) && xiaoquPath)
        places.set(xiaoquPath, { path: xiaoquPath, name: xiaoquName ?? '' })
    }
    const byPlace = new Map<string, StaffRow[]>()
    for (const place of places.values()) byPlace.set(place.path, await assignmentTargets(db, staff, place))
    const everyone = new Map<number, StaffRow>()
    for (const list of byPlace.values()) for (const s of list) everyone.set(s.id, s)
    return { byPlace, everyone: [...everyone.values()].sort((a, b) => a.id - b.id) }
  }

  async function inboxPage(
    c: C,
    state: InboxState,
    options: { notice?: string; error?: string; status?: ContentfulStatusCode } = {},
  ) {
    const staff = c.get('staff')
    const property = staff.role === 'property_staff'
    const now = clock.now()
    const [todo, recent, places, holders] = await Promise.all([
      repo.todoForStaff(db, staff, 200),
      repo.listRequests(db, {
        ...state.filters,
        before: state.before,
        limit: pageSize + 1,
        // Property staff see what they hold; everyone else what lies within their scope.
        assigneeStaffId: property ? staff.id : undefined,
        scopePath: property ? null : staff.scopePath,
        now,
      }),
      listXiaoqu(db, staff.scopePath),
      property ? [{ id: staff.id, name: staff.name }] : repo.holdersInScope(db, staff.scopePath),
    ])
    const shown = recent.slice(0, pageSize)
    const candidates = await candidatesFor(staff, [...todo, ...shown])
    const olderHref =
      recent.length > pageSize
        ? inboxHref(state.filters, { before: String(shown.at(-1)!.request.id) })
        : undefined
    return render(
      c,
      <InboxPage
        viewer={viewerOf(c)}
        now={now}
        todo={todo}
        recent={shown}
        filters={state.filters}
        filtered={Object.keys(state.filters).length > 0}
        options={{ xiaoqu: places, holders }}
        candidates={candidates.byPlace}
        bulkCandidates={candidates.everyone}
        here={inboxHref(state.filters, state.before ? { before: String(state.before) } : {})}
        olderHref={olderHref}
        notice={options.notice}
        error={options.error ?? state.error}
      />,
      options.status ?? (state.error ? 400 : 200),
    )
  }

  app.get('/', (c) => inboxPage(c, parseInboxQuery(c.req.query()), { notice: noticeOf(c) }))

  // 批量转派: each checked request through assignRequest in its own transaction; what fails is named with why.
  app.post('/requests/bulk-assign', async (c) => {
    const body = await c.req.parseBody({ all: true })
    const back = inboxBack(body.back) ?? { filters: {} }
    const picked = [body.number]
      .flat()
      .filter((n): n is string => typeof n === 'string' && n.trim() !== '')
      .map((n) => n.trim())
    const numbers = [...new Set(picked)]
    const refuse = (error: string) => inboxPage(c, back, { error, status: 400 })
    if (numbers.length === 0) return refuse('请先在列表中勾选要转派的诉求。')
    if (numbers.length > maxBulk) return refuse(`一次最多转派 ${maxBulk} 件，请分批勾选。`)
    const staffId = typeof body.staffId === 'string' ? body.staffId : ''
    if (!/^\d{1,9}$/.test(staffId)) return refuse('请选择转派给谁。')
    let note: string | undefined
    let assignee: StaffRow
    try {
      note = field(body, 'note', 500, '备注')
      assignee = await getStaff(db, Number(staffId))
    } catch (error) {
      if (!isAppError(error)) throw error
      return inboxPage(c, back, { error: error.message, status: statusOf(error) })
    }
    const done: string[] = []
    const failed: { number: string; message: string; status: ContentfulStatusCode }[] = []
    for (const raw of numbers) {
      try {
        const number = requestNumber(raw)
        await mutate((ctx) => assignRequest(ctx, actorOf(c), number, assignee, note))
        done.push(number)
      } catch (error) {
        if (!isAppError(error)) throw error
        failed.push({ number: raw.slice(0, 20), message: error.message, status: statusOf(error) })
      }
    }
    if (failed.length === 0) {
      return c.redirect(inboxHref(back.filters, { ok: 'bulk_assigned' }), 303)
    }
    return inboxPage(c, back, {
      notice: done.length > 0 ? `已转派 ${done.length} 件：${done.join('、')}。` : undefined,
      error: `以下 ${failed.length} 件未能转派：${failed.map((f) => `${f.number}（${f.message}）`).join('；')}`,
      status: done.length > 0 ? 200 : failed[0]!.status,
    })
  })

  registerRequestActions(app, kit, {
    inboxPage: (c, back, options) => inboxPage(c, back, options),
    noticeOf,
  })

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
    const taskRows = await withProjectNumbers(db, lateTasks)
    return render(
      c,
      <OverduePage
        viewer={viewerOf(c)}
        now={now}
        requests={[...lateRequests].sort(
          (a, b) => a.request.resolutionDueAt.getTime() - b.request.resolutionDueAt.getTime(),
        )}
        tasks={taskRows.map((r) => ({ ...r, ownerName: r.staffName ?? r.orgName ?? null }))}
      />,
    )
  })
}
