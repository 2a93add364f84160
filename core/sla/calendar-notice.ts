// A year's State Council holiday notice (国务院办公厅关于某年部分节假日安排的通知), entered by an admin as one
// whole: its holiday ranges and its make-up working days (调休上班). Its days become calendar overrides and
// the year is marked as known in `settings`, which ends the missing-notice warning.
import { eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import type { DbOrTx } from '../../db/client'
import { calendarOverrides, settings } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import { invalid } from '../shared/errors'
import { lastLibraryYear } from './calendar'
import { type CalendarData, loadCalendarData, noticeKeyPrefix } from './calendar-store'
import { statutoryHolidays } from './statutory'

export interface NoticeHoliday {
  from: string
  to: string
  name: string
}
export interface NoticeWorkday {
  date: string
  name?: string
}
export interface YearNotice {
  holidays: NoticeHoliday[]
  workdays: NoticeWorkday[]
}
/** What is stored under `calendar_notice:<year>`. */
export interface StoredNotice extends YearNotice {
  enteredBy: number
  enteredByName: string
  enteredAt: string
}

/** An entry of a notice with how to name it in an error: '第 3 行'. */
type Labelled<T> = T & { label: string }

const DAY_MS = 86_400_000
const maxRangeDays = 31
const workWords = new Set(['上班', '补班', '调休上班', '工作日'])
const weekdayNames = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六']
const dateSchema = z.iso.date()
const nameSchema = z.string().trim().min(1).max(30)
const DATE = String.raw`(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})`
const LINE_RE = new RegExp(String.raw`^${DATE}(?:\s*(?:\.\.|~|～|至|—|–)\s*${DATE})?(?:\s+(.+))?$`)
const example = '请写成「2027-02-05..2027-02-12 春节」或「2027-02-14 上班」'

const pad2 = (raw: string) => raw.padStart(2, '0')
const dayNo = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS
const dateOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10)
/** A real calendar date as YYYY-MM-DD, or undefined. */
function realDate(y: string, m: string, d: string) {
  const date = `${y}-${pad2(m)}-${pad2(d)}`
  if (!dateSchema.safeParse(date).success) return undefined
  return new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date ? date : undefined
}

/**
 * Reads a notice typed one entry a line: `2027-02-05..2027-02-12 春节` (a range of days off, or one day),
 * `2027-02-14 上班` (a make-up working day; 补班 and 调休上班 too). Blank lines and lines starting with # are
 * skipped. Returns the entries and, per bad line, a Chinese error naming it.
 */
export function parseNoticeText(text: string) {
  const holidays: Labelled<NoticeHoliday>[] = []
  const workdays: Labelled<NoticeWorkday>[] = []
  const errors: string[] = []
  const lines = text.split(/\r?\n/)
  if (lines.length > 200) return { holidays, workdays, errors: ['通知不超过 200 行。'] }
  lines.forEach((raw, index) => {
    const line = raw.replace(/\s+/g, ' ').trim()
    const label = `第 ${index + 1} 行`
    if (!line || line.startsWith('#')) return
    const m = LINE_RE.exec(line)
    if (!m) {
      errors.push(`${label}「${line.slice(0, 30)}」看不懂：${example}。`)
      return
    }
    const from = realDate(m[1]!, m[2]!, m[3]!)
    const to = m[4] ? realDate(m[4], m[5]!, m[6]!) : from
    if (!from || !to) {
      errors.push(`${label}：日期不存在，请核对年月日。`)
      return
    }
    const words = (m[7] ?? '').split(' ').filter(Boolean)
    if (words[0] && workWords.has(words[0])) {
      if (m[4]) errors.push(`${label}：调休上班请每天写一行，如「${from} 上班」。`)
      else workdays.push({ date: from, name: words.slice(1).join(' ') || undefined, label })
      return
    }
    const name = nameSchema.safeParse(words.join(' '))
    if (!name.success) {
      errors.push(
        words.length === 0
          ? `${label}：请写明节日名称，如「${from} 元旦」；调休上班的日子写「${from} 上班」。`
          : `${label}：节日名称不超过 30 字。`,
      )
      return
    }
    holidays.push({ from, to, name: name.data, label })
  })
  return { holidays, workdays, errors }
}

/** The notice as the lines `parseNoticeText` reads, to show a stored notice again. */
export function formatNoticeText(notice: YearNotice) {
  return [
    ...notice.holidays.map((h) => `${h.from === h.to ? h.from : `${h.from}..${h.to}`} ${h.name}`),
    ...notice.workdays.map((w) => `${w.date} 上班${w.name ? ` ${w.name}` : ''}`),
  ].join('\n')
}

/** What is wrong with a year's notice, one Chinese line per problem; empty when it can be stored. */
export function checkNotice(
  year: number,
  holidays: readonly Labelled<NoticeHoliday>[],
  workdays: readonly Labelled<NoticeWorkday>[],
) {
  const errors: string[] = []
  const inYear = (date: string) => date.startsWith(`${year}-`)
  const off = new Map<number, string>()
  for (const h of holidays) {
    if (!inYear(h.from) || !inYear(h.to)) {
      errors.push(`${h.label}：日期不在 ${year} 年内，这里只录入 ${year} 年的通知。`)
      continue
    }
    const [start, end] = [dayNo(h.from), dayNo(h.to)]
    if (start > end) errors.push(`${h.label}：开始日期 ${h.from} 晚于结束日期 ${h.to}。`)
    else if (end - start + 1 > maxRangeDays) errors.push(`${h.label}：一段假期不超过 ${maxRangeDays} 天。`)
    else {
      const clash = [...Array(end - start + 1).keys()].map((i) => off.get(start + i)).find(Boolean)
      if (clash) errors.push(`${h.label}：与${clash}的假期重叠。`)
      for (let n = start; n <= end; n++) if (!off.has(n)) off.set(n, h.label)
    }
  }
  const statutory = new Map(statutoryHolidays(year).map((s) => [s.date, s.name]))
  const seen = new Map<string, string>()
  for (const w of workdays) {
    const weekday = new Date(dayNo(w.date) * DAY_MS).getUTCDay()
    const other = seen.get(w.date)
    if (!inYear(w.date)) errors.push(`${w.label}：日期不在 ${year} 年内，这里只录入 ${year} 年的通知。`)
    else if (other) errors.push(`${w.label}：与${other}重复。`)
    else if (statutory.has(w.date)) {
      errors.push(`${w.label}：${w.date} 是法定节假日（${statutory.get(w.date)}），不能安排上班。`)
    } else if (off.has(dayNo(w.date))) {
      errors.push(`${w.label}：${w.date} 在${off.get(dayNo(w.date))}的假期内，不能同时上班。`)
    } else if (weekday >= 1 && weekday <= 5) {
      errors.push(
        `${w.label}：${w.date} 是${weekdayNames[weekday]}，本来就上班；调休上班日应是星期六或星期日。`,
      )
    } else if (w.name !== undefined && !nameSchema.safeParse(w.name).success) {
      errors.push(`${w.label}：说明不超过 30 字。`)
    }
    seen.set(w.date, w.label)
  }
  if (holidays.length === 0) errors.unshift(`请至少写一行假期，如「${year}-01-01 元旦」。`)
  return errors
}

const lineOf = (error: string) => Number(/^第 (\d+) 行/.exec(error)?.[1] ?? 0)

function noticeRefused(errors: readonly string[]) {
  const lines = [...errors].sort((a, b) => lineOf(a) - lineOf(b))
  return invalid(
    'calendar.bad_notice',
    `通知中有 ${lines.length} 处需要修改，未保存任何内容：${lines.join(' ')}`,
    { lines },
  )
}

/** Admins only, and only for a year after the bundled calendar's. */
function assertNoticeYear(actor: Actor & { kind: 'staff' }, year: number) {
  assertRole(actor.staff, [])
  if (year <= lastLibraryYear) {
    throw invalid('calendar.year_known', `${year} 年的放假安排已内置于日历中，无需录入通知。`)
  }
  if (!Number.isInteger(year) || year > 2099) throw invalid('calendar.bad_year', '年份应不晚于 2099 年。')
}

export async function findNotice(db: DbOrTx, year: number): Promise<StoredNotice | undefined> {
  const [row] = await db
    .select()
    .from(settings)
    .where(eq(settings.key, `${noticeKeyPrefix}${year}`))
  return row?.value as StoredNotice | undefined
}

const expand = (notice: YearNotice) => [
  ...notice.holidays.flatMap((h) => {
    const days = []
    for (let n = dayNo(h.from); n <= dayNo(h.to); n++) {
      days.push({ date: dateOf(n), kind: 'holiday' as const, name: h.name })
    }
    return days
  }),
  ...notice.workdays.map((w) => ({ date: w.date, kind: 'workday' as const, name: w.name ?? '调休上班' })),
]

/**
 * Stores a year's whole notice (admins; audited), all or nothing: every problem is reported at once and
 * nothing is written. Entering it again replaces the days of the previous one. Returns the calendar's data
 * for `reload` after the commit.
 */
export async function enterYearNotice(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  year: number,
  notice: { holidays: Labelled<NoticeHoliday>[]; workdays: Labelled<NoticeWorkday>[] },
  now: Date,
): Promise<CalendarData> {
  assertNoticeYear(actor, year)
  const errors = checkNotice(year, notice.holidays, notice.workdays)
  if (errors.length > 0) throw noticeRefused(errors)
  const clean: YearNotice = {
    holidays: notice.holidays.map(({ from, to, name }) => ({ from, to, name })),
    workdays: notice.workdays.map(({ date, name }) => (name ? { date, name } : { date })),
  }
  const previous = await findNotice(db, year)
  if (previous) {
    const dates = expand(previous).map((d) => d.date)
    if (dates.length > 0) await db.delete(calendarOverrides).where(inArray(calendarOverrides.date, dates))
  }
  for (const day of expand(clean)) {
    await db
      .insert(calendarOverrides)
      .values({ ...day, createdBy: actor.staff.id, createdAt: now })
      .onConflictDoUpdate({ target: calendarOverrides.date, set: { kind: day.kind, name: day.name } })
  }
  const stored: StoredNotice = {
    ...clean,
    enteredBy: actor.staff.id,
    enteredByName: actor.staff.name,
    enteredAt: now.toISOString(),
  }
  await db
    .insert(settings)
    .values({ key: `${noticeKeyPrefix}${year}`, value: stored, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: stored, updatedAt: now } })
  await recordAudit(db, {
    actor,
    action: 'calendar.notice',
    entity: 'calendar',
    entityId: String(year),
    before: previous ?? null,
    after: clean,
    at: now,
  })
  return loadCalendarData(db)
}

/** The console's form: a notice typed a line an entry (see `parseNoticeText`), every bad line reported at once. */
export async function enterYearNoticeText(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  year: number,
  text: string,
  now: Date,
) {
  assertNoticeYear(actor, year)
  const parsed = parseNoticeText(text)
  if (parsed.errors.length > 0) {
    throw noticeRefused([...parsed.errors, ...checkNotice(year, parsed.holidays, parsed.workdays)])
  }
  return enterYearNotice(db, actor, year, parsed, now)
}
