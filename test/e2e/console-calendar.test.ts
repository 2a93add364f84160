import { and, eq, like } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { fromShanghai, missingNextYearWarning, shanghaiDate, shanghaiParts } from '../../core/sla/calendar'
import { auditLog, calendarOverrides, settings } from '../../db/schema'
import { consoleSuite } from '../support/console'
import type { TestDeps } from '../support/deps'
import { fileIn, makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'

const sh = (at: Date) => {
  const p = shanghaiParts(at)
  return `${shanghaiDate(at)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
}

const notice2027 = [
  '# 国务院办公厅关于2027年部分节假日安排的通知',
  '2027-01-01..2027-01-03 元旦',
  '2027-02-05..2027-02-12 春节',
  '2027-02-14 上班',
  '2027-02-20 上班',
  '2027-04-03..2027-04-05 清明节',
  '2027-05-01..2027-05-05 劳动节',
  '2027-06-09 端午节',
  '2027-09-15 中秋节',
  '2027-10-01..2027-10-07 国庆节',
  '2027-10-09 上班',
].join('\n')

// chinese-days 1.5.7 ships up to 2026: 2027 and 2028 are estimated until their notice is entered.
describe.each(drivers)('console: the working calendar (工作日历) on %s', (driver) => {
  let deps: TestDeps
  const { login } = consoleSuite(driver, (made) => {
    deps = made.deps
  })

  const stored2027 = async () => ({
    overrides: await deps.db.select().from(calendarOverrides).where(like(calendarOverrides.date, '2027-%')),
    notice: await deps.db.select().from(settings).where(eq(settings.key, 'calendar_notice:2027')),
  })

  it('shows the estimate and its warning, refuses a bad notice whole, then enters the year', async () => {
    deps.clock.set(fromShanghai('2026-12-01', 9))
    const admin = await login(deps.adminToken)
    const page = await admin.open('/console/calendar')
    expect(page.status).toBe(200)
    expect(page.html).toContain('2027 年的国务院放假通知尚未录入')
    expect(page.html).toContain('按法定节假日估算（缺国务院通知）')
    expect(page.html).toContain('内置日历（已含国务院安排）') // 2026
    expect(page.html).toContain('<h2>2027 年</h2>')
    expect(page.html).toMatch(
      /2027-02-05<\/td><td data-label="星期">星期五<\/td><td data-label="节日">春节<\/td><td data-label="依据">法定/,
    )
    expect(page.html).toContain('action="/console/calendar/2027"')
    // Every other page of an admin carries the banner pointing here; an officer's does not.
    const inbox = await admin.open('/console')
    expect(inbox.html).toContain('尚未录入 2027 年的国务院放假安排')
    expect(inbox.html).toContain('href="/console/calendar"')

    // A request on Thursday 4 February 2027: 春节 takes 5–8 February, so the answer is due Tuesday the 9th.
    const world = await makeWorld(deps)
    deps.clock.set(fromShanghai('2027-02-04', 10))
    expect(sh((await fileIn(deps, world)).responseDueAt)).toBe('2027-02-09 10:00')
    deps.clock.set(fromShanghai('2026-12-01', 9))

    const bad = await admin.post(page, '/console/calendar/2027', {
      notice: `\n${notice2027}\n2027-02-15 上班\n国庆放七天`,
    })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('通知中有 2 处需要修改，未保存任何内容。')
    expect(bad.html).toContain('第 13 行：2027-02-15 是星期一，本来就上班')
    expect(bad.html).toContain('第 14 行「国庆放七天」看不懂')
    expect(bad.html).toContain('2027-10-09 上班') // the text is kept for correcting
    expect(bad.html).toContain('2027 年的国务院放假通知尚未录入')
    expect(await stored2027()).toEqual({ overrides: [], notice: [] })
    expect(deps.calendar.sourceOf(2027)).toBe('statutory')

    const saved = await admin.post(page, '/console/calendar/2027', { notice: notice2027 })
    expect(saved.status).toBe(303)
    expect(saved.location).toBe('/console/calendar?year=2027&ok=saved')
    const { overrides, notice } = await stored2027()
    expect(notice).toHaveLength(1)
    expect(overrides.filter((o) => o.kind === 'holiday')).toHaveLength(3 + 8 + 3 + 5 + 1 + 1 + 7)
    expect(
      overrides
        .filter((o) => o.kind === 'workday')
        .map((o) => o.date)
        .sort(),
    ).toEqual(['2027-02-14', '2027-02-20', '2027-10-09'])
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'calendar.notice'), eq(auditLog.entityId, '2027')))
    expect(audit).toMatchObject({ via: 'console' })

    // The calendar counts the notice at once, and the warning has stopped.
    expect(deps.calendar.sourceOf(2027)).toBe('notice')
    expect(missingNextYearWarning(deps.calendar, deps.clock.now())).toBeNull()
    deps.clock.set(fromShanghai('2027-02-04', 10))
    expect(sh((await fileIn(deps, world)).responseDueAt)).toBe('2027-02-14 10:00') // the make-up Sunday
    deps.clock.set(fromShanghai('2026-12-01', 9))

    expect((await admin.open('/console')).html).not.toContain('国务院放假安排')
    const after = await admin.open(saved.location!)
    expect(after.html).toContain('已保存这一年的国务院放假通知')
    expect(after.html).not.toContain('2027 年的国务院放假通知尚未录入')
    expect(after.html).toContain('已录入国务院通知')
    expect(after.html).toContain('2027-02-05..2027-02-12 春节') // the form shows the notice again
    expect(after.html).toMatch(
      /2027-02-14<\/td><td data-label="星期">星期日<\/td><td data-label="说明">调休上班/,
    )

    // Entering the year again replaces the days of the first notice.
    const corrected = await admin.post(after, '/console/calendar/2027', {
      notice: '2027-01-01 元旦\n2027-02-05..2027-02-11 春节\n2027-02-14 上班',
    })
    expect(corrected.status).toBe(303)
    const replaced = await stored2027()
    expect(replaced.overrides.map((o) => o.date).sort()).toEqual([
      '2027-01-01',
      '2027-02-05',
      '2027-02-06',
      '2027-02-07',
      '2027-02-08',
      '2027-02-09',
      '2027-02-10',
      '2027-02-11',
      '2027-02-14',
    ])
    expect(deps.calendar.isWorkingDay('2027-02-12')).toBe(true)
    expect(deps.calendar.isWorkingDay('2027-02-20')).toBe(false)
    expect(deps.calendar.isWorkingDay('2027-10-01')).toBe(false) // statutory, whatever the notice says
  })

  it('shows 2028, takes its notice, refuses one for a bundled year, and refuses officers', async () => {
    deps.clock.set(fromShanghai('2026-12-01', 9))
    const admin = await login(deps.adminToken)
    const year2028 = await admin.open('/console/calendar?year=2028')
    expect(year2028.status).toBe(200)
    expect(year2028.html).toContain('<h2>2028 年</h2>')
    expect(year2028.html).toContain('国庆节、中秋节')
    expect(year2028.html).toMatch(
      /2028-01-25<\/td><td data-label="星期">星期二<\/td><td data-label="节日">春节/,
    )

    const year2026 = await admin.open('/console/calendar?year=2026')
    expect(year2026.html).toContain('这一年的安排由内置日历提供')
    expect(year2026.html).not.toContain('action="/console/calendar/2026"')
    const entered2028 = await admin.post(year2028, '/console/calendar/2028', { notice: '2028-01-01 元旦' })
    expect(entered2028.status).toBe(303)
    expect(deps.calendar.sourceOf(2028)).toBe('notice')
    const known = await admin.open('/console/calendar/2026', {
      form: { _csrf: csrf(year2026.html), notice: '2026-01-01 元旦' },
    })
    expect(known.status).toBe(400)
    expect(known.html).toContain('2026 年的放假安排已内置于日历中')
    expect(await admin.open('/console/calendar?year=20x7')).toMatchObject({ status: 400 })

    const world = await makeWorld(deps)
    const officer = await login(world.officer.token)
    expect((await officer.open('/console/calendar')).status).toBe(403)
    const post = await officer.open('/console/calendar/2029', {
      form: { _csrf: csrf((await officer.open('/console')).html), notice: '2029-01-01 元旦' },
    })
    expect(post.status).toBe(403)
    expect(await deps.db.select().from(settings).where(eq(settings.key, 'calendar_notice:2029'))).toEqual([])
  })
})

const csrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!
