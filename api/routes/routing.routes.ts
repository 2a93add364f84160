import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { categoryCodes } from '../../core/classify/categories'
import {
  createRoutingRule,
  deleteRoutingRule,
  type ListedRule,
  listRoutingRules,
} from '../../core/requests/routing'
import type { Deps } from '../../core/shared/deps'
import { areaKinds } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id, IdFromString } from './common.schemas'

const tags = ['派单规则 routing']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const IdParam = z.object({ id: IdFromString.openapi({ param: { name: 'id', in: 'path' }, example: 1 }) })

const RuleSchema = z
  .object({
    id: z.number(),
    category: z.string().nullable().openapi({ description: 'null: every category of the area' }),
    area: z.object({ id: z.number(), kind: z.enum(areaKinds), name: z.string(), path: z.string() }),
    handler: z.object({
      kind: z.enum(['staff', 'organisation']),
      id: z.number(),
      name: z.string(),
      active: z.boolean(),
    }),
    editable: z.boolean().openapi({ description: 'Within the caller’s scope (may delete it)' }),
    createdAt: z.string(),
  })
  .openapi('RoutingRule')

const toRuleDto = ({ rule, area, handler, editable }: ListedRule) => ({
  id: rule.id,
  category: rule.category,
  area: { id: area.id, kind: area.kind, name: area.name, path: area.path },
  handler,
  editable,
  createdAt: rule.createdAt.toISOString(),
})

const NewRuleSchema = z
  .object({
    category: z
      .enum(categoryCodes, { error: `分类应为以下之一：${categoryCodes.join('、')}` })
      .optional()
      .openapi({ description: 'Omit for every category of the area' }),
    areaId: Id,
    handlerStaffId: Id.optional(),
    handlerOrgId: Id.optional(),
  })
  .refine((r) => (r.handlerStaffId === undefined) !== (r.handlerOrgId === undefined), {
    error: '请给出一个处理人：handlerStaffId（工作人员）或 handlerOrgId（单位），二选一。',
    path: ['handlerStaffId'],
  })
  .openapi('NewRoutingRule')

const routes = {
  list: createRoute({
    method: 'get',
    path: '/routing-rules',
    tags,
    security,
    summary: 'Routing rules in the caller’s scope and above it (officers, admins)',
    responses: {
      200: {
        description: 'Rules, most general area first',
        ...json(z.object({ items: z.array(RuleSchema) })),
      },
      ...errorResponses(401, 403),
    },
  }),
  create: createRoute({
    method: 'post',
    path: '/routing-rules',
    tags,
    security,
    summary:
      'Route new requests of a category (or all) in an area to a staff member or an organisation (officers in scope, audited)',
    request: { body: { required: true, ...json(NewRuleSchema) } },
    responses: {
      201: { description: 'Created', ...json(RuleSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/routing-rules/{id}',
    tags,
    security,
    summary: 'Delete a routing rule (officers in scope, audited)',
    request: { params: IdParam },
    responses: {
      200: { description: 'Deleted', ...json(z.object({ deleted: z.number() })) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
}

/** 派单规则: category × area → the default handler of a new request. */
export function registerRoutingRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  return app
    .openapi(routes.list, async (c) => {
      const rows = await listRoutingRules(db, c.get('staff'))
      return c.json({ items: rows.map(toRuleDto) }, 200)
    })
    .openapi(routes.create, async (c) => {
      const staff = c.get('staff')
      const rule = await db.transaction((tx) =>
        createRoutingRule(tx, staffActor(staff), c.req.valid('json'), clock.now()),
      )
      const listed = (await listRoutingRules(db, staff)).find((r) => r.rule.id === rule.id)!
      return c.json(toRuleDto(listed), 201)
    })
    .openapi(routes.remove, async (c) => {
      const { id } = c.req.valid('param')
      await db.transaction((tx) => deleteRoutingRule(tx, staffActor(c.get('staff')), id, clock.now()))
      return c.json({ deleted: id }, 200)
    })
}
