import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { listXiaoqu } from '../../core/areas/areas.usecases'
import { householdsTemplate, importHouseholdRecords, previewHouseholds } from '../../core/consent/households'
import {
  ballotsExport,
  dateParam,
  type Export,
  exportChoices,
  feedbackExport,
  requestsExport,
  tasksExport,
} from '../../core/data/exports'
import { createPendingUploads } from '../../core/data/pending'
import { downloadHeaders, readUpload, type SheetFormat, writeTable } from '../../core/data/spreadsheet'
import { importXiaoqu, previewXiaoquImport, xiaoquTemplate } from '../../core/data/xiaoqu-import'
import { assertRole, type StaffRole } from '../../core/shared/actor'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { type RequestStatus, requestStatuses } from '../../db/schema'
import { sendExport } from '../routes/exports.routes'
import { DataPage, dataHref, HouseholdsPreviewPage, XiaoquPreviewPage } from './data.page'
import { actorOf, type C, type ConsoleKit, noticeReader, render, statusOf, viewerOf } from './kit'
import type { ConsoleEnv } from './session'

/** Who uses this page (the menu's roles; admins always pass); xiaoqu are created by officers only. */
const officeRoles: readonly StaffRole[] = ['officer', 'community_worker']
const xiaoquRoles: readonly StaffRole[] = ['officer']

const noticeOf = noticeReader({
  households: '房屋已全部导入。',
  xiaoqu: '小区已全部导入。',
})

/** An upload kept between its preview and its confirmation. */
interface Pending {
  xiaoquId?: number
  fileName: string
  records: string[][]
  lines?: number[]
}

const expired = () => invalid('import.expired', '这次预览已过期或已经导入，请重新上传文件。')

function formatParam(raw: string | undefined): SheetFormat {
  if (raw === undefined || raw === '' || raw === 'xlsx') return 'xlsx'
  if (raw === 'csv') return 'csv'
  throw invalid('exports.bad_format', '导出格式应为 Excel（xlsx）或 CSV。')
}

function idParam(raw: string | undefined, message: string) {
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{1,9}$/.test(raw)) throw invalid('console.bad_id', message)
  return Number(raw)
}

const templates: Record<string, { table: typeof householdsTemplate; name: string; ascii: string }> = {
  households: { table: householdsTemplate, name: '房屋导入模板', ascii: 'households-template' },
  xiaoqu: { table: xiaoquTemplate, name: '小区导入模板', ascii: 'xiaoqu-template' },
}

/** 导入导出: households and xiaoqu imports (CSV and XLSX) with a preview, and the exports. */
export function registerDataPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps
  const pending = createPendingUploads<Pending>({ clock })

  const office = (c: C) => assertRole(c.get('staff'), officeRoles)
  const mayImportXiaoqu = (c: C) =>
    c.get('staff').role === 'admin' || xiaoquRoles.includes(c.get('staff').role)

  const dataPage = async (
    c: C,
    options: { error?: string; notice?: string; status?: ContentfulStatusCode; xiaoquId?: number } = {},
  ) => {
    office(c)
    const scope = c.get('staff').scopePath
    const [places, choices] = await Promise.all([listXiaoqu(db, scope), exportChoices(db, scope)])
    return render(
      c,
      <DataPage
        viewer={viewerOf(c)}
        places={places}
        choices={choices}
        canImportXiaoqu={mayImportXiaoqu(c)}
        xiaoquId={options.xiaoquId}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )
  }

  app.get('/data', (c) => dataPage(c, { notice: noticeOf(c) }))

  app.get('/data/templates/:file', async (c) => {
    office(c)
    const match = /^(households|xiaoqu)\.(csv|xlsx)$/.exec(c.req.param('file'))
    if (!match) throw notFound('console.no_template', '没有这个模板。')
    const template = templates[match[1]!]!
    const format = match[2] as SheetFormat
    const bytes = await writeTable(template.table, format, template.name)
    return c.body(new Uint8Array(bytes), 200, downloadHeaders(template.name, format, template.ascii))
  })

  /** The uploaded file's records; an unreadable one is a 400 saying what to do. */
  const readFile = async (c: C) => {
    const body = await c.req.parseBody()
    const file = body.file
    if (!(file instanceof File) || file.size === 0) {
      throw invalid('import.no_file', '请选择要上传的 CSV 或 Excel（.xlsx）文件。')
    }
    const fileName = file.name.slice(0, 100) || '未命名文件'
    const read = await readUpload(
      { name: fileName, bytes: new Uint8Array(await file.arrayBuffer()) },
      'households.bad_csv',
    )
    // What the upload holds in memory while it waits for its confirmation.
    const chars = read.records.reduce((sum, r) => r.reduce((n, cell) => n + cell.length + 1, sum), 0)
    return { body, fileName, records: read.records, lines: read.lines, chars }
  }

  // ------------------------------------------------------------------------------------------------------
  // Households

  app.post('/data/households/upload', async (c) => {
    office(c)
    let xiaoquId: number | undefined
    try {
      const { body, fileName, records, lines, chars } = await readFile(c)
      xiaoquId = idParam(typeof body.xiaoquId === 'string' ? body.xiaoquId : undefined, '请选择小区。')
      if (!xiaoquId) throw invalid('console.xiaoqu_required', '请选择要导入到哪个小区。')
      const preview = await previewHouseholds(db, actorOf(c), xiaoquId, records, lines)
      const token =
        preview.rejected.length === 0
          ? pending.put(c.get('staff').id, 'households', { xiaoquId, fileName, records, lines }, chars)
          : undefined
      return render(
        c,
        <HouseholdsPreviewPage
          viewer={viewerOf(c)}
          xiaoquName={preview.place.name}
          fileName={fileName}
          rows={preview.rows}
          added={preview.added}
          updated={preview.updated}
          rejected={preview.rejected}
          token={token}
        />,
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return dataPage(c, { error: error.message, status: statusOf(error), xiaoquId })
    }
  })

  app.post('/data/households/confirm', async (c) => {
    office(c)
    const body = await c.req.parseBody()
    const token = typeof body.token === 'string' ? body.token : ''
    try {
      const upload = pending.get(c.get('staff').id, 'households', token)
      if (!upload?.xiaoquId) throw expired()
      const { xiaoquId, records, lines } = upload
      await mutate((ctx) => importHouseholdRecords(ctx, actorOf(c), xiaoquId, records, lines))
      pending.delete(token)
    } catch (error) {
      if (!isAppError(error)) throw error
      return dataPage(c, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${dataHref}?ok=households`, 303)
  })

  // ------------------------------------------------------------------------------------------------------
  // Xiaoqu

  app.post('/data/xiaoqu/upload', async (c) => {
    office(c)
    try {
      assertRole(c.get('staff'), xiaoquRoles)
      const { fileName, records, lines, chars } = await readFile(c)
      const preview = await previewXiaoquImport(db, clock, actorOf(c), records, lines)
      const token =
        preview.rejected.length === 0
          ? pending.put(c.get('staff').id, 'xiaoqu', { fileName, records, lines }, chars)
          : undefined
      return render(
        c,
        <XiaoquPreviewPage
          viewer={viewerOf(c)}
          fileName={fileName}
          rows={preview.rows}
          rejected={preview.rejected}
          token={token}
        />,
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return dataPage(c, { error: error.message, status: statusOf(error) })
    }
  })

  app.post('/data/xiaoqu/confirm', async (c) => {
    office(c)
    const body = await c.req.parseBody()
    const token = typeof body.token === 'string' ? body.token : ''
    try {
      assertRole(c.get('staff'), xiaoquRoles)
      const upload = pending.get(c.get('staff').id, 'xiaoqu', token)
      if (!upload) throw expired()
      await mutate((ctx) => importXiaoqu(ctx, actorOf(c), upload.records, upload.lines))
      pending.delete(token)
    } catch (error) {
      if (!isAppError(error)) throw error
      return dataPage(c, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${dataHref}?ok=xiaoqu`, 303)
  })

  // ------------------------------------------------------------------------------------------------------
  // Exports: the same rows as the API's /exports/* (core/data/exports.ts)

  app.get('/data/exports/:kind', async (c) => {
    office(c)
    const staff = c.get('staff')
    const format = formatParam(c.req.query('format'))
    type TaskStatus = 'open' | 'done' | 'cancelled'
    const xiaoquId = idParam(c.req.query('xiaoquId'), '请从列表中选择小区。')
    let made: Export
    switch (c.req.param('kind')) {
      case 'requests': {
        const status = c.req.query('status') || undefined
        if (status && !requestStatuses.includes(status as RequestStatus)) {
          throw invalid('exports.bad_status', '请从列表中选择诉求状态。')
        }
        made = await requestsExport(
          db,
          staff,
          {
            status: status as RequestStatus | undefined,
            xiaoquId,
            from: dateParam(c.req.query('from'), '开始日期'),
            to: dateParam(c.req.query('to'), '结束日期'),
          },
          clock.now(),
        )
        break
      }
      case 'tasks': {
        const status = c.req.query('status') || undefined
        if (status && status !== 'open' && status !== 'done' && status !== 'cancelled') {
          throw invalid('exports.bad_status', '请从列表中选择任务状态。')
        }
        made = await tasksExport(
          db,
          staff,
          { status: status as TaskStatus | undefined, xiaoquId },
          clock.now(),
        )
        break
      }
      case 'feedback':
        made = await feedbackExport(db, actorOf(c), numberParam(c.req.query('publicity'), 'G', '公示'))
        break
      case 'ballots': {
        const ballots = await ballotsExport(db, actorOf(c), numberParam(c.req.query('campaign'), 'Z', '征询'))
        if (format === 'csv') {
          return c.body(ballots.csv, 200, downloadHeaders(ballots.name, 'csv', ballots.asciiName))
        }
        made = ballots
        break
      }
      default:
        throw notFound('console.no_export', '没有这种导出。')
    }
    return sendExport(c, made, format)
  })
}

function numberParam(raw: string | undefined, prefix: 'G' | 'Z', label: string) {
  const match = new RegExp(`^[${prefix}${prefix.toLowerCase()}](\\d{1,9})$`).exec(raw?.trim() ?? '')
  if (!match) throw invalid('exports.bad_number', `请选择${label}（编号形如 ${prefix}12）。`)
  return `${prefix}${match[1]}`
}
