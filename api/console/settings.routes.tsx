import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { envSettings } from '../../core/settings/runtime-settings'
import { currentSendPacing, forgetSendPacing, setSendPacing } from '../../core/settings/send-pacing'
import {
  forgetYearTargets,
  getYearTargets,
  listYearTargets,
  setYearTargets,
  workPlanTargets,
} from '../../core/settings/year-targets'
import { assertRole } from '../../core/shared/actor'
import { isAppError } from '../../core/shared/errors'
import { shanghaiParts } from '../../core/sla/calendar'
import {
  actorOf,
  type C,
  type ConsoleKit,
  field,
  noticeReader,
  render,
  statusOf,
  viewerOf,
  yearParam,
} from './kit'
import type { ConsoleEnv } from './session'
import { SettingsPage, settingsHref, type TargetFormValues } from './settings.page'

const noticeOf = noticeReader({
  targets: '年度目标已保存，数据看板和统计接口即时采用。',
  pacing: '发送节奏已保存，几秒内对所有实例生效。',
})

/** A whole number as a number; anything else as typed, for the use case's schema to refuse in Chinese. */
const wholeOrText = (value: string | undefined) =>
  value !== undefined && /^-?\d{1,9}$/.test(value) ? Number(value) : value

/** 设置与目标: the year's targets (stored, editable) and the settings read from the environment (admins). */
export function registerSettingsPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit

  const settingsPage = async (
    c: C,
    options: {
      values?: TargetFormValues
      pacingError?: string
      error?: string
      notice?: string
      status?: ContentfulStatusCode
    } = {},
  ) => {
    assertRole(c.get('staff'), [])
    let values = options.values
    if (!values) {
      const year = yearParam(c.req.query('year')) ?? shanghaiParts(deps.clock.now()).year
      const target = (await getYearTargets(deps))[String(year)] ?? workPlanTargets
      values = {
        year: String(year),
        started: String(target.started),
        completed: String(target.completed),
        investmentYuan: target.investmentYuan,
      }
    }
    return render(
      c,
      <SettingsPage
        viewer={viewerOf(c)}
        targets={await listYearTargets(deps)}
        values={values}
        env={envSettings(deps.config)}
        pacing={await currentSendPacing(deps)}
        pacingError={options.pacingError}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )
  }

  app.get('/settings', (c) => settingsPage(c, { notice: noticeOf(c) }))

  app.post('/settings/targets', async (c) => {
    assertRole(c.get('staff'), [])
    const body = await c.req.parseBody()
    const values: TargetFormValues = { year: '', started: '', completed: '', investmentYuan: '' }
    let year = 0
    try {
      values.year = field(body, 'year', 10, '年度') ?? ''
      values.started = field(body, 'started', 12, '开工目标') ?? ''
      values.completed = field(body, 'completed', 12, '完工目标') ?? ''
      values.investmentYuan = field(body, 'investmentYuan', 24, '投资目标') ?? ''
      const saved = await mutate((ctx) =>
        setYearTargets(ctx, actorOf(c), {
          year: wholeOrText(values.year),
          started: wholeOrText(values.started),
          completed: wholeOrText(values.completed),
          // People write 1,280,000,000: the separators go, the figure stays a string in 元.
          investmentYuan: values.investmentYuan.replace(/[,，\s]/g, ''),
        }),
      )
      year = saved.year
    } catch (error) {
      if (!isAppError(error)) throw error
      return settingsPage(c, { values, error: error.message, status: statusOf(error) })
    }
    // Committed: no copy of the old targets may outlive it in this process.
    forgetYearTargets(deps.config)
    return c.redirect(`${settingsHref}?ok=targets&year=${year}`, 303)
  })

  app.post('/settings/pacing', async (c) => {
    assertRole(c.get('staff'), [])
    const body = await c.req.parseBody()
    try {
      await mutate((ctx) =>
        setSendPacing(ctx, actorOf(c), {
          quietOff: body.quietOff === '1',
          quietFrom: field(body, 'quietFrom', 10, '免打扰开始时间'),
          quietTo: field(body, 'quietTo', 10, '免打扰结束时间'),
          minGapSeconds: field(body, 'minGapSeconds', 10, '发送间隔'),
          ratePerMinute: field(body, 'ratePerMinute', 10, '每分钟最多发送'),
          dailyCap: field(body, 'dailyCap', 10, '每日发送上限'),
        }),
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return settingsPage(c, { pacingError: error.message, status: statusOf(error) })
    }
    forgetSendPacing(deps.config)
    return c.redirect(`${settingsHref}?ok=pacing`, 303)
  })
}
