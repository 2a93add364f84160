import cron from 'node-cron'
import { recordRun } from '../core/nudges/job-runs'
import { scanOverdue } from '../core/nudges/nudges.usecases'
import type { Deps } from '../core/shared/deps'

/** Every minute: the overdue scan (see scanOverdue); each run is recorded in job_runs. */
export function registerNudgesJob(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'calendar' | 'log' | 'outboxSignal'>,
) {
  return cron.schedule(
    '* * * * *',
    async () => {
      try {
        const nudged = await recordRun(deps.db, deps.clock, 'overdue-scan', () =>
          deps.db.transaction((tx) => scanOverdue({ ...deps, db: tx })),
        )
        if (nudged > 0) deps.outboxSignal.notify()
      } catch (error) {
        deps.log.error('overdue scan failed', { err: error })
      }
    },
    { name: 'overdue-scan', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
