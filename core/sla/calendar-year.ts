import type { DbOrTx } from '../../db/client'
import { lastLibraryYear, libraryYear, type WorkCalendar, type YearSource } from './calendar'
import { findNotice, type StoredNotice } from './calendar-notice'
import { listNoticeYears, listOverrides } from './calendar-store'
import { statutoryHolidays } from './statutory'

export interface YearDay {
  date: string
  name: string
  /** library: chinese-days; statutory: the law's holidays (estimate); override: an admin's (a notice's) day. */
  origin: 'library' | 'statutory' | 'override'
}

export interface YearView {
  year: number
  source: YearSource
  notice?: StoredNotice
  holidays: YearDay[]
  workdays: YearDay[]
}

const byDate = (a: YearDay, b: YearDay) => a.date.localeCompare(b.date)

/** A year's days off and make-up working days as the calendar counts them, and where each comes from. */
export async function describeYear(db: DbOrTx, calendar: WorkCalendar, year: number): Promise<YearView> {
  const source = calendar.sourceOf(year)
  const notice = await findNotice(db, year)
  const library = libraryYear(year)
  if (library) {
    const tag = (d: { date: string; name: string }): YearDay => ({ ...d, origin: 'library' })
    return { year, source, notice, holidays: library.holidays.map(tag), workdays: library.workdays.map(tag) }
  }
  const holidays = new Map<string, YearDay>()
  if (year > lastLibraryYear) {
    for (const day of statutoryHolidays(year)) holidays.set(day.date, { ...day, origin: 'statutory' })
  }
  const workdays: YearDay[] = []
  for (const o of await listOverrides(db)) {
    if (!o.date.startsWith(`${year}-`)) continue
    if (o.kind === 'holiday') {
      holidays.set(o.date, { date: o.date, name: o.name ?? '假日', origin: 'override' })
    } else {
      holidays.delete(o.date)
      workdays.push({ date: o.date, name: o.name ?? '上班', origin: 'override' })
    }
  }
  return {
    year,
    source,
    notice,
    holidays: [...holidays.values()].sort(byDate),
    workdays: workdays.sort(byDate),
  }
}

/** The years the calendar page lists: this year and the next two, and any with an entered notice. */
export async function calendarYears(db: DbOrTx, calendar: WorkCalendar, thisYear: number) {
  const years = new Set([thisYear, thisYear + 1, thisYear + 2, ...(await listNoticeYears(db))])
  return [...years].sort((a, b) => a - b).map((year) => ({ year, source: calendar.sourceOf(year) }))
}
