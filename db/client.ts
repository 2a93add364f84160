import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres, { type Sql } from 'postgres'
import type { Log } from '../core/shared/log'
import { createDatabaseHealth, watchedClient } from './health'
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
  /**
   * Runs `SELECT 1`, bounded (about a second) on PostgreSQL; used by /readyz. Rejects at once while the
   * database is known to be down.
   */
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
  /** PostgreSQL: the server cancels a statement running longer than this; 0 or absent = never. */
  statementTimeoutMs?: number
  /** PostgreSQL: how long opening a connection may take, in seconds. */
  connectTimeoutSeconds?: number
  /** Where an outage of PostgreSQL and its end are reported. */
  log?: Pick<Log, 'info' | 'warn'>
}

/** Opens the store and brings its schema up to date. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options)
  return openPglite(options.dataDir, options.template)
}

async function openPglite(dataDir: string | undefined, template: Blob | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  // pg_trgm: keyword search over requests (migration 0022) works on both stores.
  const client = new PGlite({
    dataDir,
    extensions: { pg_trgm },
    ...(template ? { loadDataDir: template } : {}),
  })
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

/**
 * The pool reconnects by itself, lazily, on the next query after the server comes back. Every query runs
 * under a health watch (db/health.ts), so while PostgreSQL is down or frozen callers fail fast with
 * DatabaseUnavailableError instead of hanging, and service resumes within about a second of its return.
 */
async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const quiet = { onnotice: () => {} }
  const migrator = postgres(url, { max: 1, ...quiet })
  try {
    await migrator`select pg_advisory_lock(${migrationLockKey})`
    await migratePostgres(drizzlePostgres({ client: migrator, schema }), { migrationsFolder })
    await migrator`select pg_advisory_unlock(${migrationLockKey})`
  } finally {
    await migrator.end()
  }
  const statementTimeout = options.statementTimeoutMs ?? 0
  const client = postgres(url, {
    max: options.poolSize ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    connection: {
      application_name: 'gaizao',
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    },
    ...quiet,
  })
  let probeClient: Sql | undefined
  const health = createDatabaseHealth({
    probe: async () => {
      probeClient ??= postgres(url, {
        max: 1,
        connect_timeout: 2,
        connection: { application_name: 'gaizao-health' },
        ...quiet,
      })
      await probeClient`select 1`
    },
    resetProbe: () => {
      const stale = probeClient
      probeClient = undefined
      stale?.end({ timeout: 0 }).catch(() => {})
    },
    log: options.log,
  })
  const db = drizzlePostgres({ client: watchedClient(client, health), schema }) as unknown as Db
  return {
    db,
    driver: 'postgres',
    ping: () => health.ping(),
    close: async () => {
      health.stop()
      await Promise.all([client.end({ timeout: 5 }), probeClient?.end({ timeout: 1 })])
    },
  }
}

/** postgres.js returns rows as an array, PGlite as `{ rows }`: raw queries go through this. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}
