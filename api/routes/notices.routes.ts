import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import {
  cancelNotice,
  createBroadcast,
  findNotice,
  maxBroadcastLength,
  type NoticeRow,
  noticeProgress,
} from '../../core/notices/broadcast.usecases'
import { assertScope } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { noticeStatuses } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id } from './common.schemas'

const tags = ['通知 notices']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })

const NoticeSchema = z
  .object({
    number: z.string(),
    kind: z.string(),
    body: z.string(),
    scopeName: z.string(),
    status: z.enum(noticeStatuses),
    urgent: z.boolean(),
    publishAt: z.string(),
    publishedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    groupCount: z.number().nullable(),
  })
  .openapi('Notice')

const toDto = (n: NoticeRow) => ({
  number: n.number,
  kind: n.kind,
  body: n.body,
  scopeName: n.scopeName,
  status: n.status,
  urgent: n.urgent === 1,
  publishAt: n.publishAt.toISOString(),
  publishedAt: n.publishedAt?.toISOString() ?? null,
  cancelledAt: n.cancelledAt?.toISOString() ?? null,
  groupCount: n.groupCount,
})

const NumberParam = z.object({
  number: z
    .string()
    .regex(/^[Bb]\d{1,9}$/, '公告编号形如 B12')
    .openapi({ param: { name: 'number', in: 'path' }, example: 'B12' }),
})

const create = createRoute({
  method: 'post',
  path: '/notices/broadcasts',
  tags,
  security,
  summary: "Broadcast to the residents' groups of a xiaoqu or an area, now or at publishAt",
  request: {
    body: {
      required: true,
      ...json(
        z
          .object({
            text: z.string().trim().min(1, '请填写公告内容').max(maxBroadcastLength),
            xiaoquId: Id.optional(),
            areaId: Id.optional(),
            publishAt: z.iso
              .datetime({ offset: true, message: '应为带时区的时间，如 2026-03-02T09:00:00+08:00' })
              .optional(),
            urgent: z.boolean().default(false).openapi({ description: 'Urgent notices skip quiet hours' }),
            attachmentIds: z
              .array(Id)
              .max(9)
              .default([])
              .openapi({ description: 'Files from POST /attachments' }),
          })
          .refine((b) => Boolean(b.xiaoquId) !== Boolean(b.areaId), {
            message: '请指定 xiaoquId 或 areaId 之一',
            path: ['xiaoquId'],
          })
          .openapi('CreateBroadcast'),
      ),
    },
  },
  responses: {
    201: { description: 'Published or scheduled', ...json(NoticeSchema) },
    ...errorResponses(400, 401, 403, 404),
    422: { description: 'No bound group in the scope', ...json(z.unknown()) },
  },
})

const get = createRoute({
  method: 'get',
  path: '/notices/{number}',
  tags,
  security,
  summary: 'A notice with its delivery progress per group',
  request: { params: NumberParam },
  responses: {
    200: { description: 'The notice', ...json(z.object({ notice: NoticeSchema, progress: z.unknown() })) },
    ...errorResponses(400, 401, 403, 404),
  },
})

const cancel = createRoute({
  method: 'post',
  path: '/notices/{number}/cancel',
  tags,
  security,
  summary: 'Cancel a scheduled notice, or the part of a published one not yet sent',
  request: { params: NumberParam },
  responses: {
    200: {
      description: 'Cancelled',
      ...json(z.object({ notice: NoticeSchema, droppedMessages: z.number() })),
    },
    ...errorResponses(400, 401, 403, 404, 409),
  },
})

export function registerNoticeRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db } = deps
  return app
    .openapi(create, async (c) => {
      const body = c.req.valid('json')
      const notice = await db.transaction((tx) =>
        createBroadcast({ ...deps, db: tx }, staffActor(c.get('staff')), {
          ...body,
          publishAt: body.publishAt ? new Date(body.publishAt) : undefined,
        }),
      )
      deps.outboxSignal.notify()
      return c.json(toDto(notice), 201)
    })
    .openapi(get, async (c) => {
      const notice = await findNotice(db, c.req.valid('param').number)
      assertScope(c.get('staff'), notice.scopePath)
      return c.json({ notice: toDto(notice), progress: await noticeProgress(db, notice) }, 200)
    })
    .openapi(cancel, async (c) => {
      const result = await db.transaction((tx) =>
        cancelNotice({ ...deps, db: tx }, staffActor(c.get('staff')), c.req.valid('param').number),
      )
      return c.json({ notice: toDto(result.notice), droppedMessages: result.droppedMessages }, 200)
    })
}
