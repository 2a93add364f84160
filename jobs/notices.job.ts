import cron from 'node-cron'
import { advanceNotices } from '../core/notices/lifecycle'
import type { Deps } from '../core/shared/deps'

/** Every minute, the notices' lifecycle tick (see advanceNotices); the sender is woken when it wrote. */
export function registerNoticesJob(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal' | 'classifier' | 'calendar'>,
) {
  return cron.schedule(
    '* * * * *',
    async () => {
      try {
        if ((await advanceNotices(deps)) > 0) deps.outboxSignal.notify()
      } catch (error) {
        deps.log.error('notices job failed', { err: error })
      }
    },
    { name: 'notices', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
