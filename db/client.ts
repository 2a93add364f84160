import { constants, copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres, { type Sql } from 'postgres'
import type { Log } from '../core/shared/log'
import { templateKey } from '../scripts/template-key.mjs'
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
  /**
   * LISTENs on a channel. `onNotify` runs at each notification, with its payload, and at each (re)listen,
   * without one, since what was sent while nothing listened is unknown. `active` is false while no
   * connection listens (PostgreSQL down, or the first LISTEN not through yet). Closed with the database.
   */
  listen(channel: string, onNotify: (payload?: string) => void): Subscription
  close(): Promise<void>
}

export interface Subscription {
  readonly active: boolean
}

// '../db/migrations' rather than './migrations': it holds from db/client.ts (tsx) and from the compiled
// dist/*.js alike, both one folder below the root (see scripts/build.mjs).
const migrationsFolder = fileURLToPath(new URL('../db/migrations', import.meta.url))
// Any constant shared by all instances: two instances starting together must not migrate at once.
const migrationLockKey = 7_301_202_004

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  url?: string
  /** PGlite data directory; absent means in memory (tests). */
  dataDir?: string
  poolSize?: number
  /**
   * A PGlite data dump to start from (tests load an already migrated one). Without it, a fresh data
   * directory is copied from the migrated template the build ships (dist/pglite-template-<key>/), when its
   * key matches these migrations.
   */
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
  return openPglite(options.dataDir, options.template, options.log)
}

async function openPglite(
  dataDir: string | undefined,
  template: Blob | undefined,
  log: OpenDatabaseOptions['log'],
): Promise<Database> {
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true })
    if (!template && copyShippedTemplate(dataDir)) log?.info('database created from the shipped template')
  }
  const fresh = !dataDir || !existsSync(join(dataDir, 'PG_VERSION'))
  // Loaded here, not at the top: a process on PostgreSQL never needs them.
  const [{ PGlite }, { pg_trgm }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all(
    [
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('drizzle-orm/pglite'),
      import('drizzle-orm/pglite/migrator'),
    ],
  )
  // pg_trgm: keyword search over requests (migration 0022) works on both stores.
  const client = new PGlite({
    dataDir,
    extensions: { pg_trgm },
    ...(template && fresh ? { loadDataDir: template } : {}),
    // PGlite keeps PostgreSQL's shared buffers inside its WebAssembly heap, which never shrinks: the default
    // 128 MB stayed resident (and took a second to set up at each start). A data directory's files are in
    // the OS's page cache anyway, so a small pool costs little; in memory (tests) the default stays.
    ...(dataDir ? { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'] } : {}),
  })
  // A transaction's client is a new object each time: it is given its database's client, whose session
  // keeps the prepared statements (db/statements.ts).
  const transaction = client.transaction.bind(client)
  client.transaction = ((work: (tx: object) => Promise<unknown>) =>
    transaction((tx) => work(Object.assign(tx, { [sessionOf]: client })))) as typeof client.transaction
  Object.assign(client, { [sessionOf]: client })
  const db = drizzlePglite({ client, schema }) as unknown as Db
  await migratePglite(db as never, { migrationsFolder })
  const unlistens: Promise<() => Promise<void>>[] = []
  return {
    db,
    driver: 'pglite',
    dump: () => client.dumpDataDir('none'),
    ping: async () => {
      await client.query('select 1')
    },
    // In one process PGlite delivers a notification as the statement that sent it (or its COMMIT) returns.
    listen(channel, onNotify) {
      const subscription = { active: false }
      unlistens.push(
        client.listen(channel, onNotify).then((unlisten) => {
          subscription.active = true
          onNotify()
          return unlisten
        }),
      )
      return subscription
    },
    close: async () => {
      for (const unlisten of await Promise.allSettled(unlistens)) {
        if (unlisten.status === 'fulfilled') await unlisten.value().catch(() => {})
      }
      await client.close()
    },
  }
}

/**
 * A data directory without a database (no PG_VERSION) gets a copy of the migrated one the build ships, so
 * the first start skips initdb and every migration (`migrate` then finds nothing to do). PG_VERSION is
 * copied last: PGlite takes a directory with it for a database, so a copy cut short is redone at the next
 * start rather than opened. Without a matching template (not built, or other migrations) PGlite creates
 * the database as before.
 */
function copyShippedTemplate(dataDir: string): boolean {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false
  const template = shippedTemplate()
  if (!template) return false
  const version = join(template, 'PG_VERSION')
  cpSync(template, dataDir, {
    recursive: true,
    mode: constants.COPYFILE_FICLONE,
    filter: (source) => source !== version,
  })
  copyFileSync(version, join(dataDir, 'PG_VERSION'))
  return true
}

/** dist/pglite-template-<key>/ beside the compiled code, or under the root when run from the sources. */
function shippedTemplate(): string | undefined {
  const name = `pglite-template-${templateKey(migrationsFolder)}`
  for (const candidate of [
    new URL(`./${name}`, import.meta.url),
    new URL(`../dist/${name}`, import.meta.url),
  ]) {
    const dir = fileURLToPath(candidate)
    if (existsSync(join(dir, 'PG_VERSION'))) return dir
  }
  return undefined
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
  // One connection for every LISTEN of this process, opened at the first. It is our own, not postgres.js's
  // `listen`, which runs on a client of its own that keeps its drops to itself (so `active` could not follow
  // them) and listens again after one with a single attempt: when ours closes, every subscription goes
  // inactive and the channels are listened to again, retried every 2 s until they hold.
  let listener: Sql | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined
  const channels = new Map<string, { active: boolean; onNotify: (payload?: string) => void }[]>()
  const heard = new Set<string>()
  // Bumped at each close: a LISTEN answered by a connection that has closed since counts for nothing.
  let generation = 0
  const relisten = async () => {
    retry = undefined
    if (closed || !listener) return
    for (const [channel, subscriptions] of channels) {
      if (heard.has(channel)) continue
      const on = generation
      try {
        await listener.unsafe(`listen "${channel.replaceAll('"', '""')}"`)
      } catch {
        if (!closed) retry ??= setTimeout(relisten, 2_000)
        return
      }
      if (on !== generation) return
      heard.add(channel)
      for (const subscription of subscriptions) {
        subscription.active = true
        subscription.onNotify()
      }
    }
  }
  const listenerClient = () =>
    (listener ??= postgres(url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      connect_timeout: options.connectTimeoutSeconds ?? 5,
      connection: { application_name: 'gaizao-listen' },
      // postgres.js's own `listen` is built on this option (src/index.js), which its types leave out; the
      // relay test in test/integration/listen-postgres.test.ts fails should an upgrade drop it.
      ...({
        onnotify: (channel: string, payload: string) => {
          for (const subscription of channels.get(channel) ?? []) subscription.onNotify(payload)
        },
      } as object),
      onclose: () => {
        generation++
        heard.clear()
        for (const subscriptions of channels.values()) for (const s of subscriptions) s.active = false
        if (!closed) retry ??= setTimeout(relisten, 2_000)
      },
      ...quiet,
    }))
  return {
    db,
    driver: 'postgres',
    ping: () => health.ping(),
    listen(channel, onNotify) {
      const subscription = { active: false, onNotify }
      const known = channels.get(channel)
      if (known) {
        known.push(subscription)
        if (heard.has(channel)) {
          subscription.active = true
          onNotify()
        }
      } else channels.set(channel, [subscription])
      listenerClient()
      void relisten()
      return subscription
    },
    close: async () => {
      closed = true
      clearTimeout(retry)
      health.stop()
      await Promise.all([
        client.end({ timeout: 5 }),
        probeClient?.end({ timeout: 1 }),
        listener?.end({ timeout: 1 }),
      ])
    },
  }
}

/** On PGlite, a client's (the database's or a transaction's) database client: one session for its life. */
export const sessionOf = Symbol('gaizao.pgliteSession')

/** postgres.js returns rows as an array, PGlite as `{ rows }`: raw queries go through this. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}
