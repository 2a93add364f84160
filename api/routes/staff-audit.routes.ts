import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { listAudit } from '../../core/audit/audit'
import { assertRole } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { deactivateStaff } from '../../core/staff/deactivate.usecases'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { IdFromString } from './common.schemas'

const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })

const Deactivated = z
  .object({
    staff: z.object({ id: z.number(), name: z.string(), active: z.boolean() }),
    openRequests: z.array(z.object({ number: z.string(), text: z.string(), status: z.string() })),
    openTasks: z.array(z.object({ number: z.string(), title: z.string(), dueAt: z.string() })),
  })
  .openapi('DeactivatedStaff')

const AuditQuery = z.object({
  actorStaffId: IdFromString.optional(),
  actorName: z.string().trim().min(1).max(50).optional(),
  action: z.string().trim().min(1).max(60).optional(),
  entity: z.string().trim().min(1).max(60).optional(),
  entityId: z.string().trim().min(1).max(100).optional(),
  from: z.iso.datetime({ offset: true, error: '时间应形如 2026-03-02T00:00:00+08:00' }).optional(),
  to: z.iso.datetime({ offset: true, error: '时间应形如 2026-03-09T00:00:00+08:00' }).optional(),
  before: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .openapi({ description: "The previous page's nextBefore" }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})

const routes = {
  staffDeactivate: createRoute({
    method: 'post',
    path: '/staff/{id}/deactivate',
    tags: ['工作人员 staff'],
    security,
    summary:
      'Deactivate a staff member (admin): their token and WeChat binding stop working at once; their open requests and tasks are returned for reassignment; audited',
    request: {
      params: z.object({ id: IdFromString.openapi({ param: { name: 'id', in: 'path' }, example: 1 }) }),
    },
    responses: {
      200: { description: 'Deactivated', ...json(Deactivated) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  audit: createRoute({
    method: 'get',
    path: '/audit',
    tags: ['操作记录 audit'],
    security,
    summary:
      'Audit log, newest first (admin), filtered by actor, action (or its family: "staff" matches "staff.create"), entity, time; keyset pages',
    request: { query: AuditQuery },
    responses: {
      200: {
        description: 'Entries, and `nextBefore` to ask for the next page with (null on the last)',
        ...json(z.object({ items: z.array(z.unknown()), nextBefore: z.number().nullable() })),
      },
      ...errorResponses(400, 401, 403),
    },
  }),
}

/** 停用工作人员 and 操作记录. */
export function registerStaffAuditRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  return app
    .openapi(routes.staffDeactivate, async (c) => {
      const result = await db.transaction((tx) =>
        deactivateStaff({ db: tx, clock }, staffActor(c.get('staff')), c.req.valid('param').id),
      )
      return c.json(
        {
          staff: { id: result.staff.id, name: result.staff.name, active: result.staff.active },
          openRequests: result.requests.map((r) => ({ number: r.number, text: r.text, status: r.status })),
          openTasks: result.tasks.map((t) => ({
            number: t.number,
            title: t.title,
            dueAt: t.dueAt.toISOString(),
          })),
        },
        200,
      )
    })
    .openapi(routes.audit, async (c) => {
      assertRole(c.get('staff'), [])
      const { from, to, ...rest } = c.req.valid('query')
      const page = await listAudit(db, {
        ...rest,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
      })
      return c.json(page, 200)
    })
}
