import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { type Database, openDatabase } from '../db/client'

/** One figure of a bench, with its baseline from the same run and their ratio (value / baseline). */
export interface BenchResult {
  name: string
  value: number
  unit: string
  baseline: number
  ratio: number
  database: string
  /** What the baseline is, for the table ("bare prepared INSERT", "100,000 rows"). */
  baselineLabel?: string
  /** The target the issue sets, for the table ("≤ 2×", "< 20 ms"); informational. */
  target?: string
}

/** What a bench is handed: the database to run on (undefined = PGlite) and where figures go. */
export interface BenchContext {
  /** PostgreSQL URL, or undefined for the embedded PGlite. */
  url: string | undefined
  /** 'pglite' or 'postgres' */
  database: 'pglite' | 'postgres'
  report(result: BenchResult): void
  log(message: string): void
}

/**
 * A bench module in bench/benches/ exports `benches`: each entry runs once per database it supports
 * ('pglite', 'postgres' when BENCH_DATABASE_URL is set, or 'none' for benches without a database).
 */
export interface Bench {
  name: string
  /** One line: what is measured against what. */
  description: string
  databases: readonly ('pglite' | 'postgres' | 'none')[]
  run(ctx: BenchContext): Promise<void>
  /** `npm run bench -- GROUP` runs every bench of the group (`city`). */
  group?: string
  /** Left out of a plain `npm run bench` (the city scale's ten-million-row seeds): run it by name or group. */
  onlyWhenNamed?: boolean
}

export const resultsDir = join(import.meta.dirname, 'results')

export function writeResult(result: BenchResult) {
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(
    join(resultsDir, `${result.name}.${result.database}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  )
}

/** Milliseconds taken by `work`. */
export async function time(work: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint()
  await work()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** The q-quantile (0..1) of a list of numbers (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export const median = (values: readonly number[]) => quantile(values, 0.5)

/**
 * A database of the bench's own: PGlite in memory, or a scratch database created beside `url` and
 * dropped on close, so a shared database's rows never skew a figure and a bench leaves nothing behind.
 */
export async function openScratch(
  url: string | undefined,
  label: string,
  poolSize = 10,
): Promise<Database & { url?: string }> {
  if (!url) return openDatabase({})
  const name = `gaizao_bench_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}`
  const admin = postgres(url, { max: 1, onnotice: () => {} })
  await admin.unsafe(`drop database if exists ${name} with (force)`)
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const target = new URL(url)
  target.pathname = `/${name}`
  const database = await openDatabase({ url: target.toString(), poolSize })
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
