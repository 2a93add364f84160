import cron from 'node-cron'
import { runFailover } from '../core/accounts/failover'
import type { Deps } from '../core/shared/deps'

/**
 * Every minute, the accounts' failover (see runFailover): conversations of an account down too long move
 * to another account in the group, and the officers hear of those none can reach. An advisory lock keeps
 * two job runners from doing it at once.
 */
export function registerFailoverJob(deps: Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal'>) {
  return cron.schedule(
    '* * * * *',
    async () => {
      try {
        await runFailover(deps)
      } catch (error) {
        deps.log.error('failover job failed', { err: error })
      }
    },
    { name: 'account-failover', timezone: 'Asia/Shanghai', noOverlap: true },
  )
}
