import { describe, expect, it } from 'vitest'
import {
  createWorkCalendar,
  fromShanghai,
  lastLibraryYear,
  libraryYear,
  shanghaiDate,
  shanghaiParts,
} from '../../core/sla/calendar'
import { checkNotice, formatNoticeText, parseNoticeText } from '../../core/sla/calendar-notice'
import { createReloadableCalendar } from '../../core/sla/calendar-store'
import { computeDeadlines, defaultSlaConfig } from '../../core/sla/deadlines'
import { newYearsEve, statutoryHolidays } from '../../core/sla/statutory'

const cal = createWorkCalendar()
const sh = (at: Date) => {
  const p = shanghaiParts(at)
  return `${shanghaiDate(at)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
}
const offDays = (year: number) => statutoryHolidays(year).map((h) => `${h.date} ${h.name}`)

// chinese-days 1.5.7 ships 2004–2026; when an update adds 2027, the calendar tests below move on a year.
describe('the statutory holidays (全国年节及纪念日放假办法, from 2025)', () => {
  it('finds 除夕 from the lunar calendar, 腊月廿九 in a short year', () => {
    expect(newYearsEve(2027)).toBe('2027-02-05')
    expect(newYearsEve(2028)).toBe('2028-01-25')
    expect(newYearsEve(2026)).toBe('2026-02-16')
  })

  it('lists 2027: 元旦, 春节 from 除夕, 清明, 劳动节, 端午, 中秋, 国庆', () => {
    expect(offDays(2027)).toEqual([
      '2027-01-01 元旦',
      '2027-02-05 春节',
      '2027-02-06 春节',
      '2027-02-07 春节',
      '2027-02-08 春节',
      '2027-04-05 清明节',
      '2027-05-01 劳动节',
      '2027-05-02 劳动节',
      '2027-06-09 端午节',
      '2027-09-15 中秋节',
      '2027-10-01 国庆节',
      '2027-10-02 国庆节',
      '2027-10-03 国庆节',
    ])
  })

  it('lists 2028, where 中秋 falls on 3 October', () => {
    expect(offDays(2028)).toEqual([
      '2028-01-01 元旦',
      '2028-01-25 春节',
      '2028-01-26 春节',
      '2028-01-27 春节',
      '2028-01-28 春节',
      '2028-04-04 清明节',
      '2028-05-01 劳动节',
      '2028-05-02 劳动节',
      '2028-05-28 端午节',
      '2028-10-01 国庆节',
      '2028-10-02 国庆节',
      '2028-10-03 国庆节、中秋节',
    ])
  })

  it('agrees with the State Council arrangements chinese-days ships for 2025 and 2026', () => {
    for (const year of [2025, 2026]) {
      const shipped = new Set(libraryYear(year)!.holidays.map((h) => h.date))
      for (const day of statutoryHolidays(year))
        expect(shipped, `${day.date} ${day.name}`).toContain(day.date)
      expect(statutoryHolidays(year)).toHaveLength(13)
    }
  })
})

describe('the working calendar after the library’s last year', () => {
  it('has no data of its own for 2027 and 2028', () => {
    expect(lastLibraryYear).toBe(2026)
    expect(cal.sourceOf(2026)).toBe('library')
    expect(cal.sourceOf(2027)).toBe('statutory')
    expect(cal.sourceOf(2028)).toBe('statutory')
    expect(cal.sourceOf(2003)).toBe('weekends')
    expect(createWorkCalendar({ noticeYears: [2027] }).sourceOf(2027)).toBe('notice')
  })

  it('rests on the 2027 statutory holidays and works the weekdays around them', () => {
    expect(cal.isWorkingDay('2027-01-01')).toBe(false) // a Friday
    expect(cal.isWorkingDay('2026-12-31')).toBe(true)
    expect(cal.isWorkingDay('2027-01-04')).toBe(true)
    for (const day of ['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08']) {
      expect(cal.isWorkingDay(day), day).toBe(false)
    }
    expect(cal.isWorkingDay('2027-02-04')).toBe(true)
    expect(cal.isWorkingDay('2027-02-09')).toBe(true)
    expect(cal.isWorkingDay('2027-04-05')).toBe(false) // 清明, a Monday
    expect(cal.isWorkingDay('2027-06-09')).toBe(false) // 端午, a Wednesday
    expect(cal.isWorkingDay('2027-09-15')).toBe(false) // 中秋, a Wednesday
    expect(cal.isWorkingDay('2027-09-16')).toBe(true)
  })

  it('rests on the 2028 statutory holidays', () => {
    for (const day of ['2028-01-25', '2028-01-26', '2028-01-27', '2028-01-28']) {
      expect(cal.isWorkingDay(day), day).toBe(false)
    }
    expect(cal.isWorkingDay('2028-01-24')).toBe(true)
    expect(cal.isWorkingDay('2028-01-31')).toBe(true)
    expect(cal.isWorkingDay('2028-04-04')).toBe(false) // 清明, a Tuesday
    expect(cal.isWorkingDay('2028-05-02')).toBe(false) // 劳动节, a Tuesday
    expect(cal.isWorkingDay('2028-05-29')).toBe(true) // 端午 was the Sunday before: no day in lieu without a notice
    expect(cal.isWorkingDay('2028-10-03')).toBe(false)
    expect(cal.isWorkingDay('2028-10-04')).toBe(true)
  })

  it('moves a deadline over 国庆 2027 and its weekend', () => {
    // Thursday 30 September 2027, 10:00; 1–3 October are Friday to Sunday.
    const at = fromShanghai('2027-09-30', 10)
    const due = computeDeadlines({
      at,
      category: '照明',
      slaClass: 'general',
      urgency: 'normal',
      config: defaultSlaConfig,
      calendar: cal,
    })
    expect(sh(due.responseDueAt)).toBe('2027-10-04 10:00')
    expect(sh(due.resolutionDueAt)).toBe('2027-10-12 10:00') // 4–8 and 11–12 October
    expect(cal.workingDaysBetween(at, fromShanghai('2027-10-04', 9))).toBe(1)
  })

  it('lets an entered notice’s days win over the estimate', () => {
    const calendar = createReloadableCalendar()
    expect(calendar.isWorkingDay('2027-02-14')).toBe(false) // a Sunday
    calendar.reload({
      overrides: [
        { date: '2027-02-09', kind: 'holiday', name: '春节' },
        { date: '2027-02-14', kind: 'workday', name: '调休上班' },
      ],
      noticeYears: [2027],
    })
    expect(calendar.isWorkingDay('2027-02-09')).toBe(false)
    expect(calendar.isWorkingDay('2027-02-14')).toBe(true)
    expect(calendar.isWorkingDay('2027-02-05')).toBe(false) // statutory days stay off
    expect(calendar.sourceOf(2027)).toBe('notice')
    // The override route and the reload job pass overrides alone: the notice years stay.
    calendar.reload([])
    expect(calendar.sourceOf(2027)).toBe('notice')
    expect(calendar.isWorkingDay('2027-02-14')).toBe(false)
  })
})

describe('a year’s notice typed in the console', () => {
  const good = [
    '# 国务院办公厅关于2027年部分节假日安排的通知',
    '2027-01-01..2027-01-03 元旦',
    '',
    '2027-02-05～2027-02-12 春节',
    '2027-02-14 上班',
    '2027-2-20 补班 春节调休',
    '2027-10-01 至 2027-10-07 国庆节、中秋节',
  ].join('\n')

  it('reads ranges, single days and make-up working days', () => {
    const parsed = parseNoticeText(good)
    expect(parsed.errors).toEqual([])
    expect(parsed.holidays.map(({ from, to, name }) => [from, to, name])).toEqual([
      ['2027-01-01', '2027-01-03', '元旦'],
      ['2027-02-05', '2027-02-12', '春节'],
      ['2027-10-01', '2027-10-07', '国庆节、中秋节'],
    ])
    expect(parsed.workdays.map(({ date, name }) => [date, name])).toEqual([
      ['2027-02-14', undefined],
      ['2027-02-20', '春节调休'],
    ])
    expect(checkNotice(2027, parsed.holidays, parsed.workdays)).toEqual([])
    const again = parseNoticeText(formatNoticeText(parsed))
    expect(again.holidays.map((h) => h.name)).toEqual(['元旦', '春节', '国庆节、中秋节'])
    expect(again.workdays).toHaveLength(2)
  })

  it('names every bad line in Chinese', () => {
    const parsed = parseNoticeText(
      [
        '2027-01-01 元旦',
        '明年春节放七天',
        '2027-02-30 春节',
        '2027-03-01',
        '2027-02-14..2027-02-15 上班',
      ].join('\n'),
    )
    expect(parsed.errors).toEqual([
      expect.stringMatching(/^第 2 行「明年春节放七天」看不懂/),
      expect.stringMatching(/^第 3 行：日期不存在/),
      expect.stringMatching(/^第 4 行：请写明节日名称/),
      expect.stringMatching(/^第 5 行：调休上班请每天写一行/),
    ])
    const checked = parseNoticeText(
      [
        '2027-02-05..2027-02-12 春节',
        '2027-02-10..2027-02-13 又一个假期',
        '2028-01-01 元旦',
        '2027-02-15 上班',
        '2027-10-01 上班',
        '2027-02-11 上班',
        '2027-05-09 上班',
        '2027-05-09 上班',
        '2027-03-10..2027-02-01 倒过来',
      ].join('\n'),
    )
    expect(checkNotice(2027, checked.holidays, checked.workdays)).toEqual([
      '第 2 行：与第 1 行的假期重叠。',
      '第 3 行：日期不在 2027 年内，这里只录入 2027 年的通知。',
      '第 9 行：开始日期 2027-03-10 晚于结束日期 2027-02-01。',
      '第 4 行：2027-02-15 是星期一，本来就上班；调休上班日应是星期六或星期日。',
      '第 5 行：2027-10-01 是法定节假日（国庆节），不能安排上班。',
      '第 6 行：2027-02-11 在第 1 行的假期内，不能同时上班。',
      '第 8 行：与第 7 行重复。',
    ])
    expect(checkNotice(2027, [], [])).toEqual(['请至少写一行假期，如「2027-01-01 元旦」。'])
  })
})
