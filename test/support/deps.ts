import { loadConfig } from '../../config'
import { createClassifier } from '../../core/classify/classifier'
import { createTestClock, type TestClock } from '../../core/shared/clock'
import type { Deps } from '../../core/shared/deps'
import { silentLog } from '../../core/shared/log'
import { createNotifier } from '../../core/shared/notifier'
import { createReloadableCalendar } from '../../core/sla/calendar-store'
import { ensureAdmin } from '../../core/staff/staff.usecases'
import { createTestDatabase, type Driver } from './test-db'

export type TestDeps = Deps & { clock: TestClock; adminToken: string }

/** The same dependencies main.ts builds, over a fresh database and a fake clock (Monday 2 March 2026, 10:00 Shanghai). */
export async function createTestDeps(
  driver: Driver,
  options: { env?: Record<string, string>; start?: string } = {},
): Promise<TestDeps> {
  const database = await createTestDatabase(driver)
  const config = loadConfig({ OUTBOX_POLL_MS: '20', SEND_RETRY_BASE_MS: '0', ...options.env })
  const clock = createTestClock(options.start ?? '2026-03-02T02:00:00Z')
  const adminToken = 'test-admin-token-0123456789'
  await ensureAdmin(database.db, adminToken, clock.now())
  return {
    db: database.db,
    database,
    clock,
    log: silentLog,
    config,
    classifier: createClassifier(),
    calendar: createReloadableCalendar(),
    outboxSignal: createNotifier(),
    adminToken,
  }
}
