// The statutory public holidays of 《全国年节及纪念日放假办法》 as revised from 2025 (国务院令第795号): the days
// off every year by law, known years ahead. The State Council's yearly notice adds the bridges and make-up
// working days (调休) around them; until it is entered, a year after the bundled calendar's uses these alone.
import { Lunar, Solar } from 'lunar-typescript'

export interface StatutoryHoliday {
  /** YYYY-MM-DD */
  date: string
  /** 元旦, 春节, …; two holidays on one day (中秋 on 国庆) are joined: '国庆节、中秋节'. */
  name: string
}

const pad2 = (n: number) => String(n).padStart(2, '0')
const ymd = (solar: Solar) => `${solar.getYear()}-${pad2(solar.getMonth())}-${pad2(solar.getDay())}`

/** The solar date of a lunar date of the lunar year that starts in `year` (month 12 belongs to it too). */
const lunarDay = (year: number, month: number, day: number) => Lunar.fromYmd(year, month, day).getSolar()

/** 清明: the solar term's day, which always falls on 4, 5 or 6 April. */
function qingming(year: number): Solar {
  for (let day = 3; day <= 7; day++) {
    const solar = Solar.fromYmd(year, 4, day)
    if (solar.getLunar().getJieQi() === '清明') return solar
  }
  throw new RangeError(`No 清明 found in April ${year}`)
}

const cache = new Map<number, readonly StatutoryHoliday[]>()

/**
 * 元旦 1 January; 春节 4 days from 除夕 (the day before the lunar new year: 腊月三十, or 廿九 in a short
 * year); 清明; 劳动节 1–2 May; 端午 (五月初五); 中秋 (八月十五); 国庆节 1–3 October. In date order.
 */
export function statutoryHolidays(year: number): readonly StatutoryHoliday[] {
  if (!Number.isInteger(year) || year < 1900 || year > 2099) {
    throw new RangeError(`statutoryHolidays needs a year from 1900 to 2099, got ${year}`)
  }
  const cached = cache.get(year)
  if (cached) return cached
  const days = new Map<string, string[]>()
  const add = (date: string, name: string) => days.set(date, [...(days.get(date) ?? []), name])
  add(`${year}-01-01`, '元旦')
  const eve = lunarDay(year, 1, 1).next(-1)
  for (let i = 0; i < 4; i++) add(ymd(eve.next(i)), '春节')
  add(ymd(qingming(year)), '清明节')
  add(`${year}-05-01`, '劳动节')
  add(`${year}-05-02`, '劳动节')
  add(ymd(lunarDay(year, 5, 5)), '端午节')
  for (const day of [1, 2, 3]) add(`${year}-10-0${day}`, '国庆节')
  add(ymd(lunarDay(year, 8, 15)), '中秋节')
  const list = [...days]
    .map(([date, names]) => ({ date, name: names.join('、') }))
    .sort((a, b) => a.date.localeCompare(b.date))
  cache.set(year, list)
  return list
}

/** 除夕 of the lunar year that begins in `year`, as YYYY-MM-DD. */
export function newYearsEve(year: number): string {
  return ymd(lunarDay(year, 1, 1).next(-1))
}
