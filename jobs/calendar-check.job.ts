import cron from 'node-cron'
import type { Deps } from '../core/shared/deps'
import { missingNextYearWarning } from '../core/sla/calendar'
import { reloadCalendar } from '../core/sla/calendar-store'

/**
 * Every five minutes: reload admins' calendar overrides and entered notices, so what is entered on one
 * instance reaches the others' deadlines and warnings without a restart.
 */
export function registerCalendarReloadJob(deps: Pick<Deps, 'calendar' | 'db' | 'log'>) {
  return cron.schedule(
    '*/5 * * * *',
    async () => {
      try {
        await reloadCalendar(deps)
      } catch (error) {
        deps.log.error('calendar reload failed', { err: error })
      }
    },
    { name: 'calendar-reload', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}

/** Every morning: warn while this year's or (from 1 December) next year's State Council notice is missing. */
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
