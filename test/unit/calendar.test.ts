import { afterEach, describe, expect, it } from 'vitest'
import {
  createWorkCalendar,
  fromShanghai,
  missingNextYearWarning,
  shanghaiDate,
  shanghaiParts,
} from '../../core/sla/calendar'

const cal = createWorkCalendar()
/** Shanghai wall-clock 'YYYY-MM-DD HH:mm' of an instant, for readable assertions. */
const sh = (at: Date) => {
  const p = shanghaiParts(at)
  return `${shanghaiDate(at)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
}

describe('Shanghai time helpers', () => {
  it('uses a fixed +08:00 offset', () => {
    expect(fromShanghai('2026-03-02', 10).toISOString()).toBe('2026-03-02T02:00:00.000Z')
    expect(fromShanghai('2026-03-03', 1, 30, 15).toISOString()).toBe('2026-03-02T17:30:15.000Z')
    expect(fromShanghai('2026-01-01').toISOString()).toBe('2025-12-31T16:00:00.000Z')
  })

  it('reads the Shanghai date even when the UTC date differs', () => {
    const at = new Date('2026-03-02T17:00:00Z')
    expect(shanghaiDate(at)).toBe('2026-03-03')
    expect(shanghaiParts(at)).toEqual({ year: 2026, month: 3, day: 3, hour: 1, minute: 0, weekday: 2 })
    expect(shanghaiDate(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01')
    expect(shanghaiDate(new Date('2026-12-31T15:59:59Z'))).toBe('2026-12-31')
  })

  it('rejects malformed and impossible dates', () => {
    expect(() => fromShanghai('2026-02-30')).toThrow(RangeError)
    expect(() => cal.isWorkingDay('2026/03/01')).toThrow(RangeError)
    expect(() => cal.isWorkingDay('2026-3-1')).toThrow(RangeError)
    expect(() => shanghaiDate(new Date('nope'))).toThrow(RangeError)
  })
})

describe('isWorkingDay on the 2026 official arrangement', () => {
  it('has plain weekdays and weekends', () => {
    expect(cal.isWorkingDay('2026-03-02')).toBe(true) // Monday
    expect(cal.isWorkingDay('2026-03-06')).toBe(true) // Friday
    expect(cal.isWorkingDay('2026-03-07')).toBe(false) // Saturday
    expect(cal.isWorkingDay('2026-03-08')).toBe(false) // Sunday
  })

  it('has Mid-Autumn (25–27 Sep) and National Day (1–7 Oct) off, Sunday 20 Sep and Saturday 10 Oct on', () => {
    for (const date of ['2026-09-25', '2026-09-26', '2026-09-27']) expect(cal.isWorkingDay(date)).toBe(false)
    for (let day = 1; day <= 7; day++) expect(cal.isWorkingDay(`2026-10-0${day}`)).toBe(false)
    expect(cal.isWorkingDay('2026-09-20')).toBe(true) // Sunday, 调休
    expect(cal.isWorkingDay('2026-10-10')).toBe(true) // Saturday, 调休
    expect(cal.isWorkingDay('2026-10-11')).toBe(false) // ordinary Sunday
    for (const date of ['2026-09-28', '2026-09-29', '2026-09-30', '2026-10-08', '2026-10-09']) {
      expect(cal.isWorkingDay(date)).toBe(true)
    }
  })

  it('has Spring Festival 15–23 Feb off, Saturdays 14 and 28 Feb on', () => {
    for (let day = 15; day <= 23; day++) expect(cal.isWorkingDay(`2026-02-${day}`)).toBe(false)
    expect(cal.isWorkingDay('2026-02-14')).toBe(true)
    expect(cal.isWorkingDay('2026-02-28')).toBe(true)
    expect(cal.isWorkingDay('2026-02-13')).toBe(true)
    expect(cal.isWorkingDay('2026-02-24')).toBe(true)
  })

  it('has New Year (1–3 Jan) off and Sunday 4 Jan on', () => {
    expect(cal.isWorkingDay('2026-01-01')).toBe(false)
    expect(cal.isWorkingDay('2026-01-02')).toBe(false)
    expect(cal.isWorkingDay('2026-01-04')).toBe(true)
  })
})

describe('addWorkingDays', () => {
  it('moves Friday 17:30 + 1 working day to Monday 17:30', () => {
    const due = cal.addWorkingDays(fromShanghai('2026-03-06', 17, 30), 1)
    expect(sh(due)).toBe('2026-03-09 17:30')
    expect(shanghaiParts(due).weekday).toBe(1)
  })

  it('keeps seconds and milliseconds of the clock time', () => {
    const at = new Date(fromShanghai('2026-03-02', 9, 15, 42).getTime() + 123)
    expect(cal.addWorkingDays(at, 2).toISOString()).toBe('2026-03-04T01:15:42.123Z')
  })

  it('returns the same instant for n = 0 and rejects negative or fractional n', () => {
    const at = fromShanghai('2026-10-03', 11)
    expect(cal.addWorkingDays(at, 0).getTime()).toBe(at.getTime())
    expect(() => cal.addWorkingDays(at, -1)).toThrow(RangeError)
    expect(() => cal.addWorkingDays(at, 1.5)).toThrow(RangeError)
  })

  it('counts from the Shanghai date when the UTC date is the day before', () => {
    // 2026-03-02T17:00Z is Tuesday 03-03 01:00 in Shanghai.
    expect(cal.addWorkingDays(new Date('2026-03-02T17:00:00Z'), 1).toISOString()).toBe(
      '2026-03-03T17:00:00.000Z',
    )
    // 2026-03-06T17:00Z is Saturday 03-07 01:00 in Shanghai: next working day is Monday, not Monday's eve.
    expect(sh(cal.addWorkingDays(new Date('2026-03-06T17:00:00Z'), 1))).toBe('2026-03-09 01:00')
  })

  it('jumps the National Day week from the last working day before it', () => {
    const lastBefore = fromShanghai('2026-09-30', 16)
    expect(sh(cal.addWorkingDays(lastBefore, 1))).toBe('2026-10-08 16:00')
    expect(sh(cal.addWorkingDays(lastBefore, 2))).toBe('2026-10-09 16:00')
    // Saturday 10 Oct is an adjusted working day and counts.
    expect(sh(cal.addWorkingDays(lastBefore, 3))).toBe('2026-10-10 16:00')
    expect(sh(cal.addWorkingDays(lastBefore, 4))).toBe('2026-10-12 16:00')
  })

  it('counts the adjusted working Sunday before Mid-Autumn and skips the Mid-Autumn Friday', () => {
    expect(sh(cal.addWorkingDays(fromShanghai('2026-09-18', 17, 30), 1))).toBe('2026-09-20 17:30')
    expect(sh(cal.addWorkingDays(fromShanghai('2026-09-24', 10), 1))).toBe('2026-09-28 10:00')
  })

  it('counts from the next working days when filed during a holiday', () => {
    expect(sh(cal.addWorkingDays(fromShanghai('2026-10-03', 22, 5), 1))).toBe('2026-10-08 22:05')
    expect(sh(cal.addWorkingDays(fromShanghai('2026-10-07', 8), 1))).toBe('2026-10-08 08:00')
  })

  it('handles Spring Festival 2026', () => {
    const friday = fromShanghai('2026-02-13', 9)
    expect(sh(cal.addWorkingDays(friday, 1))).toBe('2026-02-14 09:00') // adjusted working Saturday
    expect(sh(cal.addWorkingDays(friday, 2))).toBe('2026-02-24 09:00')
    expect(sh(cal.addWorkingDays(fromShanghai('2026-02-16', 12), 1))).toBe('2026-02-24 12:00')
    expect(sh(cal.addWorkingDays(fromShanghai('2026-02-24', 12), 4))).toBe('2026-02-28 12:00')
  })

  it('runs over the end of a year', () => {
    // 1–3 Jan 2026 off, Sunday 4 Jan an adjusted working day.
    expect(sh(cal.addWorkingDays(fromShanghai('2025-12-31', 10), 1))).toBe('2026-01-04 10:00')
    expect(sh(cal.addWorkingDays(fromShanghai('2025-12-31', 10), 2))).toBe('2026-01-05 10:00')
  })
})

describe('independence from the process time zone', () => {
  const original = process.env.TZ
  afterEach(() => {
    if (original === undefined) delete process.env.TZ
    else process.env.TZ = original
  })

  it.each(['America/New_York', 'Pacific/Kiritimati', 'UTC'])('gives the same answers with TZ=%s', (tz) => {
    process.env.TZ = tz
    const fresh = createWorkCalendar()
    expect(fresh.isWorkingDay('2026-10-01')).toBe(false)
    expect(fresh.isWorkingDay('2026-09-30')).toBe(true)
    expect(fresh.addWorkingDays(fromShanghai('2026-09-30', 16), 1).toISOString()).toBe(
      '2026-10-08T08:00:00.000Z',
    )
    expect(shanghaiDate(new Date('2026-03-02T17:00:00Z'))).toBe('2026-03-03')
  })
})

describe('overrides', () => {
  const overridden = createWorkCalendar({
    overrides: [
      { date: '2026-03-04', kind: 'holiday', name: '临时停工' },
      { date: '2026-03-08', kind: 'workday', name: '补班' },
      { date: '2026-10-05', kind: 'workday' },
    ],
  })

  it('skips a holiday override on a normal weekday', () => {
    expect(overridden.isWorkingDay('2026-03-04')).toBe(false)
    expect(sh(overridden.addWorkingDays(fromShanghai('2026-03-03', 10), 1))).toBe('2026-03-05 10:00')
    expect(sh(cal.addWorkingDays(fromShanghai('2026-03-03', 10), 1))).toBe('2026-03-04 10:00')
  })

  it('counts a workday override on a Sunday', () => {
    expect(overridden.isWorkingDay('2026-03-08')).toBe(true)
    expect(sh(overridden.addWorkingDays(fromShanghai('2026-03-06', 17, 30), 1))).toBe('2026-03-08 17:30')
  })

  it('wins over the library', () => {
    expect(overridden.isWorkingDay('2026-10-05')).toBe(true)
    expect(sh(overridden.addWorkingDays(fromShanghai('2026-09-30', 16), 1))).toBe('2026-10-05 16:00')
  })

  it('lets the later of two overrides for one date win', () => {
    const twice = createWorkCalendar({
      overrides: [
        { date: '2026-03-04', kind: 'holiday' },
        { date: '2026-03-04', kind: 'workday' },
      ],
    })
    expect(twice.isWorkingDay('2026-03-04')).toBe(true)
  })

  it('rejects a malformed override date', () => {
    expect(() => createWorkCalendar({ overrides: [{ date: '2026-13-01', kind: 'holiday' }] })).toThrow(
      RangeError,
    )
  })
})

describe('addHours', () => {
  it('adds plain hours, holidays included', () => {
    const at = fromShanghai('2026-09-30', 23)
    expect(sh(cal.addHours(at, 2))).toBe('2026-10-01 01:00')
    expect(sh(cal.addHours(at, 24))).toBe('2026-10-01 23:00')
    expect(sh(cal.addHours(at, 0.5))).toBe('2026-09-30 23:30')
    expect(() => cal.addHours(at, Number.NaN)).toThrow(RangeError)
  })
})

describe('workingDaysBetween', () => {
  it('counts working days after from’s date up to and including to’s date', () => {
    expect(cal.workingDaysBetween(fromShanghai('2026-03-02', 10), fromShanghai('2026-03-06', 9))).toBe(4)
    expect(cal.workingDaysBetween(fromShanghai('2026-03-06', 18), fromShanghai('2026-03-09', 8))).toBe(1)
    expect(cal.workingDaysBetween(fromShanghai('2026-09-30', 10), fromShanghai('2026-10-08', 9))).toBe(1)
    expect(cal.workingDaysBetween(fromShanghai('2026-09-30', 10), fromShanghai('2026-10-12', 9))).toBe(4)
    expect(cal.workingDaysBetween(fromShanghai('2026-02-13', 10), fromShanghai('2026-02-28', 10))).toBe(6)
  })

  it('is 0 on the same date, and when to is not after from', () => {
    expect(cal.workingDaysBetween(fromShanghai('2026-03-02', 8), fromShanghai('2026-03-02', 20))).toBe(0)
    expect(cal.workingDaysBetween(fromShanghai('2026-03-06', 8), fromShanghai('2026-03-02', 8))).toBe(0)
    const at = fromShanghai('2026-03-02', 8)
    expect(cal.workingDaysBetween(at, at)).toBe(0)
  })

  it('inverts addWorkingDays', () => {
    const at = fromShanghai('2026-09-17', 14)
    for (const n of [1, 2, 5, 10, 30, 120]) {
      expect(cal.workingDaysBetween(at, cal.addWorkingDays(at, n))).toBe(n)
    }
  })
})

describe('knowsYear and missingNextYearWarning', () => {
  it('knows the years chinese-days ships, and years whose notice an admin entered', () => {
    expect(cal.knowsYear(2026)).toBe(true)
    expect(cal.knowsYear(2004)).toBe(true)
    expect(cal.knowsYear(2003)).toBe(false)
    expect(cal.knowsYear(2035)).toBe(false)
    // A single override is not the year's notice.
    const with2035 = createWorkCalendar({ overrides: [{ date: '2035-05-02', kind: 'holiday' }] })
    expect(with2035.knowsYear(2035)).toBe(false)
    const notice2035 = createWorkCalendar({ noticeYears: [2035] })
    expect(notice2035.knowsYear(2035)).toBe(true)
    expect(notice2035.knowsYear(2034)).toBe(false)
  })

  // chinese-days 1.5.7 ships 2004–2026; when an update adds 2027, move these dates on a year.
  it('warns from 1 December (Shanghai) when next year is unknown', () => {
    expect(cal.knowsYear(2027)).toBe(false)
    expect(missingNextYearWarning(cal, fromShanghai('2026-11-30', 23, 59))).toBeNull()
    expect(missingNextYearWarning(cal, new Date('2026-11-30T16:00:00Z'))).toContain('2027') // 12-01 00:00 Shanghai
    const warning = missingNextYearWarning(cal, fromShanghai('2026-12-01', 9))
    expect(warning).toMatch(/notice for 2027 has not been entered/)
    expect(warning).toContain('/console/calendar')
    expect(missingNextYearWarning(cal, fromShanghai('2026-12-31', 23))).toContain('2027')
    expect(missingNextYearWarning(cal, fromShanghai('2034-12-01', 9))).toMatch(/notice for 2034 and 2035/)
  })

  it('keeps warning through a year whose notice is missing, and stops once it is entered', () => {
    expect(missingNextYearWarning(cal, fromShanghai('2034-06-01', 9))).toMatch(/notice for 2034 has/)
    const with2027 = createWorkCalendar({ noticeYears: [2027] })
    expect(missingNextYearWarning(with2027, fromShanghai('2026-12-01', 9))).toBeNull()
    expect(missingNextYearWarning(with2027, fromShanghai('2027-06-01', 9))).toBeNull()
    expect(missingNextYearWarning(with2027, fromShanghai('2027-12-01', 9))).toMatch(/notice for 2028 has/)
    expect(missingNextYearWarning(cal, fromShanghai('2025-12-01', 9))).toBeNull() // 2026 is shipped
    expect(missingNextYearWarning(cal, fromShanghai('2026-06-01', 9))).toBeNull()
  })
})
