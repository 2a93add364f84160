import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { getXiaoquForStaff } from '../../core/areas/areas.usecases'
import {
  cancelFeeNotice,
  createFeeNotice,
  type FeeNoticeRow,
  findFeeNotice,
} from '../../core/notices/fee.usecases'
import {
  cancelSchedule,
  createSchedule,
  findSchedule,
  type PhaseRow,
  publishSchedule,
  type ScheduleRow,
  updatePhase,
} from '../../core/notices/schedule.usecases'
import type { Deps } from '../../core/shared/deps'
import type { DbOrTx } from '../../db/client'
import { constructionImpacts } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id } from './common.schemas'

const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const instantField = z.iso.datetime({
  offset: true,
  message: '应为带时区的时间，如 2026-03-02T09:00:00+08:00',
})
const body = <T>(schema: T) => ({ body: { required: true, ...json(schema) } })

const PhaseBody = z.object({
  name: z.string().trim().min(1).max(50),
  buildings: z.array(z.string().trim().min(1).max(30)).min(1, '请列出受影响的楼栋').max(100),
  impacts: z.array(z.enum(constructionImpacts)).max(6).default([]),
  startsAt: instantField,
  endsAt: instantField,
  note: z.string().max(200).optional(),
})

const scheduleDto = (s: ScheduleRow, phases: PhaseRow[]) => ({
  number: s.number,
  xiaoquId: s.xiaoquId,
  title: s.title,
  status: s.status,
  publishedAt: s.publishedAt?.toISOString() ?? null,
  phases: phases.map((p) => ({
    seq: p.seq,
    name: p.name,
    buildingIds: p.buildingIds,
    impacts: p.impacts,
    startsAt: p.startsAt.toISOString(),
    endsAt: p.endsAt.toISOString(),
    note: p.note,
  })),
})

const feeDto = (f: FeeNoticeRow) => ({
  number: f.number,
  xiaoquId: f.xiaoquId,
  period: f.period,
  standardYuanPerM2Month: f.standardFen / 100,
  deadline: f.deadline.toISOString(),
  howToPay: f.howToPay,
  contact: f.contact,
  status: f.status,
  publishAt: f.publishAt.toISOString(),
  publishedAt: f.publishedAt?.toISOString() ?? null,
})

const ScheduleNumber = z.object({
  number: z
    .string()
    .regex(/^[Ss]\d{1,9}$/, '施工计划编号形如 S3')
    .openapi({ param: { name: 'number', in: 'path' } }),
})
const FeeNumber = z.object({
  number: z
    .string()
    .regex(/^[Ff]\d{1,9}$/, '缴费通知编号形如 F2')
    .openapi({ param: { name: 'number', in: 'path' } }),
})

const tags = ['施工计划与物业费 schedules & fees']
const routes = {
  createSchedule: createRoute({
    method: 'post',
    path: '/schedules',
    tags,
    security,
    summary: 'Create a construction schedule in phases (a draft until published)',
    request: body(
      z.object({
        xiaoquId: Id,
        title: z.string().trim().min(1).max(100),
        phases: z.array(PhaseBody).min(1).max(50),
      }),
    ),
    responses: {
      201: { description: 'Created', ...json(z.unknown()) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  getSchedule: createRoute({
    method: 'get',
    path: '/schedules/{number}',
    tags,
    security,
    summary: 'A construction schedule with its phases',
    request: { params: ScheduleNumber },
    responses: {
      200: { description: 'The schedule', ...json(z.unknown()) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  publishSchedule: createRoute({
    method: 'post',
    path: '/schedules/{number}/publish',
    tags,
    security,
    summary:
      "Post the plan to the xiaoqu's groups now or at publishAt; each phase is reminded the evening before",
    request: {
      params: ScheduleNumber,
      body: { required: false, ...json(z.object({ publishAt: instantField.optional() })) },
    },
    responses: {
      200: { description: 'Published', ...json(z.unknown()) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  cancelSchedule: createRoute({
    method: 'post',
    path: '/schedules/{number}/cancel',
    tags,
    security,
    summary: 'Cancel a schedule: what has not gone out, and every reminder, stops',
    request: { params: ScheduleNumber },
    responses: {
      200: { description: 'Cancelled', ...json(z.unknown()) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
  updatePhase: createRoute({
    method: 'patch',
    path: '/schedules/{number}/phases/{seq}',
    tags,
    security,
    summary: 'Move or edit a phase; once published, residents get a change notice',
    request: {
      params: ScheduleNumber.extend({
        seq: z.coerce
          .number()
          .int()
          .min(1)
          .max(50)
          .openapi({ param: { name: 'seq', in: 'path' } }),
      }),
      ...body(PhaseBody.pick({ name: true, startsAt: true, endsAt: true, note: true }).partial()),
    },
    responses: {
      200: { description: 'Updated', ...json(z.unknown()) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  createFee: createRoute({
    method: 'post',
    path: '/fees',
    tags,
    security,
    summary:
      'A property fee notice (property staff for the xiaoqu they serve); reminders before the deadline',
    request: body(
      z.object({
        xiaoquId: Id,
        period: z.string().trim().min(1).max(50),
        standardYuanPerM2Month: z.number().positive().max(1_000).multipleOf(0.01, '收费标准最多两位小数'),
        deadline: instantField,
        howToPay: z.string().trim().min(1).max(300),
        contact: z.string().trim().min(1).max(100),
        publishAt: instantField.optional(),
      }),
    ),
    responses: {
      201: { description: 'Published or scheduled', ...json(z.unknown()) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  getFee: createRoute({
    method: 'get',
    path: '/fees/{number}',
    tags,
    security,
    summary: 'A fee notice',
    request: { params: FeeNumber },
    responses: {
      200: { description: 'The notice', ...json(z.unknown()) },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  cancelFee: createRoute({
    method: 'post',
    path: '/fees/{number}/cancel',
    tags,
    security,
    summary: 'Stop a fee notice and its reminders',
    request: { params: FeeNumber },
    responses: {
      200: { description: 'Cancelled', ...json(z.unknown()) },
      ...errorResponses(401, 403, 404, 409),
    },
  }),
}

export function registerScheduleRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db } = deps
  const tx = <T>(work: (ctx: Omit<Deps, 'db'> & { db: DbOrTx }) => Promise<T>) =>
    db.transaction((t) => work({ ...deps, db: t }))
  const dates = <T extends { startsAt?: string; endsAt?: string }>(p: T) => ({
    ...p,
    startsAt: p.startsAt ? new Date(p.startsAt) : undefined,
    endsAt: p.endsAt ? new Date(p.endsAt) : undefined,
  })
  const showSchedule = async (staff: ApiEnv['Variables']['staff'], number: string) => {
    const { schedule, phases } = await findSchedule(db, number)
    await getXiaoquForStaff(db, staffActor(staff), schedule.xiaoquId)
    return scheduleDto(schedule, phases)
  }
  return app
    .openapi(routes.createSchedule, async (c) => {
      const b = c.req.valid('json')
      const phases = b.phases.map((p) => ({
        ...p,
        startsAt: new Date(p.startsAt),
        endsAt: new Date(p.endsAt),
      }))
      const schedule = await tx((ctx) => createSchedule(ctx, staffActor(c.get('staff')), { ...b, phases }))
      return c.json(await showSchedule(c.get('staff'), schedule.number), 201)
    })
    .openapi(routes.getSchedule, async (c) =>
      c.json(await showSchedule(c.get('staff'), c.req.valid('param').number), 200),
    )
    .openapi(routes.publishSchedule, async (c) => {
      const publishAt = c.req.valid('json')?.publishAt
      const schedule = await tx((ctx) =>
        publishSchedule(
          ctx,
          staffActor(c.get('staff')),
          c.req.valid('param').number,
          publishAt ? new Date(publishAt) : undefined,
        ),
      )
      deps.outboxSignal.notify()
      return c.json(await showSchedule(c.get('staff'), schedule.number), 200)
    })
    .openapi(routes.cancelSchedule, async (c) => {
      const schedule = await tx((ctx) =>
        cancelSchedule(ctx, staffActor(c.get('staff')), c.req.valid('param').number),
      )
      return c.json(await showSchedule(c.get('staff'), schedule.number), 200)
    })
    .openapi(routes.updatePhase, async (c) => {
      const { number, seq } = c.req.valid('param')
      await tx((ctx) => updatePhase(ctx, staffActor(c.get('staff')), number, seq, dates(c.req.valid('json'))))
      deps.outboxSignal.notify()
      return c.json(await showSchedule(c.get('staff'), number), 200)
    })
    .openapi(routes.createFee, async (c) => {
      const b = c.req.valid('json')
      const fee = await tx((ctx) =>
        createFeeNotice(ctx, staffActor(c.get('staff')), {
          xiaoquId: b.xiaoquId,
          period: b.period,
          standardFen: Math.round(b.standardYuanPerM2Month * 100),
          deadline: new Date(b.deadline),
          howToPay: b.howToPay,
          contact: b.contact,
          publishAt: b.publishAt ? new Date(b.publishAt) : undefined,
        }),
      )
      deps.outboxSignal.notify()
      return c.json(feeDto(fee), 201)
    })
    .openapi(routes.getFee, async (c) => {
      const fee = await findFeeNotice(db, c.req.valid('param').number)
      await getXiaoquForStaff(db, staffActor(c.get('staff')), fee.xiaoquId)
      return c.json(feeDto(fee), 200)
    })
    .openapi(routes.cancelFee, async (c) =>
      c.json(
        feeDto(
          await tx((ctx) => cancelFeeNotice(ctx, staffActor(c.get('staff')), c.req.valid('param').number)),
        ),
        200,
      ),
    )
}
