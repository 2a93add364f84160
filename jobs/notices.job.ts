import cron from 'node-cron'
import { expireDrafts, publishDueNotices } from '../core/notices/broadcast.usecases'
import { advancePublicities } from '../core/notices/publicity.usecases'
import type { Deps } from '../core/shared/deps'

/**
 * Every minute: publish scheduled notices that are due, open, remind and close design publicities, and
 * expire unconfirmed drafts. Each tick runs in
 * one transaction over claimed rows (SKIP LOCKED) and dedupe keys, so two instances never double-send.
 */
export function registerNoticesJob(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal' | 'classifier'>,
) {
  return cron.schedule(
    '* * * * *',
    async () => {
      try {
        const published = await deps.db.transaction((tx) => publishDueNotices({ ...deps, db: tx }))
        const advanced = await deps.db.transaction((tx) => advancePublicities({ ...deps, db: tx }))
        await expireDrafts(deps)
        if (published + advanced > 0) deps.outboxSignal.notify()
      } catch (error) {
        deps.log.error('notices job failed', { err: error })
      }
    },
    { name: 'notices', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
