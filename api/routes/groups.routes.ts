import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import {
  findListedGroup,
  type ListedGroup,
  listGroups,
  rebindGroup,
  unbindGroup,
} from '../../core/groups/groups.usecases'
import {
  type ListedIdentityIssue,
  listOpenIdentityIssues,
  resolveIdentityIssue,
} from '../../core/groups/identity-issues.usecases'
import type { Deps } from '../../core/shared/deps'
import { groupKinds, groupStates } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id, IdFromString } from './common.schemas'

const tags = ['群 groups']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const body = <T>(schema: T) => ({ body: { required: true, ...json(schema) } })
const IdParam = z.object({ id: IdFromString.openapi({ param: { name: 'id', in: 'path' }, example: 1 }) })
const reason = z
  .string({ error: '请写明原因，例如：群已解散' })
  .trim()
  .min(1, '请写明原因，例如：群已解散')
  .max(500, '原因不超过 500 字')

const GroupSchema = z
  .object({
    id: z.number(),
    roomId: z.string(),
    topic: z.string(),
    kind: z.enum(groupKinds),
    xiaoquId: z.number().nullable(),
    xiaoquName: z.string().nullable(),
    state: z.enum(groupStates),
    stateChangedAt: z.string().nullable(),
    memberCount: z.number().nullable(),
    lastMessageAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Group')

const toGroupDto = ({ group: g, xiaoquName }: ListedGroup) => ({
  id: g.id,
  roomId: g.roomId,
  topic: g.topic,
  kind: g.kind,
  xiaoquId: g.xiaoquId,
  xiaoquName,
  state: g.state,
  stateChangedAt: g.stateChangedAt?.toISOString() ?? null,
  memberCount: g.memberCount,
  lastMessageAt: g.lastMessageAt?.toISOString() ?? null,
  createdAt: g.createdAt.toISOString(),
})

const IdentityIssueSchema = z
  .object({
    id: z.number(),
    kind: z.enum(['group', 'staff']),
    subjectId: z.number(),
    subjectName: z.string().nullable(),
    oldWechatId: z.string(),
    candidates: z.array(z.object({ id: z.string(), name: z.string() })),
    createdAt: z.string(),
    resolvedAt: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .openapi('IdentityIssue')

const toIssueDto = ({
  issue,
  subjectName,
}: Pick<ListedIdentityIssue, 'issue'> & { subjectName: string | null }) => ({
  id: issue.id,
  kind: issue.kind,
  subjectId: issue.subjectId,
  subjectName,
  oldWechatId: issue.oldWechatId,
  candidates: issue.candidates,
  createdAt: issue.createdAt.toISOString(),
  resolvedAt: issue.resolvedAt?.toISOString() ?? null,
  resolution: issue.resolution,
})

const routes = {
  list: createRoute({
    method: 'get',
    path: '/groups',
    tags,
    security,
    summary: 'Groups the bot knows, within the caller’s scope (admins: all)',
    request: {
      query: z.object({
        xiaoquId: IdFromString.optional(),
        kind: z.enum(groupKinds).optional(),
        state: z.enum(groupStates).optional(),
      }),
    },
    responses: {
      200: { description: 'Groups', ...json(z.object({ items: z.array(GroupSchema) })) },
      ...errorResponses(400, 401),
    },
  }),
  unbind: createRoute({
    method: 'post',
    path: '/groups/{id}/unbind',
    tags,
    security,
    summary:
      'Unbind a group: the bot goes silent there and its waiting messages are dropped (officers in scope, audited)',
    request: { params: IdParam, ...body(z.object({ reason })) },
    responses: {
      200: {
        description: 'Unbound',
        ...json(z.object({ group: GroupSchema, dropped: z.number() })),
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  rebind: createRoute({
    method: 'post',
    path: '/groups/{id}/rebind',
    tags,
    security,
    summary:
      'Serve an unbound group again; admins may also move it to another xiaoqu or kind. A group the bot has left: 409 (audited)',
    request: {
      params: IdParam,
      ...body(
        z.object({
          reason: reason.optional(),
          xiaoquId: Id.optional(),
          kind: z.enum(groupKinds).optional(),
        }),
      ),
    },
    responses: {
      200: { description: 'Active again', ...json(GroupSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  issues: createRoute({
    method: 'get',
    path: '/identity-issues',
    tags,
    security,
    summary: 'Groups and staff whose WeChat id changed at a login and could not be matched (admin)',
    responses: {
      200: { description: 'Open issues', ...json(z.object({ items: z.array(IdentityIssueSchema) })) },
      ...errorResponses(401, 403),
    },
  }),
  resolve: createRoute({
    method: 'post',
    path: '/identity-issues/{id}/resolve',
    tags,
    security,
    summary: 'Give the subject its new id (a candidate or any id), or dismiss the issue (admin, audited)',
    request: {
      params: IdParam,
      ...body(
        z.union([
          z.object({ wechatId: z.string().trim().min(1, '请填写新的微信 ID').max(200) }),
          z.object({ dismiss: z.literal(true) }),
        ]),
      ),
    },
    responses: {
      200: { description: 'Resolved', ...json(IdentityIssueSchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
}

export function registerGroupRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  const listed = async (id: number) => (await findListedGroup(db, id))!
  return app
    .openapi(routes.list, async (c) => {
      const rows = await listGroups(db, c.get('staff'), c.req.valid('query'))
      return c.json({ items: rows.map(toGroupDto) }, 200)
    })
    .openapi(routes.unbind, async (c) => {
      const { id } = c.req.valid('param')
      const staff = c.get('staff')
      const { dropped } = await db.transaction((tx) =>
        unbindGroup({ db: tx, clock }, staffActor(staff), id, c.req.valid('json').reason),
      )
      return c.json({ group: toGroupDto(await listed(id)), dropped }, 200)
    })
    .openapi(routes.rebind, async (c) => {
      const { id } = c.req.valid('param')
      const staff = c.get('staff')
      await db.transaction((tx) => rebindGroup({ db: tx, clock }, staffActor(staff), id, c.req.valid('json')))
      return c.json(toGroupDto(await listed(id)), 200)
    })
    .openapi(routes.issues, async (c) => {
      const rows = await listOpenIdentityIssues(db, staffActor(c.get('staff')))
      return c.json({ items: rows.map(toIssueDto) }, 200)
    })
    .openapi(routes.resolve, async (c) => {
      const { id } = c.req.valid('param')
      const input = c.req.valid('json')
      const issue = await db.transaction((tx) =>
        resolveIdentityIssue(
          { db: tx, clock },
          staffActor(c.get('staff')),
          id,
          'wechatId' in input ? { wechatId: input.wechatId } : { dismiss: true },
        ),
      )
      deps.outboxSignal.notify()
      return c.json(toIssueDto({ issue, subjectName: null }), 200)
    })
}
