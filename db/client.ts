import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import * as schema from './schema'

export type Schema = typeof schema
export type Db = PgDatabase<PgQueryResultHKT, Schema>
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>
/** Repositories take either, so a use case can pass its transaction down. */
export type DbOrTx = Db | Tx

export interface Database {
  db: Db
  driver: 'pglite' | 'postgres'
  /** PGlite only: the whole data directory as a tarball. */
  dump?: () => Promise<Blob | File>
  /** Runs `SELECT 1`; used by /readyz. */
  ping(): Promise<void>
  close(): Promise<void>
}

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url))
// Any constant shared by all instances: two instances starting together must not migrate at once.
const migrationLockKey = 7_301_202_004

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  url?: string
  /** PGlite data directory; absent means in memory (tests). */
  dataDir?: string
  poolSize?: number
  /** A PGlite data dump to start from (tests load an already migrated one). */
  template?: Blob
}

/** Opens the store and brings its schema up to date. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10)
  return openPglite(options.dataDir, options.template)
}

async function openPglite(dataDir: string | undefined, template: Blob | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const client = new PGlite(dataDir, template ? { loadDataDir: template } : {})
  const db = drizzlePglite({ client, schema }) as unknown as Db
  await migratePglite(db as never, { migrationsFolder })
  return {
    db,
    driver: 'pglite',
    dump: () => client.dumpDataDir('none'),
    ping: async () => {
      await client.query('select 1')
    },
    close: () => client.close(),
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const quiet = { onnotice: () => {} }
  const migrator = postgres(url, { max: 1, ...quiet })
  try {
    await migrator`select pg_advisory_lock(${migrationLockKey})`
    await migratePostgres(drizzlePostgres({ client: migrator, schema }), { migrationsFolder })
    await migrator`select pg_advisory_unlock(${migrationLockKey})`
  } finally {
    await migrator.end()
  }
  const client = postgres(url, { max: poolSize, ...quiet })
  const db = drizzlePostgres({ client, schema }) as unknown as Db
  return {
    db,
    driver: 'postgres',
    ping: async () => {
      await client`select 1`
    },
    close: () => client.end({ timeout: 5 }),
  }
}

/** postgres.js returns rows as an array, PGlite as `{ rows }`: raw queries go through this. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}
