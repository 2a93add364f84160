import type { Deps } from '../core/shared/deps'
import { registerCalendarCheckJob } from './calendar-check.job'

/** Every scheduled job, registered in one place. */
export function startJobs(deps: Deps) {
  const tasks = [registerCalendarCheckJob(deps)]
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()))
    },
  }
}
