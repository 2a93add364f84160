import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Deps } from '../../core/shared/deps'
import { getStats } from '../../core/stats/stats'
import { projectStages } from '../../db/schema'
import type { ApiEnv } from '../auth'
import { errorResponses } from '../errors'
import { IdFromString } from './common.schemas'

const tags = ['统计 statistics']
const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })

const yearMessage = '应为 2000 到 2100 之间的整数年份，如 2026'

export const StatsQuery = z.object({
  year: z.coerce
    .number({ error: yearMessage })
    .int(yearMessage)
    .min(2000, yearMessage)
    .max(2100, yearMessage)
    .openapi({ param: { name: 'year', in: 'query' }, example: 2026, description: '上海时间的自然年' }),
  districtId: IdFromString.optional().openapi({
    param: { name: 'districtId', in: 'query' },
    description: '区的编号；不填则为您的管辖范围',
  }),
  streetId: IdFromString.optional().openapi({
    param: { name: 'streetId', in: 'query' },
    description: '街道的编号（优先于 districtId）',
  }),
})

const rate = z
  .number()
  .min(0)
  .nullable()
  .openapi({ description: '0..1, four decimals; null without a denominator' })
const yuan = z.string().openapi({ description: '元, two decimals, exact', example: '1234567.89' })
const count = z.number().int().min(0)

export const StatsSchema = z
  .object({
    year: z.number().int(),
    scope: z.object({
      path: z.string().nullable().openapi({ description: 'null is the whole city' }),
      name: z.string(),
    }),
    projects: z.object({
      total: count,
      started: count,
      completed: count,
      targets: z.object({ started: count, completed: count, investmentYuan: z.string() }).nullable().openapi({
        description:
          "The year's targets as stored in the database (settings `year_targets`, edited in /console/settings), else from YEAR_TARGETS; null when none are set",
      }),
      startedRate: rate.openapi({ description: 'started / targets.started (may exceed 1)' }),
      completedRate: rate.openapi({ description: 'completed / targets.completed (may exceed 1)' }),
      investment: z.object({ plannedYuan: yuan, actualYuan: yuan, targetYuan: yuan.nullable() }),
      byStage: z.record(z.enum(projectStages), count),
    }),
    requests: z.object({
      total: count.openapi({ description: 'Requests filed in the year' }),
      responseRate: rate.openapi({
        description: 'respondedOnTime / responseDue (responded, or the response deadline has passed)',
      }),
      resolutionRate: rate.openapi({
        description: 'resolvedOnTime / resolutionDue (resolved, or the resolution deadline has passed)',
      }),
      satisfactionRate: rate.openapi({ description: 'satisfied / rated' }),
      counts: z.object({
        responded: count,
        respondedOnTime: count,
        responseDue: count,
        resolved: count,
        resolvedOnTime: count,
        resolutionDue: count,
        rated: count,
        satisfied: count,
      }),
      byMonth: z
        .array(
          z.object({
            month: z.number().int().min(1).max(12),
            total: count,
            responseRate: rate,
            resolutionRate: rate,
            satisfactionRate: rate,
            respondedOnTime: count,
            responseDue: count,
            resolvedOnTime: count,
            resolutionDue: count,
            satisfied: count,
            rated: count,
          }),
        )
        .openapi({
          description:
            'The three rates for the requests filed in each Shanghai calendar month, January to December (always 12)',
        }),
    }),
    overdueByOwner: z
      .array(
        z.object({
          ownerKind: z.enum(['staff', 'organisation', 'none']),
          ownerId: z.number().int().nullable(),
          ownerName: z.string().nullable(),
          requests: count,
          tasks: count,
        }),
      )
      .openapi({ description: 'Open requests and tasks past their deadline now, of any year; most first' }),
    xiaoqu: z.object({
      total: count,
      withOwnersOrganisation: count,
      ownersOrganisationRate: rate,
      withPropertyManagement: count,
      propertyManagementRate: rate,
    }),
    byArea: z
      .array(
        z.object({
          id: z.number().int(),
          kind: z.enum(['district', 'street', 'community', 'xiaoqu']),
          name: z.string(),
          path: z.string(),
          projects: z.object({ total: count, started: count, completed: count }),
          xiaoqu: z.object({
            total: count,
            withOwnersOrganisation: count,
            ownersOrganisationRate: rate,
            withPropertyManagement: count,
            propertyManagementRate: rate,
          }),
        }),
      )
      .openapi({
        description:
          "The scope split by its child areas: the city by district, a district by street, a street by community, a community by xiaoqu (empty for a xiaoqu); each with the year's projects and its xiaoqu coverage",
      }),
  })
  .openapi('Stats')

const getStatsRoute = createRoute({
  method: 'get',
  path: '/stats',
  tags,
  security,
  summary:
    "A year's figures for an area: projects against the year's targets, request rates, overdue items by owner, xiaoqu coverage",
  request: { query: StatsQuery },
  responses: {
    200: { description: 'The figures', ...json(StatsSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
})

export function registerStatsRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  return app.openapi(getStatsRoute, async (c) =>
    c.json(await getStats(deps, c.get('staff'), c.req.valid('query')), 200),
  )
}
