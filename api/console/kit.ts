import { inArray } from 'drizzle-orm'
import type { Context } from 'hono'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { requestNotFound } from '../../core/requests/requests.errors'
import type { Actor } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { type AppError, invalid, notFound } from '../../core/shared/errors'
import { fromShanghai, shanghaiDate, shanghaiParts } from '../../core/sla/calendar'
import type { DbOrTx } from '../../db/client'
import { projects } from '../../db/schema'
import type { Viewer } from './layout'
import type { ConsoleEnv } from './session'

// What the console's routes share: how a page is sent, who is looking, how a form field is read.

export type Page = HtmlEscapedString | Promise<HtmlEscapedString>
export type C = Context<ConsoleEnv>
export type Ctx = Omit<Deps, 'db'> & { db: DbOrTx }
export type StaffActor = Actor & { kind: 'staff' }

export const render = async (c: Context, page: Page, status: ContentfulStatusCode = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status)

export const viewerOf = (c: C): Viewer => ({
  staff: c.get('staff'),
  csrf: c.get('csrf'),
  bot: c.get('bot'),
  calendarMissing: c.get('calendarMissing'),
})
export const actorOf = (c: C): StaffActor => ({ kind: 'staff', staff: c.get('staff'), via: 'console' })
export const statusOf = (error: AppError) => error.status as ContentfulStatusCode

/** Fixed confirmations after a POST/redirect/GET, by code: nothing from the query string is shown as is. */
export const noticeReader =
  (notices: Record<string, string>) =>
  (c: C): string | undefined =>
    notices[c.req.query('ok') ?? ''] ?? undefined

/** A trimmed form field, undefined when missing or blank; too long is a 400 naming the field. */
export function field(body: Record<string, unknown>, name: string, max: number, label: string) {
  const value = body[name]
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  if (trimmed.length > max) throw invalid('console.too_long', `${label}不超过 ${max} 字。`)
  return trimmed || undefined
}

/** What the console's router lends each area's pages: its dependencies and how it runs a change. */
export interface ConsoleKit {
  deps: Deps
  /** Runs a change in one transaction, then wakes the outbox sender. */
  mutate: <T>(work: (ctx: Ctx) => Promise<T>) => Promise<T>
}

export function requestNumber(raw: string) {
  const match = /^[Qq]?(\d{1,9})$/.exec(raw)
  if (!match) throw requestNotFound(raw.slice(0, 20))
  return `Q${match[1]}`
}

export function taskNumber(raw: string) {
  const match = /^[Tt](\d{1,9})$/.exec(raw)
  if (!match) throw notFound('tasks.not_found', `没有找到任务 ${raw.slice(0, 20)}，请核对编号（如 T12）。`)
  return `T${match[1]}`
}

export function yearParam(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const year = Number(raw)
  if (!/^\d{4}$/.test(raw) || year < 2000 || year > 2100) {
    throw invalid('console.bad_year', '年份应为 2000 到 2100 之间的整数，如 2026。')
  }
  return year
}

/** A datetime-local value ('2026-03-20T18:00'), read as Shanghai wall time. */
export function shanghaiInput(raw: string | undefined): Date {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})$/.exec(raw?.trim() ?? '')
  if (match) {
    const at = fromShanghai(match[1]!, Number(match[2]), Number(match[3]))
    const hour = Number(match[2])
    const minute = Number(match[3])
    if (!Number.isNaN(at.getTime()) && shanghaiDate(at) === match[1] && hour < 24 && minute < 60) return at
  }
  throw invalid('console.bad_time', '请填写新的完成时限，例如 2026-03-20 18:00。')
}

/** The other way: a time as a datetime-local value in Shanghai wall time ('2026-03-20T18:00'). */
export const localInput = (at: Date) => {
  const p = shanghaiParts(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`
}

/** The project numbers of tasks that belong to one. */
export async function withProjectNumbers<T extends { task: { projectId: number | null } }>(
  db: DbOrTx,
  rows: T[],
) {
  const ids = [...new Set(rows.map((r) => r.task.projectId).filter((id): id is number => id !== null))]
  const found =
    ids.length === 0
      ? []
      : await db
          .select({ id: projects.id, number: projects.number })
          .from(projects)
          .where(inArray(projects.id, ids))
  const numbers = new Map(found.map((p) => [p.id, p.number]))
  return rows.map((r) => ({
    ...r,
    projectNumber: r.task.projectId ? (numbers.get(r.task.projectId) ?? null) : null,
  }))
}
