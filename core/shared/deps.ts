import type { Config } from '../../config'
import type { Database, Db } from '../../db/client'
import type { Classifier } from '../classify/classifier'
import type { ReloadableCalendar } from '../sla/calendar-store'
import type { Clock } from './clock'
import type { Log } from './log'
import type { Notifier } from './notifier'

/** Everything a use case may need, built once in main.ts (or by tests). */
export interface Deps {
  db: Db
  database: Database
  clock: Clock
  log: Log
  config: Config
  classifier: Classifier
  calendar: ReloadableCalendar
  /** Wakes the outbox sender after a commit; a no-op when nothing listens. */
  outboxSignal: Notifier
}
