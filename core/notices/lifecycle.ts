import type { DbOrTx } from '../../db/client'
import { advanceCampaigns } from '../consent/campaigns'
import type { Deps } from '../shared/deps'
import { expireDrafts, publishDueNotices } from './broadcast.usecases'
import { advanceFeeNotices } from './fee.usecases'
import { advancePublicities } from './publicity.usecases'
import { publishDueSchedules, remindPhaseEves } from './schedule.usecases'

/**
 * One tick of every notice's life, at `clock.now()`: publish due broadcasts; open, remind and close design
 * publicities; remind buildings the evening before a construction phase; publish fee notices and their
 * reminders; open and close consent campaigns; expire unconfirmed drafts. Each step is its own transaction over claimed rows (SKIP LOCKED)
 * and writes with dedupe keys, so repeating a tick, or running it on two instances, posts nothing twice.
 * Returns how many messages or state changes it made.
 */
export async function advanceNotices(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'classifier' | 'calendar'>,
) {
  const step = (work: (ctx: Omit<typeof deps, 'db'> & { db: DbOrTx }) => Promise<number>) =>
    deps.db.transaction((tx) => work({ ...deps, db: tx }))
  let changed = await step(publishDueNotices)
  changed += await step(advancePublicities)
  changed += await step(publishDueSchedules)
  changed += await step(remindPhaseEves)
  changed += await step(advanceFeeNotices)
  changed += await step(advanceCampaigns)
  changed += await expireDrafts(deps)
  return changed
}
