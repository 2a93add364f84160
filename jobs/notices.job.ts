import cron from 'node-cron'
import { expireDrafts, publishDueNotices } from '../core/notices/broadcast.usecases'
import type { Deps } from '../core/shared/deps'

/**
 * Every minute: publish scheduled notices that are due and expire unconfirmed drafts. Each tick runs in
 * one transaction over claimed rows (SKIP LOCKED) and dedupe keys, so two instances never double-send.
 */
export function registerNoticesJob(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal'>) {
  return cron.schedule(
    '* * * * *',
    async () => {
      try {
        const published = await deps.db.transaction((tx) => publishDueNotices({ ...deps, db: tx }))
        await expireDrafts(deps)
        if (published > 0) deps.outboxSignal.notify()
      } catch (error) {
        deps.log.error('notices job failed', { err: error })
      }
    },
    { name: 'notices', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
