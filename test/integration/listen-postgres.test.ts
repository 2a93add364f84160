import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../../db/client'
import { relayTo } from '../support/tcp-relay'
import { createTestDatabase, drivers } from '../support/test-db'

/**
 * Database.listen on PostgreSQL (the staff cache hangs on it): notifications arrive, a dropped connection
 * makes the subscription inactive at once, and it listens again once the server is back.
 */
describe.skipIf(!drivers.includes('postgres'))('LISTEN through Database.listen (PostgreSQL)', () => {
  let direct: Awaited<ReturnType<typeof createTestDatabase>>
  let relay: Awaited<ReturnType<typeof relayTo>>
  let through: Database
  let notifier: postgres.Sql

  beforeAll(async () => {
    direct = await createTestDatabase('postgres')
    relay = await relayTo(new URL(direct.url!))
    through = await openDatabase({ url: relay.url, connectTimeoutSeconds: 2 })
    notifier = postgres(direct.url!, { max: 1, onnotice: () => {} })
  })
  afterAll(async () => {
    await notifier.end({ timeout: 1 })
    await through.close()
    await relay.close()
    await direct.close()
  })

  it('hears notifications, goes inactive when the connection drops and listens again when it is back', async () => {
    let calls = 0
    const subscription = through.listen('gaizao_listen_test', () => calls++)
    await expect.poll(() => subscription.active, { timeout: 10_000 }).toBe(true)
    expect(calls).toBe(1) // listening began: whatever was sent before is unknown
    await notifier`select pg_notify('gaizao_listen_test', '')`
    await expect.poll(() => calls, { timeout: 5_000 }).toBe(2)

    await relay.cut()
    await expect.poll(() => subscription.active, { timeout: 5_000 }).toBe(false)
    await notifier`select pg_notify('gaizao_listen_test', '')`
    // Longer than one retry: the first attempts fail against the cut relay and must be tried again.
    await new Promise((resolve) => setTimeout(resolve, 4_500))
    expect(calls).toBe(2)

    await relay.restore()
    await expect.poll(() => subscription.active, { timeout: 15_000, interval: 100 }).toBe(true)
    expect(calls).toBe(3)
    await notifier`select pg_notify('gaizao_listen_test', '')`
    await expect.poll(() => calls, { timeout: 5_000 }).toBe(4)
  }, 60_000)
})
