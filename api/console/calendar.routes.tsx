import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { assertRole } from '../../core/shared/actor'
import { invalid, isAppError } from '../../core/shared/errors'
import { missingNoticeYears, shanghaiParts } from '../../core/sla/calendar'
import { enterYearNoticeText, formatNoticeText } from '../../core/sla/calendar-notice'
import { calendarYears, describeYear } from '../../core/sla/calendar-year'
import { CalendarPage, calendarHref } from './calendar.page'
import { actorOf, type C, type ConsoleKit, noticeReader, render, statusOf, viewerOf, yearParam } from './kit'
import type { ConsoleEnv } from './session'

const noticeOf = noticeReader({
  saved: '已保存这一年的国务院放假通知：按工作日计算的期限从现在起按它计算。',
})

/** 工作日历: statutory holidays and the State Council's 调休 by year (admins). */
export function registerCalendarPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock, calendar } = deps

  const page = async (
    c: C,
    year: number | undefined,
    options: { text?: string; lines?: readonly string[]; error?: string; status?: ContentfulStatusCode } = {},
  ) => {
    assertRole(c.get('staff'), [])
    const now = clock.now()
    const { year: thisYear, month } = shanghaiParts(now)
    const shown = year ?? (month === 12 ? thisYear + 1 : thisYear)
    const view = await describeYear(db, calendar, shown)
    return render(
      c,
      <CalendarPage
        viewer={viewerOf(c)}
        years={await calendarYears(db, calendar, thisYear)}
        view={view}
        missing={missingNoticeYears(calendar, now)}
        text={options.text ?? (view.notice ? formatNoticeText(view.notice) : undefined)}
        lines={options.lines}
        error={options.error}
        notice={noticeOf(c)}
      />,
      options.status ?? 200,
    )
  }

  app.get('/calendar', (c) => page(c, yearParam(c.req.query('year'))))

  app.post('/calendar/:year', async (c) => {
    assertRole(c.get('staff'), [])
    const year = yearParam(c.req.param('year'))!
    const body = await c.req.parseBody()
    // Not trimmed: the errors name lines by their number in the text as typed.
    const text = typeof body.notice === 'string' ? body.notice : ''
    try {
      if (text.length > 8000) throw invalid('console.too_long', '通知内容不超过 8000 字。')
      const data = await mutate((ctx) => enterYearNoticeText(ctx.db, actorOf(c), year, text, clock.now()))
      // After the commit: deadlines computed from now on count the notice's days.
      calendar.reload(data)
    } catch (error) {
      if (!isAppError(error)) throw error
      const lines = (error.details as { lines?: string[] } | undefined)?.lines
      return page(c, year, {
        text: text.slice(0, 8000),
        lines,
        error: lines ? `通知中有 ${lines.length} 处需要修改，未保存任何内容。` : error.message,
        status: statusOf(error),
      })
    }
    return c.redirect(`${calendarHref}?year=${year}&ok=saved`, 303)
  })
}
