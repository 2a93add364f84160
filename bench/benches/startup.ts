import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { openDatabase, rowsOf } from '../../db/client'
import { buildIfStale } from '../../scripts/build.mjs'
import { type Bench, type BenchContext, median } from '../kit'
import { adminToken, bareDir, root, type Started, startNpm } from '../startup/process'

/**
 * Start-up and idle memory, as an operator starts Gaizao: `npm start` in the repository (a child process,
 * configured by environment only: DATA_DIR for PGlite, DATABASE_URL for a scratch PostgreSQL database),
 * timed from spawn to the first 200 from /readyz (polled every 20 ms); then, after 3 s of idleness, the
 * resident set size of the server's process. The baseline is bare-server.mjs (a bare Hono app on
 * @hono/node-server answering /readyz), started by `npm start` in bench/startup the same way. Medians of 3.
 * PGlite: fresh = an empty DATA_DIR, restart = the same DATA_DIR again; PostgreSQL: restart = a database
 * the first start already migrated. `memory` also seeds 10,000 groups and 100,000 residents (set-based,
 * then VACUUM ANALYZE) and measures the next starts' idle RSS, which must stay flat.
 */

const runs = 3
const settleMs = 3_000

interface Sample {
  readyMs: number
  rssMb: number
  /** Every process under npm (tsx's launcher and esbuild service too, when there are any). */
  treeMb: number
}

interface Measurements {
  bare: Sample[]
  fresh: Sample[]
  restart: Sample[]
}

const measured = new Map<string, Promise<Measurements>>()

const appEnv = (dataDir: string, extra: Record<string, string> = {}) => ({
  DATA_DIR: dataDir,
  GAIZAO_ADMIN_TOKEN: adminToken,
  GAIZAO_TOKEN_SECRET: 'startup-bench-token-secret-0123456789abcdef',
  ...extra,
})

/**
 * One start, timed, then its idle RSS. `npm start` compiles first when a source changed since the last build
 * (the shared work tree changes under the bench): such a start is measured again, once the build is done.
 */
async function sample(
  cwd: string,
  env: Record<string, string>,
  check?: (started: Started) => Promise<void>,
  /** A fresh start's retry needs another empty data dir: the first attempt filled its own. */
  again: () => Record<string, string> = () => env,
  attempt = 1,
): Promise<Sample> {
  await buildIfStale()
  let started: Started
  try {
    started = await startNpm(cwd, env)
  } catch (error) {
    // The shared PostgreSQL, loaded by other runs, sometimes takes over a second to answer a probe and the
    // process gives up (it exits for its supervisor to restart it): said, then measured again, once.
    if (attempt > 1) throw error
    console.error(`   a start failed, measured again: ${String(error).split('\n').slice(0, 3).join(' ')}`)
    return sample(cwd, again(), check, again, attempt + 1)
  }
  if (started.output().includes('正在编译')) {
    await started.stop()
    return sample(cwd, again(), check, again, attempt)
  }
  try {
    await check?.(started)
    await new Promise((resolve) => setTimeout(resolve, settleMs))
    return { readyMs: started.readyMs, rssMb: started.rssMb(), treeMb: started.treeRssMb() }
  } finally {
    await started.stop()
  }
}

/** The app's /readyz body must say ready, with the database and the (sandbox) bot up. */
async function checkReady(started: Started) {
  const body = (await started.readyz()) as {
    ready?: boolean
    database?: boolean
    bot?: { loggedIn?: boolean }
  }
  if (body.ready !== true || body.database !== true || body.bot?.loggedIn !== true) {
    throw new Error(`/readyz answered 200 but not ready: ${JSON.stringify(body)}`)
  }
}

/** A data dir and, on PostgreSQL, an empty scratch database: where one series of starts runs. */
async function place(ctx: BenchContext) {
  const temps: string[] = []
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gaizao-startup-'))
    temps.push(dir)
    return dir
  }
  const scratch = ctx.url ? await scratchDatabase(ctx.url) : undefined
  return {
    temp,
    env: (dir = temp()) => appEnv(dir, scratch ? { DATABASE_URL: scratch.url } : {}),
    async cleanup() {
      await scratch?.drop()
      for (const dir of temps) rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function measure(ctx: BenchContext): Promise<Measurements> {
  const bare: Sample[] = []
  for (let i = 0; i < runs; i++) bare.push(await sample(bareDir, {}))
  ctx.log(`bare Hono: ${bare.map(show).join(', ')}`)

  const where = await place(ctx)
  try {
    const fresh: Sample[] = []
    const env = where.env()
    // PGlite: each fresh start gets an empty data dir, the restarts reuse the first one. PostgreSQL: one
    // fresh start (an empty database, every migration run), for the log only.
    fresh.push(await sample(root, env, checkReady))
    if (!ctx.url) {
      for (let i = 1; i < runs; i++) fresh.push(await sample(root, where.env(), checkReady, where.env))
    }
    ctx.log(`fresh: ${fresh.map(show).join(', ')}`)
    const restart: Sample[] = []
    for (let i = 0; i < runs; i++) restart.push(await sample(root, env, checkReady))
    ctx.log(`restart: ${restart.map(show).join(', ')}`)
    return { bare, fresh, restart }
  } finally {
    await where.cleanup()
  }
}

const show = (s: Sample) =>
  `${Math.round(s.readyMs)} ms / ${Math.round(s.rssMb)} MB (${Math.round(s.treeMb)} MB in all)`

/** An empty database beside `url` (no migrations: the app's first start runs them). */
async function scratchDatabase(url: string) {
  const name = `gaizao_bench_startup_${process.pid}`
  const admin = postgres(url, { max: 1, onnotice: () => {} })
  await admin.unsafe(`drop database if exists ${name} with (force)`)
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const target = new URL(url)
  target.pathname = `/${name}`
  return {
    url: target.toString(),
    async drop() {
      const cleanup = postgres(url, { max: 1, onnotice: () => {} })
      await cleanup.unsafe(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    },
  }
}

function measureOnce(ctx: BenchContext) {
  let found = measured.get(ctx.database)
  if (!found) {
    found = measure(ctx)
    measured.set(ctx.database, found)
  }
  return found
}

const groups = 10_000
const residentCount = 100_000

/** 10,000 groups and 100,000 residents, set-based, into the app's store while it is stopped. */
async function seedLoad(env: Record<string, string>) {
  const database = await openDatabase(
    env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: env.DATA_DIR },
  )
  try {
    const { db } = database
    await db.execute(`
      insert into chat_groups (room_id, topic, kind, xiaoqu_id, state, member_count, created_at)
      select 'bench-room-' || g, '农光里' || g || '号楼群', 'residents',
             (select min(id) from xiaoqu), 'active', 100, now()
      from generate_series(1, ${groups}) g`)
    await db.execute(`
      insert into residents (wechat_id, name, phone, created_at)
      select 'bench-wx-' || g, '居民' || g, '138' || lpad(g::text, 8, '0'), now()
      from generate_series(1, ${residentCount}) g`)
    await db.execute('vacuum analyze')
    const [counts] = rowsOf<{ groups: number; residents: number }>(
      await db.execute(`select (select count(*)::int from chat_groups where room_id like 'bench-room-%') as groups,
        (select count(*)::int from residents where wechat_id like 'bench-wx-%') as residents`),
    )
    if (counts?.groups !== groups || counts.residents !== residentCount) {
      throw new Error(
        `seeded ${JSON.stringify(counts)}, expected ${groups} groups and ${residentCount} residents`,
      )
    }
  } finally {
    await database.close()
  }
}

const medianOf = (samples: Sample[], key: keyof Sample) => median(samples.map((s) => s[key]))

export const benches: Bench[] = [
  {
    name: 'startup',
    description: '`npm start` to the first 200 from /readyz (fresh and restart), against a bare Hono server',
    databases: ['pglite', 'postgres'],
    async run(ctx) {
      const m = await measureOnce(ctx)
      const baseline = medianOf(m.bare, 'readyMs')
      const report = (name: string, samples: Sample[], target: string) => {
        const value = medianOf(samples, 'readyMs')
        ctx.report({
          name,
          value,
          unit: 'ms to /readyz',
          baseline,
          ratio: value / baseline,
          database: ctx.database,
          baselineLabel: 'bare Hono, npm start',
          target,
        })
      }
      if (ctx.database === 'pglite') report('startup-fresh', m.fresh, '< 5,000 ms')
      report('startup-restart', m.restart, '< 3,000 ms')
    },
  },
  {
    name: 'memory',
    description:
      'idle RSS after /readyz (fresh, restart, 10k groups + 100k residents), against a bare Hono server',
    databases: ['pglite', 'postgres'],
    async run(ctx) {
      const m = await measureOnce(ctx)
      const where = await place(ctx)
      try {
        const baseline = medianOf(m.bare, 'rssMb')
        const limit = ctx.database === 'pglite' ? '< 250 MB' : '< 150 MB'
        const report = (name: string, value: number, target: string, base = baseline, label = 'bare Hono') =>
          ctx.report({
            name,
            value,
            unit: 'MB RSS idle',
            baseline: base,
            ratio: value / base,
            database: ctx.database,
            baselineLabel: label,
            target,
          })
        if (ctx.database === 'pglite') report('memory-fresh', medianOf(m.fresh, 'rssMb'), limit)
        const restart = medianOf(m.restart, 'rssMb')
        report('memory-restart', restart, limit)
        // A first start creates the store (and the demo community), then the load goes in beside it.
        const env = where.env()
        await sample(root, env, checkReady)
        await seedLoad(env)
        const loaded: Sample[] = []
        for (let i = 0; i < runs; i++) loaded.push(await sample(root, env, checkReady))
        ctx.log(`loaded (${groups} groups, ${residentCount} residents): ${loaded.map(show).join(', ')}`)
        report('memory-loaded', medianOf(loaded, 'rssMb'), `${limit}, flat (≈ 1×)`, restart, 'same, empty')
      } finally {
        await where.cleanup()
      }
    },
  },
]
