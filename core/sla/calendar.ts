// Working-day calendar for SLA deadlines, on the official PRC arrangement (weekends off, public holidays off,
// adjusted working Saturdays/Sundays 调休 on), always in Asia/Shanghai whatever the machine's TZ.
//
// The library's days come from chinese-days' built data file rather than its functions: the functions parse
// 'YYYY-MM-DD' as UTC midnight but read it back with local getters, and even build their own lookup tables that
// way, so on a machine west of UTC (TZ=America/New_York) isWorkday('2026-10-01') looks at the wrong day.
// The JSON file is plain data keyed by date string and has no such dependence.
import chineseDays from 'chinese-days/dist/chinese-days.json' with { type: 'json' }

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
  /** True if the library ships that year's announced arrangement, or any override falls in that year. */
  knowsYear(year: number): boolean
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

const pad2 = (n: number) => String(n).padStart(2, '0')

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

export function createWorkCalendar(options: { overrides?: readonly CalendarOverride[] } = {}): WorkCalendar {
  const overrides = new Map<string, CalendarOverride['kind']>()
  const overrideYears = new Set<number>()
  for (const override of options.overrides ?? []) {
    dayNumber(override.date) // validates
    // A later override for the same date wins.
    overrides.set(override.date, override.kind)
    overrideYears.add(Number(override.date.slice(0, 4)))
  }

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

    knowsYear: (year) => libraryYears.has(year) || overrideYears.has(year),
  }
}

/**
 * From 1 December (Shanghai) on, a warning for admins if next year's arrangement is not known yet; otherwise null.
 * The State Council usually publishes it in November, and chinese-days ships it in a later release.
 */
export function missingNextYearWarning(calendar: WorkCalendar, now: Date): string | null {
  const { year, month } = shanghaiParts(now)
  if (month !== 12) return null
  const next = year + 1
  if (calendar.knowsYear(next)) return null
  return (
    `The official holiday calendar for ${next} is not known yet, so working-day SLA deadlines in ${next} ` +
    `treat every Monday to Friday as a working day. Add holiday overrides for ${next} via the API ` +
    `(public holidays and adjusted working weekend days) once the State Council publishes the arrangement.`
  )
}
