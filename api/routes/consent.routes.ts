import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import {
  type CampaignRow,
  cancelCampaign,
  createCampaign,
  enterBallot,
  exportBallots,
  turnout,
} from '../../core/consent/campaigns'
import { decideClaim, importHouseholds, pendingClaims } from '../../core/consent/households'
import { matterNames } from '../../core/consent/rules'
import type { Deps } from '../../core/shared/deps'
import type { DbOrTx } from '../../db/client'
import { ballotChoices, consentMatters } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorBody, errorResponses } from '../errors'
import { Id, IdFromString } from './common.schemas'

const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const body = <T>(schema: T) => ({ body: { required: true, ...json(schema) } })
const ok = (description: string) => ({ description, ...json(z.unknown()) })
const instantField = z.iso.datetime({
  offset: true,
  message: '应为带时区的时间，如 2026-03-20T18:00:00+08:00',
})
const CampaignNumber = z.object({
  number: z
    .string()
    .regex(/^[Zz]\d{1,9}$/, '征询编号形如 Z7')
    .openapi({ param: { name: 'number', in: 'path' } }),
})
const tags = ['征询表决 consent']

const campaignDto = (c: CampaignRow) => ({
  number: c.number,
  xiaoquId: c.xiaoquId,
  scope: c.scopeName,
  matter: c.matter,
  matterName: matterNames[c.matter],
  localRule: c.localRule,
  rule: c.rule,
  question: c.question,
  projectId: c.projectId,
  opensAt: c.opensAt.toISOString(),
  closesAt: c.closesAt.toISOString(),
  status: c.status,
  result: c.result,
  ballotsDigest: c.ballotsDigest,
})

const routes = {
  importHouseholds: createRoute({
    method: 'post',
    path: '/xiaoqu/{id}/households.csv',
    tags,
    security,
    summary:
      'Import households with exclusive areas and owners from CSV (楼栋,单元,房号,面积,业主,电话); all or nothing, 400 lists every rejected row',
    request: {
      params: z.object({ id: IdFromString.openapi({ param: { name: 'id', in: 'path' } }) }),
      body: { required: true, content: { 'text/csv': { schema: z.string() } } },
    },
    responses: { 200: ok('Imported'), ...errorResponses(400, 401, 403, 404) },
  }),
  claims: createRoute({
    method: 'get',
    path: '/claims',
    tags,
    security,
    summary: "Residents' household claims waiting for verification, with the registered owner to compare",
    responses: { 200: ok('Pending claims'), ...errorResponses(401) },
  }),
  decideClaim: createRoute({
    method: 'post',
    path: '/claims/decide',
    tags,
    security,
    summary: 'Verify or reject a claim (audited); the resident is told privately',
    request: body(
      z.object({
        residentId: Id,
        householdId: Id,
        approve: z.boolean(),
        note: z.string().trim().max(200).optional(),
      }),
    ),
    responses: { 200: ok('Decided'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  createCampaign: createRoute({
    method: 'post',
    path: '/campaigns',
    tags,
    security,
    summary:
      'A consent campaign for a xiaoqu, building or unit; opens and closes on its times, posted to the groups',
    request: body(
      z.object({
        xiaoquId: Id,
        building: z.string().trim().min(1).max(30).optional(),
        unit: z.string().trim().min(1).max(30).optional(),
        matter: z.enum(consentMatters),
        localRule: z.string().trim().min(1).max(30).optional(),
        question: z.string().trim().min(1, '请填写征询事项').max(1000),
        opensAt: instantField,
        closesAt: instantField,
        projectNumber: z
          .string()
          .regex(/^[Pp]\d{1,9}$/, '项目编号形如 P101')
          .optional(),
      }),
    ),
    responses: { 201: ok('Created'), ...errorResponses(400, 401, 403, 404) },
  }),
  getCampaign: createRoute({
    method: 'get',
    path: '/campaigns/{number}',
    tags,
    security,
    summary: 'A campaign with live turnout against the quorum, and households where owners disagree',
    request: { params: CampaignNumber },
    responses: { 200: ok('The campaign'), ...errorResponses(400, 401, 403, 404) },
  }),
  enterBallot: createRoute({
    method: 'post',
    path: '/campaigns/{number}/ballots',
    tags,
    security,
    summary: 'Enter a paper or on-site ballot for a household (the later ballot counts; all are kept)',
    request: {
      params: CampaignNumber,
      ...body(
        z.object({
          building: z.string().trim().min(1).max(30),
          unit: z.string().trim().min(1).max(30),
          room: z.string().trim().min(1).max(30),
          choice: z.enum(ballotChoices),
          channel: z.enum(['paper', 'onsite']),
          note: z.string().trim().max(200).optional(),
        }),
      ),
    },
    responses: { 201: ok('Entered'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  ballotsCsv: createRoute({
    method: 'get',
    path: '/campaigns/{number}/ballots.csv',
    tags,
    security,
    summary: "Every ballot (no names); after the close, this file's SHA-256 equals the published digest",
    request: { params: CampaignNumber },
    responses: {
      200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  cancel: createRoute({
    method: 'post',
    path: '/campaigns/{number}/cancel',
    tags,
    security,
    summary: 'Cancel a campaign that has not closed (audited)',
    request: { params: CampaignNumber },
    responses: { 200: ok('Cancelled'), ...errorResponses(401, 403, 404, 409) },
  }),
}

export function registerConsentRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db } = deps
  const tx = <T>(fn: (ctx: Deps & { db: DbOrTx }) => Promise<T>) =>
    db.transaction((t) => fn({ ...deps, db: t }))
  app.use(
    '/xiaoqu/:id/households.csv',
    bodyLimit({
      maxSize: 5 * 1024 * 1024,
      onError: (c) => c.json(errorBody('households.too_large', 'CSV 文件不能超过 5 MB，请分批导入。'), 413),
    }),
  )
  return app
    .openapi(routes.importHouseholds, async (c) => {
      const csv = await c.req.text()
      const report = await tx((ctx) =>
        importHouseholds(ctx, staffActor(c.get('staff')), c.req.valid('param').id, csv),
      )
      return c.json(report, 200)
    })
    .openapi(routes.claims, async (c) => {
      const rows = await pendingClaims(db, staffActor(c.get('staff')))
      return c.json(
        { items: rows.map(({ xiaoquPath: _, ...r }) => ({ ...r, claimedAt: r.claimedAt.toISOString() })) },
        200,
      )
    })
    .openapi(routes.decideClaim, async (c) => {
      const decided = await tx((ctx) => decideClaim(ctx, staffActor(c.get('staff')), c.req.valid('json')))
      deps.outboxSignal.notify()
      return c.json(decided, 200)
    })
    .openapi(routes.createCampaign, async (c) => {
      const b = c.req.valid('json')
      const campaign = await tx((ctx) =>
        createCampaign(ctx, staffActor(c.get('staff')), {
          ...b,
          opensAt: new Date(b.opensAt),
          closesAt: new Date(b.closesAt),
        }),
      )
      return c.json(campaignDto(campaign), 201)
    })
    .openapi(routes.getCampaign, async (c) => {
      const t = await turnout(db, staffActor(c.get('staff')), c.req.valid('param').number)
      const quorum = t.campaign.rule.quorumArea
      return c.json(
        {
          ...campaignDto(t.campaign),
          households: t.households,
          ballots: t.ballots,
          turnout: t.live,
          quorum: `${quorum.num}/${quorum.den}`,
          conflicts: t.conflicts,
        },
        200,
      )
    })
    .openapi(routes.enterBallot, async (c) => {
      const { number } = c.req.valid('param')
      const ballot = await tx((ctx) =>
        enterBallot(ctx, staffActor(c.get('staff')), number, c.req.valid('json')),
      )
      return c.json({ ...ballot, at: ballot.at.toISOString() }, 201)
    })
    .openapi(routes.ballotsCsv, async (c) => {
      const { campaign, csv } = await exportBallots(
        db,
        staffActor(c.get('staff')),
        c.req.valid('param').number,
      )
      return c.text(csv, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${campaign.number}-ballots.csv"`,
      })
    })
    .openapi(routes.cancel, async (c) => {
      const cancelled = await tx((ctx) =>
        cancelCampaign(ctx, staffActor(c.get('staff')), c.req.valid('param').number),
      )
      deps.outboxSignal.notify()
      return c.json(campaignDto(cancelled), 200)
    })
}
