import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createNotifier,
  createPostgresNotifier,
  outboxChannel,
  type SharedNotifier,
} from '../../core/shared/notifier'
import { type Database, openDatabase } from '../../db/client'
import { relayTo } from '../support/tcp-relay'
import { createTestDatabase, drivers } from '../support/test-db'

const silent = { debug: () => {}, info: () => {} }

/** Whether `act` wakes `notifier` within `ms` (a wake-up already pending does not count). */
async function wokenWithin(notifier: SharedNotifier, ms: number, act: () => void) {
  await notifier.wait(0)
  const start = Date.now()
  const waiting = notifier.wait(ms)
  act()
  await waiting
  return Date.now() - start < ms
}

/** Whether `notifier` is woken within `ms`, by a wake-up pending already (an echo come back early) or later. */
async function wakesWithin(notifier: SharedNotifier, ms: number) {
  const start = Date.now()
  await notifier.wait(ms)
  return Date.now() - start < ms
}

describe('the in-process notifier', () => {
  it('wakes a waiter at once, and remembers a notify made before the wait', async () => {
    const notifier = createNotifier()
    let woken = false
    const waiting = notifier.wait(60_000).then(() => {
      woken = true
    })
    await Promise.resolve()
    expect(woken).toBe(false)
    notifier.notify()
    await waiting
    expect(woken).toBe(true)
    notifier.notify()
    await notifier.wait(60_000)
  })
})

describe.skipIf(!drivers.includes('postgres'))('the outbox signal across processes (PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let relay: Awaited<ReturnType<typeof relayTo>>
  let watcher: postgres.Sql
  const heard: string[] = []
  const notifiers: SharedNotifier[] = []
  const databases: Database[] = []
  /** A process of its own: its own pool and listening connection. */
  const make = async (url: string, listen: boolean) => {
    const process = await openDatabase({ url, connectTimeoutSeconds: 2 })
    databases.push(process)
    const notifier = createPostgresNotifier({ database: process, log: silent, listen })
    notifiers.push(notifier)
    return notifier
  }

  beforeAll(async () => {
    database = await createTestDatabase('postgres')
    relay = await relayTo(new URL(database.url!))
    watcher = postgres(database.url!, { max: 1, onnotice: () => {} })
    await watcher.listen(outboxChannel, (payload) => heard.push(payload))
  })
  afterAll(async () => {
    for (const notifier of notifiers) await notifier.close()
    for (const process of databases) await process.close()
    await watcher.end({ timeout: 1 })
    await relay.close()
    await database.close()
  })

  it("wakes another process's sender, and its own at once", async () => {
    const sender = await make(database.url!, true)
    const api = await make(database.url!, false)
    // The listener is subscribed once a wake-up sent now reaches it.
    await expect.poll(() => wokenWithin(sender, 500, () => api.notify()), { timeout: 10_000 }).toBe(true)
    // The other process is done: no wake-up of its own can be sent late from here on.
    await api.close()
    // Its own notify wakes it at once, and its NOTIFY coming back does not wake it a second time. First the
    // wake-ups still on their way are let in, until 300 ms pass without one. A stray one arriving later still
    // on a loaded machine (CI, 7 December, twice) spoils one attempt; an echo that woke the sender would
    // spoil every one.
    let clean = false
    for (let attempt = 0; attempt < 3 && !clean; attempt++) {
      await expect.poll(() => wokenWithin(sender, 300, () => {}), { timeout: 10_000 }).toBe(false)
      const before = heard.length
      expect(await wokenWithin(sender, 5_000, () => sender.notify())).toBe(true)
      await expect.poll(() => heard.length, { timeout: 5_000 }).toBe(before + 1)
      clean = !(await wakesWithin(sender, 300))
    }
    expect(clean).toBe(true)
  })

  it('sends a burst of notifies as one NOTIFY', async () => {
    const api = await make(database.url!, false)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const before = heard.length
    for (let i = 0; i < 100; i++) api.notify()
    await expect.poll(() => heard.length, { timeout: 5_000 }).toBe(before + 1)
    // And nothing more trails behind it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(heard.length).toBe(before + 1)
  })

  it('listens again after the connection to PostgreSQL is cut and comes back (a database restart)', async () => {
    const sender = await make(relay.url, true)
    const api = await make(database.url!, false)
    await expect.poll(() => wokenWithin(sender, 500, () => api.notify()), { timeout: 10_000 }).toBe(true)
    await relay.cut()
    // While cut, nothing reaches it.
    expect(await wokenWithin(sender, 500, () => api.notify())).toBe(false)
    // Longer than one retry (every 2 s) of the listening connection.
    await new Promise((resolve) => setTimeout(resolve, 4_500))
    await relay.restore()
    await expect
      .poll(() => wokenWithin(sender, 1_000, () => api.notify()), { timeout: 30_000, interval: 200 })
      .toBe(true)
    // Not just the wake-up of listening again: the next NOTIFY arrives too.
    expect(await wokenWithin(sender, 5_000, () => api.notify())).toBe(true)
  }, 60_000)
})
