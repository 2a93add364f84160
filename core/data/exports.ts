import { parse } from 'csv-parse/sync'
import { and, asc, desc, eq, gte, like, lt, not, or, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import {
  campaigns,
  organisations,
  publicities,
  requests,
  residents,
  staff,
  tasks,
  xiaoqu,
} from '../../db/schema'
import { getXiaoquForStaff } from '../areas/areas.usecases'
import { exportBallots } from '../consent/campaigns'
import { findPublicity, listFeedback, seesFeedbackNames } from '../notices/publicity.usecases'
import { statusNames } from '../requests/requests.messages'
import { overdueCondition, type RequestRow } from '../requests/requests.repository'
import { phoneFor } from '../requests/requests.usecases'
import type { Actor, StaffRow } from '../shared/actor'
import { invalid } from '../shared/errors'
import { formatShanghaiFull } from '../shared/time'
import { fromShanghai, shanghaiDate } from '../sla/calendar'
import { taskStatusNames } from '../tasks/tasks.usecases'
import type { Table } from './spreadsheet'

type StaffActor = Actor & { kind: 'staff' }

/** An export is a report, not a backup: this many rows at most, newest first. */
export const maxExportRows = 50_000

/** What one export is: its rows, the Chinese file name people see and an ASCII one for old clients. */
export interface Export {
  table: Table
  name: string
  asciiName: string
  sheet: string
}

export interface RequestExportFilters {
  status?: RequestRow['status']
  category?: string
  xiaoquId?: number
  overdue?: boolean
  /** Filed on or after this Shanghai date (YYYY-MM-DD). */
  from?: string
  /** Filed on or before this Shanghai date. */
  to?: string
}

/** A YYYY-MM-DD that is a real date, or a 400 saying how to write it. */
export function dateParam(raw: string | undefined, label: string) {
  if (raw === undefined || raw === '') return undefined
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(raw) && shanghaiDate(fromShanghai(raw)) === raw
  if (!ok) throw invalid('exports.bad_date', `${label}应为日期，如 2026-03-01。`)
  return raw
}

const dayAfter = (date: string) => new Date(fromShanghai(date).getTime() + 86_400_000)

/**
 * Requests the viewer may see, as the API and the console export them: property staff only those they
 * hold, others their scope's; phones in full only where phoneFor allows (the holder, admins), else masked.
 */
export async function requestsExport(
  db: DbOrTx,
  viewer: StaffRow,
  f: RequestExportFilters,
  now: Date,
): Promise<Export> {
  const from = dateParam(f.from, '开始日期')
  const to = dateParam(f.to, '结束日期')
  if (from && to && from > to) throw invalid('exports.bad_range', '开始日期不能晚于结束日期。')
  const rows = await db
    .select({ request: requests, xiaoquName: xiaoqu.name, authorName: residents.name })
    .from(requests)
    .leftJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .leftJoin(residents, eq(residents.id, requests.residentId))
    .where(
      and(
        viewer.role === 'property_staff'
          ? eq(requests.assigneeStaffId, viewer.id)
          : viewer.scopePath
            ? like(xiaoqu.path, `${viewer.scopePath}%`)
            : undefined,
        f.status ? eq(requests.status, f.status) : undefined,
        f.category ? eq(requests.category, f.category) : undefined,
        f.xiaoquId ? eq(requests.xiaoquId, f.xiaoquId) : undefined,
        f.overdue === true
          ? overdueCondition(now)
          : f.overdue === false
            ? not(overdueCondition(now)!)
            : undefined,
        from ? gte(requests.createdAt, fromShanghai(from)) : undefined,
        to ? lt(requests.createdAt, dayAfter(to)) : undefined,
      ),
    )
    .orderBy(desc(requests.id))
    .limit(maxExportRows)
  const day = shanghaiDate(now)
  return {
    name: `诉求-${day}`,
    asciiName: `requests-${day}`,
    sheet: '诉求',
    table: {
      header: [
        '编号',
        '小区',
        '分类',
        '菜单项',
        '紧急',
        '状态',
        '内容',
        '居民',
        '联系电话',
        '响应时限',
        '办结时限',
        '受理时间',
        '办结时间',
        '评价',
        '同求（人）',
        '居民催办（次）',
        '提交时间',
      ],
      rows: rows.map(({ request: r, xiaoquName, authorName }) => [
        r.number,
        xiaoquName,
        r.category,
        r.menuItem,
        r.urgency === 'urgent' ? '是' : '否',
        statusNames[r.status],
        r.text,
        authorName,
        phoneFor(viewer, r),
        formatShanghaiFull(r.responseDueAt),
        formatShanghaiFull(r.resolutionDueAt),
        r.respondedAt ? formatShanghaiFull(r.respondedAt) : '',
        r.resolvedAt ? formatShanghaiFull(r.resolvedAt) : '',
        r.rating === 'satisfied' ? '满意' : r.rating === 'unsatisfied' ? '不满意' : '',
        r.supportCount,
        r.urgeCount,
        formatShanghaiFull(r.createdAt),
      ]),
    },
  }
}

/** Tasks the viewer may see (property staff: their own or their organisation's), earliest due first. */
export async function tasksExport(
  db: DbOrTx,
  viewer: StaffRow,
  f: { status?: 'open' | 'done' | 'cancelled'; xiaoquId?: number },
  now: Date,
): Promise<Export> {
  const mine: SQL | undefined =
    viewer.role === 'property_staff'
      ? or(
          eq(tasks.ownerStaffId, viewer.id),
          viewer.organisationId ? eq(tasks.ownerOrgId, viewer.organisationId) : undefined,
        )
      : viewer.scopePath
        ? like(xiaoqu.path, `${viewer.scopePath}%`)
        : undefined
  const rows = await db
    .select({ task: tasks, xiaoquName: xiaoqu.name, ownerName: staff.name, orgName: organisations.name })
    .from(tasks)
    .innerJoin(xiaoqu, eq(xiaoqu.id, tasks.xiaoquId))
    .leftJoin(staff, eq(staff.id, tasks.ownerStaffId))
    .leftJoin(organisations, eq(organisations.id, tasks.ownerOrgId))
    .where(
      and(
        mine,
        f.status ? eq(tasks.status, f.status) : undefined,
        f.xiaoquId ? eq(tasks.xiaoquId, f.xiaoquId) : undefined,
      ),
    )
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(maxExportRows)
  const day = shanghaiDate(now)
  return {
    name: `任务-${day}`,
    asciiName: `tasks-${day}`,
    sheet: '任务',
    table: {
      header: ['编号', '小区', '任务', '阶段', '负责', '完成时限', '状态', '超时', '完成时间', '完成情况'],
      rows: rows.map(({ task: t, xiaoquName, ownerName, orgName }) => [
        t.number,
        xiaoquName,
        t.title,
        t.stage,
        ownerName ?? orgName,
        formatShanghaiFull(t.dueAt),
        taskStatusNames[t.status],
        t.status === 'open' && t.dueAt < now ? '是' : '',
        t.completedAt ? formatShanghaiFull(t.completedAt) : '',
        t.completionNote,
      ]),
    },
  }
}

/** A design publicity's feedback (设计方案公示意见); property staff get no 居民 column (listFeedback hides names). */
export async function feedbackExport(db: DbOrTx, actor: StaffActor, number: string): Promise<Export> {
  const publicity = await findPublicity(db, number)
  await getXiaoquForStaff(db, actor, publicity.xiaoquId)
  const named = seesFeedbackNames(actor.staff)
  const rows = await listFeedback(db, actor.staff, publicity.id)
  return {
    name: `${publicity.number}-公示意见`,
    asciiName: `${publicity.number}-feedback`,
    sheet: '公示意见',
    table: {
      header: named ? ['序号', '居民', '类别', '意见', '时间'] : ['序号', '类别', '意见', '时间'],
      rows: rows.map((r, i) => [
        i + 1,
        ...(named ? [r.name ?? ''] : []),
        r.category,
        r.text,
        formatShanghaiFull(r.at),
      ]),
    },
  }
}

const ballotHeads: Record<string, string> = {
  ballot: '票号',
  household: '房屋',
  choice: '选择',
  channel: '方式',
  at: '时间（UTC）',
}

/**
 * A campaign's ballots. `csv` is exportBallots' own text, byte for byte (after the close its SHA-256 is the
 * published digest, so it carries no BOM); `table` is the same rows read back, for the XLSX.
 */
export async function ballotsExport(db: DbOrTx, actor: StaffActor, number: string) {
  const { campaign, csv } = await exportBallots(db, actor, number)
  const [header = [], ...rows] = parse(csv, { relax_column_count: true }) as string[][]
  return {
    csv,
    name: `${campaign.number}-选票`,
    asciiName: `${campaign.number}-ballots`,
    sheet: '选票',
    // The CSV defused its cells already; read back, they carry their apostrophe, which the XLSX keeps.
    table: { header: header.map((h) => ballotHeads[h] ?? h), rows },
  } satisfies Export & { csv: string }
}

/** What the console offers to export by number: the scope's latest design publicities and campaigns. */
export async function exportChoices(db: DbOrTx, scopePath: string | null) {
  const inScope = scopePath ? like(xiaoqu.path, `${scopePath}%`) : undefined
  const [publicityRows, campaignRows] = await Promise.all([
    db
      .select({ number: publicities.number, title: publicities.title, xiaoquName: xiaoqu.name })
      .from(publicities)
      .innerJoin(xiaoqu, eq(xiaoqu.id, publicities.xiaoquId))
      .where(inScope)
      .orderBy(desc(publicities.id))
      .limit(100),
    db
      .select({ number: campaigns.number, question: campaigns.question, xiaoquName: xiaoqu.name })
      .from(campaigns)
      .innerJoin(xiaoqu, eq(xiaoqu.id, campaigns.xiaoquId))
      .where(inScope)
      .orderBy(desc(campaigns.id))
      .limit(100),
  ])
  return { publicities: publicityRows, campaigns: campaignRows }
}
