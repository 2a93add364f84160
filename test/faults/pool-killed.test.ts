import { sql } from 'drizzle-orm'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '../../core/shared/db-errors'
import { type Database, rowsOf } from '../../db/client'
import { createTestDatabase } from '../support/test-db'

/**
 * The pool's backends killed under it (pg_terminate_backend, as a restart or a DBA does): queries fail
 * with an error the API answers 503, the process does not die (postgres.js 3.4.9 threw an uncatchable
 * TypeError from nextWrite when a transaction's ROLLBACK was written to a closed socket; see
 * patches/postgres+3.4.9.patch), and the pool serves the next query by itself.
 */
describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('database backends killed (needs PostgreSQL)', () => {
  let database: Database & { url?: string }
  let admin: postgres.Sql
  const uncaught: unknown[] = []
  const onUncaught = (error: unknown) => uncaught.push(error)

  beforeAll(async () => {
    database = await createTestDatabase('postgres')
    admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} })
    process.on('uncaughtException', onUncaught)
  })
  afterAll(async () => {
    process.off('uncaughtException', onUncaught)
    await admin.end()
    await database.close()
  })

  const databaseName = () => new URL(database.url!).pathname.slice(1)
  /** Kills every backend of the pool (not the health probe's), as a restart would. */
  const killPool = () =>
    admin`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = ${databaseName()} and application_name = 'gaizao' and pid <> pg_backend_pid()`
  const one = async () => rowsOf<{ one: number }>(await database.db.execute(sql`select 1 as one`))[0]?.one
  /**
   * Lets any write postgres.js scheduled with setImmediate run, then proves the pool works again within 2 s.
   * A connection killed a moment ago may not have read its termination notice yet: the query that lands on
   * it fails as unavailable (a 503, as after a real restart), and the next one gets a fresh connection.
   */
  const settleAndReconnect = async () => {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
    let answer: unknown
    for (let attempt = 0; attempt < 20 && answer === undefined; attempt++) {
      answer = await one().catch((error: unknown) => {
        if (!isDatabaseUnavailable(error)) throw error
        return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))
      })
    }
    expect(answer).toBe(1)
  }

  it('rejects a transaction whose backend dies mid-query, without an uncaught error, and reconnects', async () => {
    let pid: number | undefined
    const transaction = database.db.transaction(async (tx) => {
      pid = rowsOf<{ pid: number }>(await tx.execute(sql`select pg_backend_pid() as pid`))[0]!.pid
      await tx.execute(sql`select pg_sleep(5)`)
    })
    const outcome = transaction.then(
      () => undefined,
      (error: unknown) => error,
    )
    while (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20))
    await admin`select pg_terminate_backend(${pid})`
    const error = await outcome
    expect(error).toBeDefined()
    expect(isDatabaseUnavailable(error)).toBe(true)
    await settleAndReconnect()
    expect(uncaught).toEqual([])
  })

  it('survives its whole pool being killed five times under load; every failure is a 503 kind', {
    timeout: 60_000,
  }, async () => {
    await database.db.execute(sql`create table if not exists fault_probe (id serial primary key, n int)`)
    const failures: unknown[] = []
    let committed = 0
    let running = true
    const worker = async (n: number) => {
      while (running) {
        try {
          await database.db.transaction(async (tx) => {
            await tx.execute(sql`insert into fault_probe (n) values (${n})`)
            await tx.execute(sql`select pg_sleep(0.01)`)
          })
          committed++
        } catch (error) {
          failures.push(error)
        }
      }
    }
    const workers = Array.from({ length: 8 }, (_, n) => worker(n))
    for (let round = 0; round < 5; round++) {
      const before = committed
      const deadline = Date.now() + 10_000
      while (committed < before + 10) {
        if (Date.now() > deadline) throw new Error(`round ${round}: no commits within 10 s of the kill`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      await killPool()
    }
    running = false
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all(workers),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('a transaction never settled after the kills')), 10_000)
      }),
    ]).finally(() => clearTimeout(timer))
    await settleAndReconnect()
    expect(uncaught).toEqual([])
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.filter((error) => !isDatabaseUnavailable(error))).toEqual([])
    const stored = rowsOf<{ n: number }>(
      await database.db.execute(sql`select count(*)::int as n from fault_probe`),
    )
    expect(stored[0]!.n).toBeGreaterThanOrEqual(committed)
  })
})
