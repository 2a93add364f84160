import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { batchSummary, listOutbox, type OutboxRow } from '../../core/outbox/outbox.repository'
import { settleMessage } from '../../core/outbox/outbox.usecases'
import { assertRole } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { outboxStatuses } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { IdFromString } from './common.schemas'

const tags = ['待发消息 outbox']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })

const MessageSchema = z
  .object({
    id: z.number(),
    conversationId: z.string(),
    isRoom: z.boolean(),
    text: z.string(),
    status: z.enum(outboxStatuses),
    priority: z.string(),
    batch: z.string().nullable(),
    attempts: z.number(),
    lastError: z.string().nullable(),
    notBefore: z.string(),
    sentAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('OutboxMessage')

const toDto = (r: OutboxRow) => ({
  id: r.id,
  conversationId: r.conversationId,
  isRoom: r.isRoom === 1,
  text: r.text,
  status: r.status,
  priority: r.priority,
  batch: r.batch,
  attempts: r.attempts,
  lastError: r.lastError,
  notBefore: r.notBefore.toISOString(),
  sentAt: r.sentAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
})

const list = createRoute({
  method: 'get',
  path: '/outbox',
  tags,
  security,
  summary: 'Messages to be sent, newest first (admin): find uncertain and failed ones here',
  request: {
    query: z.object({
      status: z.enum(outboxStatuses).optional(),
      batch: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: IdFromString.optional(),
    }),
  },
  responses: {
    200: {
      description: 'A page',
      ...json(z.object({ items: z.array(MessageSchema), nextCursor: z.string().nullable() })),
    },
    ...errorResponses(400, 401, 403),
  },
})

const settle = (decision: 'resend' | 'drop') =>
  createRoute({
    method: 'post',
    path: `/outbox/{id}/${decision}`,
    tags,
    security,
    summary:
      decision === 'resend'
        ? 'Send an uncertain or failed message again (admin, audited)'
        : 'Give up on a message (admin, audited)',
    request: { params: z.object({ id: IdFromString.openapi({ param: { name: 'id', in: 'path' } }) }) },
    responses: {
      200: { description: 'Updated', ...json(MessageSchema) },
      ...errorResponses(401, 403, 404, 409),
    },
  })

const resend = settle('resend')
const drop = settle('drop')

const progress = createRoute({
  method: 'get',
  path: '/outbox/batches/{batch}',
  tags,
  security,
  summary: "A broadcast's progress: sent, pending, failed and uncertain per group (admin)",
  request: {
    params: z.object({
      batch: z
        .string()
        .min(1)
        .max(200)
        .openapi({ param: { name: 'batch', in: 'path' } }),
    }),
  },
  responses: { 200: { description: 'Counts', ...json(z.unknown()) }, ...errorResponses(401, 403) },
})

export function registerOutboxRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  const decide = async (staff: ApiEnv['Variables']['staff'], id: number, decision: 'resend' | 'drop') => {
    const row = await db.transaction((tx) => settleMessage(tx, staffActor(staff), id, decision, clock.now()))
    if (decision === 'resend') deps.outboxSignal.notify()
    return toDto(row)
  }
  return app
    .openapi(list, async (c) => {
      assertRole(c.get('staff'), [])
      const q = c.req.valid('query')
      const rows = await listOutbox(db, {
        status: q.status,
        batch: q.batch,
        before: q.cursor,
        limit: q.limit + 1,
      })
      const page = rows.slice(0, q.limit)
      return c.json(
        { items: page.map(toDto), nextCursor: rows.length > q.limit ? String(page.at(-1)!.id) : null },
        200,
      )
    })
    .openapi(resend, async (c) =>
      c.json(await decide(c.get('staff'), c.req.valid('param').id, 'resend'), 200),
    )
    .openapi(drop, async (c) => c.json(await decide(c.get('staff'), c.req.valid('param').id, 'drop'), 200))
    .openapi(progress, async (c) => {
      assertRole(c.get('staff'), [])
      return c.json(await batchSummary(db, c.req.valid('param').batch), 200)
    })
}
