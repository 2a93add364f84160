import type { DbOrTx } from '../../db/client'
import { calendarOverrides } from '../../db/schema'
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

export async function loadCalendar(db: DbOrTx) {
  const rows = await db.select().from(calendarOverrides)
  return createReloadableCalendar(
    rows.map((r) => ({ date: r.date, kind: r.kind, name: r.name ?? undefined })),
  )
}
