import { describe, expect, it } from 'vitest'
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../../core/shared/db-errors'
import { createDatabaseHealth } from '../../db/health'

const coded = (code: string) => Object.assign(new Error(code), { code })
const never = () => new Promise<never>(() => {})
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(condition()).toBe(true)
}

describe('isDatabaseUnavailable', () => {
  it('knows socket, postgres.js and server-going-away errors, wrapped or not', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'CONNECTION_CLOSED',
      'CONNECTION_ENDED',
      'CONNECT_TIMEOUT',
    ]) {
      expect(isDatabaseUnavailable(coded(code)), code).toBe(true)
    }
    for (const state of ['57P01', '57P02', '57P03', '08006', '08001', '53300']) {
      expect(isDatabaseUnavailable(coded(state)), state).toBe(true)
    }
    expect(isDatabaseUnavailable(new DatabaseUnavailableError())).toBe(true)
    // drizzle wraps the driver's error as its cause; Node's connect to several addresses aggregates.
    expect(isDatabaseUnavailable(new Error('Failed query: select 1', { cause: coded('57P01') }))).toBe(true)
    expect(isDatabaseUnavailable(new AggregateError([coded('ECONNREFUSED')], 'connect'))).toBe(true)
  })

  it('leaves query mistakes and timeouts alone', () => {
    for (const state of ['23505', '22021', '57014', '42P01']) {
      expect(isDatabaseUnavailable(coded(state)), state).toBe(false)
    }
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false)
  })
})

describe('database health', () => {
  const timings = { probeTimeoutMs: 100, suspectAfterMs: 50, retryEveryMs: 50 }

  it('fails a query the server never answers, refuses new work while down, and resumes by itself', async () => {
    let frozen = true
    let probes = 0
    let resets = 0
    const health = createDatabaseHealth({
      ...timings,
      probe: () => {
        probes++
        return frozen ? never() : Promise.resolve()
      },
      resetProbe: () => resets++,
    })
    try {
      await expect(health.run(never)).rejects.toBeInstanceOf(DatabaseUnavailableError)
      expect(health.available()).toBe(false)
      expect(resets).toBeGreaterThan(0)
      let called = false
      await expect(
        health.run(async () => {
          called = true
        }),
      ).rejects.toBeInstanceOf(DatabaseUnavailableError)
      expect(called).toBe(false)
      await expect(health.ping()).rejects.toBeInstanceOf(DatabaseUnavailableError)

      frozen = false
      const probesBefore = probes
      await until(() => health.available())
      expect(probes).toBeGreaterThan(probesBefore)
      expect(await health.run(async () => 'answered')).toBe('answered')
      await health.ping()
    } finally {
      health.stop()
    }
  })

  it('probes after a connection error but stays up when the server answers', async () => {
    let probes = 0
    const health = createDatabaseHealth({
      ...timings,
      probe: async () => {
        probes++
      },
      resetProbe: () => {},
    })
    try {
      await expect(health.run(() => Promise.reject(coded('ECONNRESET')))).rejects.toMatchObject({
        code: 'ECONNRESET',
      })
      await until(() => probes > 0)
      expect(health.available()).toBe(true)
      // A query that is merely slow is not failed while the probe answers.
      const slow = await health.run(() => new Promise((resolve) => setTimeout(() => resolve('slow'), 300)))
      expect(slow).toBe('slow')
      expect(health.available()).toBe(true)
    } finally {
      health.stop()
    }
  })

  it('marks the database down when the probe is refused, and fails what was waiting', async () => {
    let refused = true
    const health = createDatabaseHealth({
      ...timings,
      probe: () => (refused ? Promise.reject(coded('ECONNREFUSED')) : Promise.resolve()),
      resetProbe: () => {},
    })
    try {
      const waiting = health.run(never)
      await expect(health.run(() => Promise.reject(coded('CONNECTION_CLOSED')))).rejects.toMatchObject({
        code: 'CONNECTION_CLOSED',
      })
      await expect(waiting).rejects.toBeInstanceOf(DatabaseUnavailableError)
      expect(health.available()).toBe(false)
      refused = false
      await until(() => health.available())
    } finally {
      health.stop()
    }
  })
})
