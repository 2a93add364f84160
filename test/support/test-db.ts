import { readFile } from 'node:fs/promises'
import postgres from 'postgres'
import { inject } from 'vitest'
import { type Database, openDatabase } from '../../db/client'

export type Driver = 'pglite' | 'postgres'

/** PGlite always; the local Postgres too when TEST_DATABASE_URL is set (CI sets it). */
export const drivers: Driver[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite']

/**
 * A fresh, migrated database of its own: PGlite in memory from the migrated template, or a new Postgres
 * database created beside TEST_DATABASE_URL and dropped on close.
 */
export async function createTestDatabase(driver: Driver): Promise<Database & { url?: string }> {
  if (driver === 'pglite') {
    const template = new Blob([await readFile(inject('pgliteTemplate'))])
    return openDatabase({ template })
  }
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DATABASE_URL is not set')
  const name = `gaizao_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  const admin = postgres(url, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const target = new URL(url)
  target.pathname = `/${name}`
  const database = await openDatabase({ url: target.toString(), poolSize: 5 })
  return {
    ...database,
    url: target.toString(),
    async close() {
      await database.close()
      const cleanup = postgres(url, { max: 1, onnotice: () => {} })
      await cleanup.unsafe(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    },
  }
}
