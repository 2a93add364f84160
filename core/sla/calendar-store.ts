import { asc, like } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { calendarOverrides, settings } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import { type CalendarOverride, createWorkCalendar, type WorkCalendar } from './calendar'

/** What the calendar is built from: admins' overrides, and the years whose State Council notice is entered. */
export interface CalendarData {
  overrides: readonly CalendarOverride[]
  noticeYears: readonly number[]
}

/**
 * The working calendar with admins' overrides; `reload` swaps in new data without a restart. Given only
 * overrides (as the API's override route and the reload job pass), it keeps the notice years it had.
 */
export interface ReloadableCalendar extends WorkCalendar {
  reload(next: readonly CalendarOverride[] | CalendarData): void
}

const asData = (next: readonly CalendarOverride[] | CalendarData, noticeYears: readonly number[]) =>
  'overrides' in next ? next : { overrides: next, noticeYears }

export function createReloadableCalendar(
  initial: readonly CalendarOverride[] | CalendarData = [],
): ReloadableCalendar {
  let data = asData(initial, [])
  let inner = createWorkCalendar(data)
  return {
    isWorkingDay: (date) => inner.isWorkingDay(date),
    addWorkingDays: (at, n) => inner.addWorkingDays(at, n),
    addHours: (at, hours) => inner.addHours(at, hours),
    workingDaysBetween: (from, to) => inner.workingDaysBetween(from, to),
    knowsYear: (year) => inner.knowsYear(year),
    sourceOf: (year) => inner.sourceOf(year),
    reload(next) {
      data = asData(next, data.noticeYears)
      inner = createWorkCalendar(data)
    },
  }
}

export async function listOverrides(db: DbOrTx): Promise<CalendarOverride[]> {
  const rows = await db.select().from(calendarOverrides).orderBy(asc(calendarOverrides.date))
  return rows.map((r) => ({ date: r.date, kind: r.kind, name: r.name ?? undefined }))
}

/** The `settings` key marking a year's State Council notice as entered (its value: the notice). */
export const noticeKeyPrefix = 'calendar_notice:'

export async function listNoticeYears(db: DbOrTx): Promise<number[]> {
  const rows = await db
    .select({ key: settings.key })
    .from(settings)
    .where(like(settings.key, `${noticeKeyPrefix}%`))
  return rows.map((r) => Number(r.key.slice(noticeKeyPrefix.length))).sort((a, b) => a - b)
}

export async function loadCalendarData(db: DbOrTx): Promise<CalendarData> {
  const overrides = await listOverrides(db)
  return { overrides, noticeYears: await listNoticeYears(db) }
}

export async function loadCalendar(db: DbOrTx) {
  return createReloadableCalendar(await loadCalendarData(db))
}

/** Reloads overrides and notice years from the database (after a commit, and every few minutes). */
export async function reloadCalendar(deps: { db: DbOrTx; calendar: ReloadableCalendar }) {
  deps.calendar.reload(await loadCalendarData(deps.db))
}

/** Admins add or replace days (audited); returns every override, for `reload` after the commit. */
export async function saveOverrides(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  days: readonly CalendarOverride[],
  now: Date,
) {
  assertRole(actor.staff, [])
  for (const day of days) {
    await db
      .insert(calendarOverrides)
      .values({
        date: day.date,
        kind: day.kind,
        name: day.name ?? null,
        createdBy: actor.staff.id,
        createdAt: now,
      })
      .onConflictDoUpdate({ target: calendarOverrides.date, set: { kind: day.kind, name: day.name ?? null } })
  }
  await recordAudit(db, {
    actor,
    action: 'calendar.override',
    entity: 'calendar',
    entityId: days.map((d) => d.date).join(','),
    after: days,
    at: now,
  })
  return listOverrides(db)
}
