import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { getXiaoquForStaff } from '../../core/areas/areas.usecases'
import { feedbackExport } from '../../core/data/exports'
import { downloadHeaders, toCsv } from '../../core/data/spreadsheet'
import {
  cancelPublicity,
  createPublicity,
  findPublicity,
  listFeedback,
  type PublicityRow,
  publishPublicity,
  recordReview,
} from '../../core/notices/publicity.usecases'
import type { Deps } from '../../core/shared/deps'
import type { DbOrTx } from '../../db/client'
import { publicityStatuses } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id } from './common.schemas'

const tags = ['设计方案公示 publicities']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const instantField = z.iso.datetime({
  offset: true,
  message: '应为带时区的时间，如 2026-03-02T09:00:00+08:00',
})

const PublicitySchema = z
  .object({
    number: z.string(),
    xiaoquId: z.number(),
    title: z.string(),
    body: z.string(),
    reviewedBy: z.string().nullable(),
    reviewedAt: z.string().nullable(),
    opensAt: z.string(),
    closesAt: z.string(),
    status: z.enum(publicityStatuses),
    summary: z.unknown().nullable(),
    attachmentIds: z.array(z.number()),
  })
  .openapi('Publicity')

const iso = (d: Date | null) => d?.toISOString() ?? null
const toDto = (p: PublicityRow) => ({
  number: p.number,
  xiaoquId: p.xiaoquId,
  title: p.title,
  body: p.body,
  reviewedBy: p.reviewedBy,
  reviewedAt: iso(p.reviewedAt),
  opensAt: p.opensAt.toISOString(),
  closesAt: p.closesAt.toISOString(),
  status: p.status,
  summary: p.summary ?? null,
  attachmentIds: p.attachmentIds,
})

const NumberParam = z.object({
  number: z
    .string()
    .regex(/^[Gg]\d{1,9}$/, '公示编号形如 G12')
    .openapi({ param: { name: 'number', in: 'path' }, example: 'G12' }),
})
const Review = z.object({
  reviewedBy: z.string().trim().min(1, '请填写审查的责任规划师').max(50),
  reviewedAt: instantField.optional(),
})

const routes = {
  create: createRoute({
    method: 'post',
    path: '/publicities',
    tags,
    security,
    summary: 'Create a design publicity for a xiaoqu (a draft until reviewed and published)',
    request: {
      body: {
        required: true,
        ...json(
          z
            .object({
              xiaoquId: Id,
              title: z.string().trim().min(1).max(100),
              body: z.string().trim().min(1).max(1_500),
              opensAt: instantField,
              closesAt: instantField,
              review: Review.optional(),
              projectNumber: z
                .string()
                .regex(/^[Pp]\d{1,9}$/, '项目编号形如 P101')
                .optional(),
              attachmentIds: z
                .array(Id)
                .max(9)
                .default([])
                .openapi({ description: 'Design drawings from POST /attachments' }),
            })
            .openapi('CreatePublicity'),
        ),
      },
    },
    responses: {
      201: { description: 'Created', ...json(PublicitySchema) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  review: createRoute({
    method: 'post',
    path: '/publicities/{number}/review',
    tags,
    security,
    summary: "Record the responsible planner's review (who, when)",
    request: { params: NumberParam, body: { required: true, ...json(Review) } },
    responses: {
      200: { description: 'Reviewed', ...json(PublicitySchema) },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  publish: createRoute({
    method: 'post',
    path: '/publicities/{number}/publish',
    tags,
    security,
    summary: 'Publish: it opens at opensAt (refused without the review)',
    request: { params: NumberParam },
    responses: {
      200: { description: 'Scheduled', ...json(PublicitySchema) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  cancel: createRoute({
    method: 'post',
    path: '/publicities/{number}/cancel',
    tags,
    security,
    summary: 'Cancel before it opens',
    request: { params: NumberParam },
    responses: {
      200: { description: 'Cancelled', ...json(PublicitySchema) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  get: createRoute({
    method: 'get',
    path: '/publicities/{number}',
    tags,
    security,
    summary: 'A publicity, with its summary once closed',
    request: { params: NumberParam },
    responses: {
      200: { description: 'The publicity', ...json(PublicitySchema) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  feedback: createRoute({
    method: 'get',
    path: '/publicities/{number}/feedback',
    tags,
    security,
    summary:
      "Residents' feedback, oldest first (property staff: without residents' names); add ?format=csv for a spreadsheet",
    request: { params: NumberParam, query: z.object({ format: z.enum(['json', 'csv']).default('json') }) },
    responses: {
      200: {
        description: 'Feedback',
        content: { 'application/json': { schema: z.unknown() }, 'text/csv': { schema: z.string() } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
}

export function registerPublicityRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db } = deps
  const tx = <T>(work: (ctx: Omit<Deps, 'db'> & { db: DbOrTx }) => Promise<T>) =>
    db.transaction((t) => work({ ...deps, db: t }))
  const visible = async (staff: ApiEnv['Variables']['staff'], number: string) => {
    const p = await findPublicity(db, number)
    await getXiaoquForStaff(db, staffActor(staff), p.xiaoquId)
    return p
  }
  return app
    .openapi(routes.create, async (c) => {
      const b = c.req.valid('json')
      const created = await tx((ctx) =>
        createPublicity(ctx, staffActor(c.get('staff')), {
          ...b,
          opensAt: new Date(b.opensAt),
          closesAt: new Date(b.closesAt),
          review: b.review && {
            reviewedBy: b.review.reviewedBy,
            reviewedAt: b.review.reviewedAt ? new Date(b.review.reviewedAt) : undefined,
          },
        }),
      )
      return c.json(toDto(created), 201)
    })
    .openapi(routes.review, async (c) => {
      const b = c.req.valid('json')
      const reviewed = await tx((ctx) =>
        recordReview(ctx, staffActor(c.get('staff')), c.req.valid('param').number, {
          reviewedBy: b.reviewedBy,
          reviewedAt: b.reviewedAt ? new Date(b.reviewedAt) : undefined,
        }),
      )
      return c.json(toDto(reviewed), 200)
    })
    .openapi(routes.publish, async (c) =>
      c.json(
        toDto(
          await tx((ctx) => publishPublicity(ctx, staffActor(c.get('staff')), c.req.valid('param').number)),
        ),
        200,
      ),
    )
    .openapi(routes.cancel, async (c) =>
      c.json(
        toDto(
          await tx((ctx) => cancelPublicity(ctx, staffActor(c.get('staff')), c.req.valid('param').number)),
        ),
        200,
      ),
    )
    .openapi(routes.get, async (c) =>
      c.json(toDto(await visible(c.get('staff'), c.req.valid('param').number)), 200),
    )
    .openapi(routes.feedback, async (c) => {
      const viewer = c.get('staff')
      const p = await visible(viewer, c.req.valid('param').number)
      const rows = await listFeedback(db, viewer, p.id)
      if (c.req.valid('query').format === 'csv') {
        // The same file as /exports/feedback.csv (property staff get no 居民 column).
        const file = await feedbackExport(db, { kind: 'staff', staff: viewer, via: 'api' }, p.number)
        return c.text(toCsv(file.table), 200, downloadHeaders(file.name, 'csv', file.asciiName))
      }
      return c.json({ items: rows.map((r) => ({ ...r, at: r.at.toISOString() })) }, 200)
    })
}
