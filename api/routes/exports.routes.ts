import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import {
  ballotsExport,
  type Export,
  feedbackExport,
  requestsExport,
  tasksExport,
} from '../../core/data/exports'
import { downloadHeaders, type SheetFormat, writeTable } from '../../core/data/spreadsheet'
import type { Deps } from '../../core/shared/deps'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { IdFromString } from './common.schemas'
import { ListQuery } from './requests.schemas'

const security = [{ Bearer: [] }]
const tags = ['导出 exports']
const formats = ['csv', 'xlsx'] as const

const fileResponse = (format: SheetFormat) =>
  format === 'csv'
    ? {
        description: 'CSV (UTF-8 with BOM, for Excel; cells starting with = + - @ get a leading apostrophe)',
        content: { 'text/csv': { schema: z.string() } },
      }
    : {
        description: 'XLSX, one sheet (cells starting with = + - @ get a leading apostrophe)',
        content: {
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
            schema: z.string().openapi({ format: 'binary' }),
          },
        },
      }

const DateQuery = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, '日期形如 2026-03-01')
  .optional()
  .openapi({ example: '2026-03-01' })

const RequestsQuery = ListQuery.pick({ status: true, category: true, xiaoquId: true, overdue: true }).extend({
  from: DateQuery.openapi({ description: 'Filed on or after this Shanghai date' }),
  to: DateQuery.openapi({ description: 'Filed on or before this Shanghai date' }),
})
const TasksQuery = z.object({
  status: z.enum(['open', 'done', 'cancelled']).optional(),
  xiaoquId: IdFromString.optional(),
})
const FeedbackQuery = z.object({
  publicity: z
    .string()
    .regex(/^[Gg]\d{1,9}$/, '公示编号形如 G12')
    .openapi({ example: 'G12', description: 'The design publicity' }),
})
const BallotsQuery = z.object({
  campaign: z
    .string()
    .regex(/^[Zz]\d{1,9}$/, '征询编号形如 Z7')
    .openapi({ example: 'Z7', description: 'The consent campaign' }),
})

type Query = typeof RequestsQuery | typeof TasksQuery | typeof FeedbackQuery | typeof BallotsQuery

const route = (name: string, format: SheetFormat, query: Query, summary: string) =>
  createRoute({
    method: 'get',
    path: `/exports/${name}.${format}`,
    tags,
    security,
    summary,
    request: { query },
    responses: { 200: fileResponse(format), ...errorResponses(400, 401, 403, 404) },
  })

/** A download of one export: its rows in the asked format, under its Chinese file name (RFC 5987). */
export async function sendExport(c: Context, made: Export, format: SheetFormat) {
  const bytes = await writeTable(made.table, format, made.sheet)
  return c.body(new Uint8Array(bytes), 200, downloadHeaders(made.name, format, made.asciiName))
}

/**
 * Exports of requests, tasks, design-publicity feedback and ballots, as CSV and XLSX: the rows come from
 * core/data/exports.ts, which the console's 导入导出 page calls too.
 */
export function registerExportRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db, clock } = deps
  for (const format of formats) {
    app.openapi(
      route(
        'requests',
        format,
        RequestsQuery,
        'Requests in your scope (same filters as the list, and a date range); phones in full only on requests you hold, or for admins; newest first',
      ),
      async (c) => {
        const q = c.req.valid('query') as z.output<typeof RequestsQuery>
        return sendExport(c, await requestsExport(db, c.get('staff'), q, clock.now()), format)
      },
    )
    app.openapi(route('tasks', format, TasksQuery, 'Tasks in your scope, earliest due first'), async (c) => {
      const q = c.req.valid('query') as z.output<typeof TasksQuery>
      return sendExport(c, await tasksExport(db, c.get('staff'), q, clock.now()), format)
    })
    app.openapi(
      route(
        'feedback',
        format,
        FeedbackQuery,
        "A design publicity's feedback in your scope; property staff get no residents' names",
      ),
      async (c) => {
        const { publicity } = c.req.valid('query') as z.output<typeof FeedbackQuery>
        return sendExport(c, await feedbackExport(db, staffActor(c.get('staff')), publicity), format)
      },
    )
    app.openapi(
      route(
        'ballots',
        format,
        BallotsQuery,
        "A campaign's ballots (no names); the CSV is byte for byte /campaigns/{number}/ballots.csv, whose SHA-256 is the published digest",
      ),
      async (c) => {
        const { campaign } = c.req.valid('query') as z.output<typeof BallotsQuery>
        const made = await ballotsExport(db, staffActor(c.get('staff')), campaign)
        if (format === 'csv') return c.body(made.csv, 200, downloadHeaders(made.name, 'csv', made.asciiName))
        return sendExport(c, made, format)
      },
    )
  }
  return app
}
