import { afterAll, describe, expect, it } from 'vitest'
import { freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { createTestDatabase } from '../support/test-db'

/**
 * Two Gaizao processes configured with the same account and database: the second says who holds the
 * account and waits; when the first dies without a word (SIGKILL), the second takes over within the
 * lease. Needs PostgreSQL (TEST_DATABASE_URL): two processes share it.
 */
describe.runIf(Boolean(process.env.TEST_DATABASE_URL))(
  'one bot account, two processes (needs PostgreSQL)',
  () => {
    const processes: GaizaoProcess[] = []
    let gateway: Gateway | undefined
    let closeDatabase = async () => {}
    afterAll(async () => {
      for (const p of processes) await p.cleanup()
      await gateway?.close()
      await closeDatabase()
    })

    it('keeps the second process waiting, and lets it take over when the first dies', async () => {
      const database = await createTestDatabase('postgres')
      closeDatabase = () => database.close()
      gateway = await startGateway({ port: await freePort() })
      const env = { ...gateway.env, DATABASE_URL: database.url!, BOT_LEASE_SECONDS: '6' }
      const first = await startGaizaoProcess(env)
      processes.push(first)
      await first.until(async () => (await first.readyz()).status === 200, 'the first process online', 60_000)
      const second = await startGaizaoProcess(env)
      processes.push(second)
      await second.until(
        async () => (await second.readyz()).body.bot?.state === 'waiting_lease',
        'the second process waiting for the lease',
        60_000,
      )
      expect(second.lines.some((l) => l.includes('another process holds this bot account'))).toBe(true)
      expect((await second.readyz()).status).toBe(503)
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      expect((await second.readyz()).body.bot?.state).toBe('waiting_lease')

      await first.stop('SIGKILL')
      const tookOver = await second.until(
        async () => (await second.readyz()).status === 200,
        'the second process taking over',
        30_000,
      )
      process.stdout.write(`lease taken over ${tookOver} ms after the holder was killed\n`)
      // The lease is 6 s and is checked every 2 s: the take-over comes within about 8 s of the death.
      expect(tookOver).toBeLessThan(15_000)
      expect(second.lines.some((l) => l.includes('lease taken over'))).toBe(true)
    }, 150_000)
  },
)
