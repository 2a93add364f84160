import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { and, asc, eq, like, or, type SQL } from 'drizzle-orm'
import { statusNames } from '../../core/requests/requests.messages'
import * as repo from '../../core/requests/requests.repository'
import { phoneFor } from '../../core/requests/requests.usecases'
import { csvCell } from '../../core/shared/csv'
import type { Deps } from '../../core/shared/deps'
import { formatShanghaiFull } from '../../core/shared/time'
import { taskStatusNames } from '../../core/tasks/tasks.usecases'
import { organisations, staff, tasks, xiaoqu } from '../../db/schema'
import type { ApiEnv } from '../auth'
import { errorResponses } from '../errors'
import { ListQuery } from './requests.schemas'

const security = [{ Bearer: [] }]
const csvResponse = {
  description: 'CSV (UTF-8 with BOM, for Excel)',
  content: { 'text/csv': { schema: z.string() } },
}
/** An export is a report, not a backup: this many rows at most, newest first. */
const maxRows = 50_000

const routes = {
  requests: createRoute({
    method: 'get',
    path: '/exports/requests.csv',
    tags: ['导出 exports'],
    security,
    summary:
      'Requests in your scope as CSV (same filters as the list; phones in full only on requests you hold, or for admins), newest first',
    request: { query: ListQuery.omit({ limit: true, cursor: true }) },
    responses: { 200: csvResponse, ...errorResponses(400, 401) },
  }),
  tasks: createRoute({
    method: 'get',
    path: '/exports/tasks.csv',
    tags: ['导出 exports'],
    security,
    summary: 'Tasks in your scope as CSV, earliest due first',
    request: {
      query: z.object({ status: z.enum(['open', 'done', 'cancelled']).optional() }),
    },
    responses: { 200: csvResponse, ...errorResponses(400, 401) },
  }),
}

const csv = (header: string[], rows: (string | number | null | undefined)[][]) =>
  `\uFEFF${[header, ...rows].map((r) => r.map((v) => csvCell(v === null || v === undefined ? '' : String(v))).join(',')).join('\r\n')}\r\n`

const attachment = (name: string) => ({
  'content-type': 'text/csv; charset=utf-8',
  'content-disposition': `attachment; filename="${name}"`,
})

export function registerExportRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  return app
    .openapi(routes.requests, async (c) => {
      const q = c.req.valid('query')
      const me = c.get('staff')
      const now = clock.now()
      const rows = await repo.listRequests(db, {
        ...q,
        limit: maxRows,
        assigneeStaffId: me.role === 'property_staff' ? me.id : undefined,
        scopePath: me.role === 'property_staff' ? null : me.scopePath,
        now,
      })
      const body = csv(
        [
          '编号',
          '小区',
          '分类',
          '菜单项',
          '紧急',
          '状态',
          '内容',
          '居民',
          '联系电话',
          '响应时限',
          '办结时限',
          '受理时间',
          '办结时间',
          '评价',
          '提交时间',
        ],
        rows.map(({ request: r, xiaoquName, authorName }) => [
          r.number,
          xiaoquName,
          r.category,
          r.menuItem,
          r.urgency === 'urgent' ? '是' : '否',
          statusNames[r.status],
          r.text,
          authorName,
          phoneFor(me, r),
          formatShanghaiFull(r.responseDueAt),
          formatShanghaiFull(r.resolutionDueAt),
          r.respondedAt ? formatShanghaiFull(r.respondedAt) : '',
          r.resolvedAt ? formatShanghaiFull(r.resolvedAt) : '',
          r.rating === 'satisfied' ? '满意' : r.rating === 'unsatisfied' ? '不满意' : '',
          formatShanghaiFull(r.createdAt),
        ]),
      )
      return c.text(body, 200, attachment('requests.csv'))
    })
    .openapi(routes.tasks, async (c) => {
      const me = c.get('staff')
      const { status } = c.req.valid('query')
      const mine: SQL | undefined =
        me.role === 'property_staff'
          ? or(
              eq(tasks.ownerStaffId, me.id),
              me.organisationId ? eq(tasks.ownerOrgId, me.organisationId) : undefined,
            )
          : me.scopePath
            ? like(xiaoqu.path, `${me.scopePath}%`)
            : undefined
      const rows = await db
        .select({ task: tasks, xiaoquName: xiaoqu.name, ownerName: staff.name, orgName: organisations.name })
        .from(tasks)
        .innerJoin(xiaoqu, eq(xiaoqu.id, tasks.xiaoquId))
        .leftJoin(staff, eq(staff.id, tasks.ownerStaffId))
        .leftJoin(organisations, eq(organisations.id, tasks.ownerOrgId))
        .where(and(mine, status ? eq(tasks.status, status) : undefined))
        .orderBy(asc(tasks.dueAt), asc(tasks.id))
        .limit(maxRows)
      const now = clock.now()
      const body = csv(
        ['编号', '小区', '任务', '阶段', '负责', '完成时限', '状态', '超时', '完成时间', '完成情况'],
        rows.map(({ task: t, xiaoquName, ownerName, orgName }) => [
          t.number,
          xiaoquName,
          t.title,
          t.stage,
          ownerName ?? orgName,
          formatShanghaiFull(t.dueAt),
          taskStatusNames[t.status],
          t.status === 'open' && t.dueAt < now ? '是' : '',
          t.completedAt ? formatShanghaiFull(t.completedAt) : '',
          t.completionNote,
        ]),
      )
      return c.text(body, 200, attachment('tasks.csv'))
    })
}
