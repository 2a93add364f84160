import cron from 'node-cron'
import { sendDigests } from '../core/nudges/digest'
import { recordRun } from '../core/nudges/job-runs'
import { scanOverdue } from '../core/nudges/nudges.usecases'
import type { Deps } from '../core/shared/deps'

type JobDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'calendar' | 'log' | 'outboxSignal'>

/**
 * Every minute the nudge engine's tick (see scanOverdue); at 09:00 the daily digest (see sendDigests),
 * which does nothing on non-working days. Each run is recorded in job_runs; each takes an advisory lock,
 * so with several instances one of them does the work.
 */
export function registerNudgesJob(deps: JobDeps) {
  return [
    schedule(deps, 'overdue-scan', '* * * * *', (db) => scanOverdue({ ...deps, db })),
    schedule(deps, 'daily-digest', '0 9 * * *', (db) => sendDigests({ ...deps, db })),
  ]
}

function schedule(
  deps: JobDeps,
  name: string,
  expression: string,
  body: (tx: Parameters<Parameters<Deps['db']['transaction']>[0]>[0]) => Promise<number>,
) {
  return cron.schedule(
    expression,
    async () => {
      try {
        const items = await recordRun(deps.db, deps.clock, name, () => deps.db.transaction(body))
        if (items > 0) deps.outboxSignal.notify()
      } catch (error) {
        deps.log.error(`${name} failed`, { err: error })
      }
    },
    { name, timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
