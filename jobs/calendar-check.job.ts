import cron from 'node-cron'
import type { Deps } from '../core/shared/deps'
import { missingNextYearWarning } from '../core/sla/calendar'

/** Every morning from 1 December on: warn while next year's holiday calendar is still missing. */
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
