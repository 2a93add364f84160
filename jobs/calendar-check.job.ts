import cron from 'node-cron'
import type { Deps } from '../core/shared/deps'
import { missingNextYearWarning } from '../core/sla/calendar'
import { listOverrides } from '../core/sla/calendar-store'

/** Every morning from 1 December on: warn while next year's holiday calendar is still missing. */
/**
 * Every five minutes: reload admins' calendar overrides, so an override entered on one instance reaches
 * the others' deadlines without a restart.
 */
export function registerCalendarReloadJob(deps: Pick<Deps, 'calendar' | 'db' | 'log'>) {
  return cron.schedule(
    '*/5 * * * *',
    async () => {
      try {
        deps.calendar.reload(await listOverrides(deps.db))
      } catch (error) {
        deps.log.error('calendar reload failed', { err: error })
      }
    },
    { name: 'calendar-reload', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}

export function registerCalendarCheckJob(deps: Pick<Deps, 'calendar' | 'clock' | 'log'>) {
  return cron.schedule(
    '0 9 * * *',
    () => {
      const warning = missingNextYearWarning(deps.calendar, deps.clock.now())
      if (warning) deps.log.warn(warning)
    },
    { name: 'calendar-check', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
