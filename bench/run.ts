/**
 * `npm run bench` runs every bench in bench/benches/ on PGlite and, when BENCH_DATABASE_URL is set, on
 * PostgreSQL; `npm run bench -- NAME [NAME…]` runs those (a group's name, such as `city`, runs its benches). Each figure is written to
 * bench/results/<name>.<database>.json and the run ends with one table of them all.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Bench, type BenchResult, writeResult } from './kit'

const dir = join(import.meta.dirname, 'benches')
const all: Bench[] = []
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort()) {
  const module = (await import(join(dir, file))) as { benches?: Bench[] }
  all.push(...(module.benches ?? []))
}
const byName = new Map(all.map((b) => [b.name, b]))

const args = process.argv.slice(2).filter((a) => a !== '--')
if (args.includes('--list')) {
  for (const b of all) console.log(`${b.name.padEnd(20)} ${b.description}`)
  process.exit(0)
}
const groups = new Set(all.flatMap((b) => (b.group ? [b.group] : [])))
const unknown = args.filter((a) => !byName.has(a) && !groups.has(a))
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')}; known: ${[...byName.keys(), ...groups].join(', ')}`)
  process.exit(1)
}
// A name runs that bench; a group's name runs its benches, in the order of the files.
const chosen =
  args.length > 0
    ? all.filter((b) => args.includes(b.name) || (b.group !== undefined && args.includes(b.group)))
    : all.filter((b) => !b.onlyWhenNamed)
const url = process.env.BENCH_DATABASE_URL
if (!url) console.error('BENCH_DATABASE_URL is not set: the PostgreSQL runs are skipped (PGlite only)')
// BENCH_ONLY=postgres (or pglite) runs one database's half, for profiling one side.
const only = process.env.BENCH_ONLY

const results: BenchResult[] = []
let failed = 0
for (const bench of chosen) {
  const targets = bench.databases.filter((d) => (d !== 'postgres' || url) && (!only || d === only))
  for (const database of targets) {
    const label = `${bench.name} (${database})`
    console.error(`== ${label}`)
    const started = Date.now()
    try {
      await bench.run({
        url: database === 'postgres' ? url : undefined,
        database: database === 'postgres' ? 'postgres' : 'pglite',
        report(result) {
          writeResult(result)
          results.push(result)
          console.error(
            `   ${result.name}: ${fmt(result.value)} ${result.unit} (baseline ${fmt(result.baseline)}, ×${result.ratio.toFixed(2)})`,
          )
        },
        log: (message) => console.error(`   ${message}`),
      })
    } catch (error) {
      failed++
      console.error(`!! ${label} failed:`, error)
    }
    console.error(`   ${label} took ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

function fmt(n: number) {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

// One table: the markdown README's Performance section takes as it is.
const header = ['path', 'Gaizao', 'baseline', 'ratio', 'unit', 'database', 'target']
const rows = results.map((r) => [
  r.name,
  fmt(r.value),
  r.baselineLabel ? `${fmt(r.baseline)} (${r.baselineLabel})` : fmt(r.baseline),
  `${r.ratio.toFixed(2)}×`,
  r.unit,
  r.database,
  r.target ?? '',
])
console.log(`| ${header.join(' | ')} |`)
console.log(`|${header.map(() => '---').join('|')}|`)
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
if (failed > 0) {
  console.error(`${failed} bench run(s) failed`)
  process.exitCode = 1
}
// Pools and timers of a bench must not keep the process: the figures are written.
process.exit(process.exitCode ?? 0)
