import { asc } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { calendarOverrides } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import { type CalendarOverride, createWorkCalendar, type WorkCalendar } from './calendar'

/** The working calendar with admins' overrides; `reload` swaps in new overrides without a restart. */
export interface ReloadableCalendar extends WorkCalendar {
  reload(overrides: readonly CalendarOverride[]): void
}

export function createReloadableCalendar(overrides: readonly CalendarOverride[] = []): ReloadableCalendar {
  let inner = createWorkCalendar({ overrides })
  return {
    isWorkingDay: (date) => inner.isWorkingDay(date),
    addWorkingDays: (at, n) => inner.addWorkingDays(at, n),
    addHours: (at, hours) => inner.addHours(at, hours),
    workingDaysBetween: (from, to) => inner.workingDaysBetween(from, to),
    knowsYear: (year) => inner.knowsYear(year),
    reload(next) {
      inner = createWorkCalendar({ overrides: next })
    },
  }
}

export async function listOverrides(db: DbOrTx): Promise<CalendarOverride[]> {
  const rows = await db.select().from(calendarOverrides).orderBy(asc(calendarOverrides.date))
  return rows.map((r) => ({ date: r.date, kind: r.kind, name: r.name ?? undefined }))
}

export async function loadCalendar(db: DbOrTx) {
  return createReloadableCalendar(await listOverrides(db))
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
