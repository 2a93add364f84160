import type { Deps } from '../core/shared/deps'
import { registerCalendarCheckJob, registerCalendarReloadJob } from './calendar-check.job'
import { registerFailoverJob } from './failover.job'
import { registerNoticesJob } from './notices.job'
import { registerNudgesJob } from './nudges.job'

/** Every scheduled job, registered in one place. */
export function startJobs(deps: Deps) {
  const tasks = [
    registerCalendarCheckJob(deps),
    registerCalendarReloadJob(deps),
    registerNoticesJob(deps),
    ...registerNudgesJob(deps),
    registerFailoverJob(deps),
  ]
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()))
    },
  }
}
