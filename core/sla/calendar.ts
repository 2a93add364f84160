// Working-day calendar for SLA deadlines, on the official PRC arrangement (weekends off, public holidays off,
// adjusted working Saturdays/Sundays 调休 on), always in Asia/Shanghai whatever the machine's TZ.
//
// The library's days come from chinese-days' built data file rather than its functions: the functions parse
// 'YYYY-MM-DD' as UTC midnight but read it back with local getters, and even build their own lookup tables that
// way, so on a machine west of UTC (TZ=America/New_York) isWorkday('2026-10-01') looks at the wrong day.
// The JSON file is plain data keyed by date string and has no such dependence.
//
// A year after the library's last is estimated from the statutory holidays (statutory.ts) until an admin enters
// the State Council's notice for it; the days of that notice are overrides.
import chineseDays from 'chinese-days/dist/chinese-days.json' with { type: 'json' }
import { statutoryHolidays } from './statutory'

export interface CalendarOverride {
  /** YYYY-MM-DD */
  date: string
  kind: 'workday' | 'holiday'
  name?: string
}

export interface WorkCalendar {
  /** YYYY-MM-DD (a Shanghai calendar date); overrides win over the library. */
  isWorkingDay(date: string): boolean
  /** The same Shanghai wall-clock time on the nth working day strictly after at's Shanghai date; n = 0 returns at. */
  addWorkingDays(at: Date, n: number): Date
  addHours(at: Date, hours: number): Date
  /** Count of working days d with from's Shanghai date < d <= to's Shanghai date (0 if to <= from). */
  workingDaysBetween(from: Date, to: Date): number
  /** True if the library ships that year's announced arrangement, or an admin has entered its notice. */
  knowsYear(year: number): boolean
  /** Where the year's days off come from. */
  sourceOf(year: number): YearSource
}

/**
 * `library`: chinese-days ships the year; `notice`: an admin entered the State Council's notice; `statutory`:
 * a year after the library's with no notice yet, estimated from the statutory holidays; `weekends`: a year
 * before the library's, weekends only.
 */
export type YearSource = 'library' | 'notice' | 'statutory' | 'weekends'

export interface CalendarOptions {
  overrides?: readonly CalendarOverride[]
  /** Years whose State Council notice an admin has entered (its days are among the overrides). */
  noticeYears?: readonly number[]
}

/** China has had no DST since 1991: Asia/Shanghai is UTC+8 all year. */
const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000
const HOUR_MS = 60 * 60 * 1000
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

interface LibraryData {
  holidays: Record<string, string>
  workdays: Record<string, string>
  inLieuDays: Record<string, string>
}

const library: LibraryData = chineseDays
const libraryYears: ReadonlySet<number> = new Set(
  [...Object.keys(library.holidays), ...Object.keys(library.workdays)].map((date) =>
    Number(date.slice(0, 4)),
  ),
)

/** The last year chinese-days ships: later years fall back on the statutory holidays. */
export const lastLibraryYear = Math.max(...libraryYears)

const pad2 = (n: number) => String(n).padStart(2, '0')

/** The library's days off and make-up working days of a year it ships, with their Chinese names. */
export function libraryYear(year: number) {
  if (!libraryYears.has(year)) return undefined
  const pick = (days: Record<string, string>) =>
    Object.entries(days)
      .filter(([date]) => date.startsWith(`${year}-`))
      .map(([date, label]) => ({ date, name: label.split(',')[1] ?? label }))
      .sort((a, b) => a.date.localeCompare(b.date))
  return { holidays: pick(library.holidays), workdays: pick(library.workdays) }
}

/** date → name of the statutory holidays of a year after the library's; empty for other years. */
const statutoryCache = new Map<number, ReadonlyMap<string, string>>()
function statutoryDays(year: number): ReadonlyMap<string, string> {
  if (year <= lastLibraryYear || year > 2099) return new Map()
  let days = statutoryCache.get(year)
  if (!days) {
    days = new Map(statutoryHolidays(year).map((h) => [h.date, h.name]))
    statutoryCache.set(year, days)
  }
  return days
}

/** Days since 1970-01-01 for a YYYY-MM-DD string; throws a RangeError on anything that is not a real date. */
function dayNumber(date: string): number {
  const m = DATE_RE.exec(date)
  if (!m) throw new RangeError(`Expected a date as YYYY-MM-DD, got ${JSON.stringify(date)}`)
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const ms = Date.UTC(year, month - 1, day)
  const check = new Date(ms)
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`Not a calendar date: ${date}`)
  }
  return ms / DAY_MS
}

function dateOfDayNumber(dayNo: number): string {
  const d = new Date(dayNo * DAY_MS)
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`
}

/** Days since 1970-01-01 of the instant's Shanghai calendar date. */
function shanghaiDayNumber(at: Date): number {
  return Math.floor((checkedTime(at) + SHANGHAI_OFFSET_MS) / DAY_MS)
}

function checkedTime(at: Date): number {
  const t = at.getTime()
  if (Number.isNaN(t)) throw new RangeError('Invalid Date')
  return t
}

export function shanghaiParts(at: Date): {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  /** 0 = Sunday … 6 = Saturday, like Date#getDay. */
  weekday: number
} {
  const d = new Date(checkedTime(at) + SHANGHAI_OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  }
}

/** YYYY-MM-DD of the instant in Asia/Shanghai. */
export function shanghaiDate(at: Date): string {
  return dateOfDayNumber(shanghaiDayNumber(at))
}

/** The instant at which Shanghai wall clocks show that date and time. */
export function fromShanghai(date: string, hour = 0, minute = 0, second = 0): Date {
  return new Date(dayNumber(date) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 - SHANGHAI_OFFSET_MS)
}

export function createWorkCalendar(options: CalendarOptions = {}): WorkCalendar {
  const overrides = new Map<string, CalendarOverride['kind']>()
  for (const override of options.overrides ?? []) {
    dayNumber(override.date) // validates
    // A later override for the same date wins.
    overrides.set(override.date, override.kind)
  }
  const noticeYears = new Set(options.noticeYears ?? [])

  const byDayNumber = new Map<number, boolean>()

  const isWorkingDayNo = (dayNo: number): boolean => {
    const cached = byDayNumber.get(dayNo)
    if (cached !== undefined) return cached
    const date = dateOfDayNumber(dayNo)
    const override = overrides.get(date)
    let working: boolean
    if (override !== undefined) working = override === 'workday'
    else if (library.workdays[date] !== undefined) working = true
    else if (library.holidays[date] !== undefined) working = false
    else if (statutoryDays(Number(date.slice(0, 4))).has(date)) working = false
    else {
      // 1970-01-01 was a Thursday.
      const weekday = (((dayNo + 4) % 7) + 7) % 7
      working = weekday >= 1 && weekday <= 5
    }
    byDayNumber.set(dayNo, working)
    return working
  }

  return {
    isWorkingDay: (date) => isWorkingDayNo(dayNumber(date)),

    addWorkingDays(at, n) {
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(`addWorkingDays needs a non-negative integer, got ${n}`)
      }
      const start = shanghaiDayNumber(at)
      if (n === 0) return new Date(at.getTime())
      const timeOfDay = at.getTime() + SHANGHAI_OFFSET_MS - start * DAY_MS
      let dayNo = start
      let remaining = n
      while (remaining > 0) {
        dayNo += 1
        if (isWorkingDayNo(dayNo)) remaining -= 1
      }
      return new Date(dayNo * DAY_MS + timeOfDay - SHANGHAI_OFFSET_MS)
    },

    addHours(at, hours) {
      if (!Number.isFinite(hours)) throw new RangeError(`addHours needs a finite number, got ${hours}`)
      return new Date(checkedTime(at) + hours * HOUR_MS)
    },

    workingDaysBetween(from, to) {
      if (checkedTime(to) <= checkedTime(from)) return 0
      const last = shanghaiDayNumber(to)
      let count = 0
      for (let dayNo = shanghaiDayNumber(from) + 1; dayNo <= last; dayNo++) {
        if (isWorkingDayNo(dayNo)) count += 1
      }
      return count
    },

    knowsYear: (year) => libraryYears.has(year) || noticeYears.has(year),

    sourceOf: (year) =>
      libraryYears.has(year)
        ? 'library'
        : noticeYears.has(year)
          ? 'notice'
          : year > lastLibraryYear
            ? 'statutory'
            : 'weekends',
  }
}

/**
 * A warning for admins while the State Council's notice is missing for the current year, or from 1 December
 * (Shanghai) on for next year; otherwise null. The State Council usually publishes it in November, and
 * chinese-days ships it in a later release; meanwhile the statutory holidays alone stand in for it.
 */
export function missingNextYearWarning(calendar: WorkCalendar, now: Date): string | null {
  const missing = missingNoticeYears(calendar, now)
  if (missing.length === 0) return null
  const years = missing.join(' and ')
  return (
    `The State Council's holiday notice for ${years} has not been entered, so working-day SLA deadlines in ` +
    `${years} count only the statutory holidays (no bridge days or make-up working days 调休). An admin ` +
    `enters the year's notice on the console page /console/calendar once it is published.`
  )
}

/** The years `missingNextYearWarning` warns about: this year, and next year from 1 December, if estimated. */
export function missingNoticeYears(calendar: WorkCalendar, now: Date): number[] {
  const { year, month } = shanghaiParts(now)
  return [year, ...(month === 12 ? [year + 1] : [])].filter((y) => calendar.sourceOf(y) === 'statutory')
}
