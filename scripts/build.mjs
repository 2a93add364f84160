/**
 * Builds dist/: the app compiled to JavaScript (esbuild: the app's TypeScript bundled into main.js and lazily
 * loaded chunks, every package in node_modules left external), and a PGlite data directory already
 * migrated (pglite-template-<key>/), which a fresh DATA_DIR is copied from instead of running initdb and
 * every migration. Plain JavaScript, so it runs before anything is compiled.
 *
 *   node scripts/build.mjs              builds
 *   node scripts/build.mjs --if-stale   builds only when a source is newer than dist/ (what `npm start` does)
 *   node scripts/build.mjs --postinstall  the same, warning instead of failing (npm ci must not fail on it)
 *
 * dist/ sits one folder below the root, as db/ does: paths the app resolves from import.meta.url
 * ('../db/migrations', '../dist/…') hold from the sources (tsx) and from the build alike.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { templateKey as keyOf } from './template-key.mjs'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const distDir = join(root, 'dist')
const stampFile = 'build.json'
const sourceDirs = ['api', 'bot', 'core', 'db', 'jobs']
const migrationsFolder = join(root, 'db', 'migrations')
const templateKey = () => keyOf(migrationsFolder)

/** The newest modification time and the count of the files the build reads: a change to either rebuilds. */
export function sourceState() {
  let newest = 0
  let files = 0
  const visit = (path) => {
    const stat = statSync(path)
    newest = Math.max(newest, stat.mtimeMs)
    files++
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else visit(path)
    }
  }
  for (const dir of sourceDirs) walk(join(root, dir))
  for (const name of readdirSync(root)) if (name.endsWith('.ts')) visit(join(root, name))
  for (const name of [
    'tsconfig.json',
    'package-lock.json',
    'scripts/build.mjs',
    'scripts/template-key.mjs',
  ]) {
    if (existsSync(join(root, name))) visit(join(root, name))
  }
  return { newest, files }
}

export function isStale(outdir = distDir) {
  let stamp
  try {
    stamp = JSON.parse(readFileSync(join(outdir, stampFile), 'utf8'))
  } catch {
    return true
  }
  const now = sourceState()
  return (
    stamp.newest !== now.newest ||
    stamp.files !== now.files ||
    stamp.node !== process.version ||
    !existsSync(join(outdir, 'main.js')) ||
    !existsSync(join(outdir, `pglite-template-${templateKey()}`, 'PG_VERSION'))
  )
}

/** Compiles the app into `outdir` and writes the PGlite template beside it; returns what took how long. */
export async function build(outdir = distDir) {
  const state = sourceState()
  const started = Date.now()
  const esbuild = await loadEsbuild()
  mkdirSync(outdir, { recursive: true })
  const result = await esbuild.build({
    metafile: true,
    absWorkingDir: root,
    entryPoints: ['main.ts'],
    outdir,
    bundle: true,
    // Dynamic imports (the bot, the puppet's code, the use cases a role loads later) become chunks, read
    // only when first imported. Chunks stay beside main.js: see the header on import.meta.url.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
    plugins: [nodeResolvablePackages],
  })
  const compiledMs = Date.now() - started
  const templateStarted = Date.now()
  const template = await buildTemplate(outdir)
  const templateMs = Date.now() - templateStarted
  prune(outdir, [...Object.keys(result.metafile.outputs).map((path) => join(root, path)), template])
  writeFileSync(
    join(outdir, stampFile),
    `${JSON.stringify({ ...state, node: process.version, builtAt: new Date().toISOString() })}\n`,
  )
  return { compiledMs, templateMs }
}

/**
 * Packages stay external, imported by Node at run time, so each import must be one Node's own ESM resolver
 * accepts, as tsx's did: a subpath without its extension (`@node-rs/jieba/dict`) is written with the file
 * CommonJS resolution finds (`@node-rs/jieba/dict.js`), and a JSON file is bundled (esbuild drops the
 * `with { type: 'json' }` an external import needs).
 */
const nodeResolvablePackages = {
  name: 'node-resolvable-packages',
  setup(build) {
    const require = createRequire(join(root, 'package.json'))
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true }
      if (args.path.endsWith('.json')) return { path: require.resolve(args.path) }
      // Node resolves a subpath through the package's "exports" if it has any, else as a file name taken
      // literally (no extension added): only the latter needs rewriting.
      const [, name, subpath] = args.path.match(/^((?:@[^/]+\/)?[^/]+)(\/.*)?$/) ?? []
      if (!name || !subpath) return { path: args.path, external: true }
      const packageDir = join(root, 'node_modules', name)
      let manifest = {}
      try {
        manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
      } catch {}
      if (manifest.exports || isFile(join(packageDir, subpath))) return { path: args.path, external: true }
      const file = require.resolve(args.path)
      const inModules = file.slice(file.lastIndexOf(`node_modules${sep}`) + 'node_modules/'.length)
      return { path: inModules.split(sep).join('/'), external: true }
    })
  },
}

/**
 * esbuild as tsx (a dependency, so present after `npm ci --omit=dev` too) resolves it: its own copy, or a
 * hoisted one if esbuild becomes a direct dependency.
 */
async function loadEsbuild() {
  const fromTsx = createRequire(join(root, 'node_modules', 'tsx', 'package.json'))
  return import(pathToFileURL(fromTsx.resolve('esbuild')).href)
}

function isFile(path) {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/**
 * A PGlite data directory with every migration applied, which db/client.ts copies into a fresh DATA_DIR
 * (a plain copy: loading a tarball through PGlite's loadDataDir kept ~70 MB more resident). Its name holds
 * the migrations' key, so a rebuild with the same migrations keeps it.
 */
async function buildTemplate(outdir) {
  const dir = join(outdir, `pglite-template-${templateKey()}`)
  if (existsSync(join(dir, 'PG_VERSION'))) return dir
  const building = `${dir}.building-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  const [{ PGlite }, { pg_trgm }, { drizzle }, { migrate }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ])
  const client = new PGlite({ dataDir: building, extensions: { pg_trgm } })
  try {
    await migrate(drizzle({ client }), { migrationsFolder })
    await client.query('checkpoint')
  } finally {
    await client.close()
  }
  rmSync(join(building, 'postmaster.pid'), { force: true })
  // Complete or absent: whoever copies it sees the whole directory or none.
  renameSync(building, dir)
  return dir
}

/**
 * Removes what an earlier build left and this one did not write, once a week old: a process started before
 * a rebuild may still import one of its own chunks later, so they are not deleted at once.
 */
function prune(outdir, written) {
  const keep = new Set([...written, join(outdir, stampFile)])
  const weekAgo = Date.now() - 7 * 24 * 3_600_000
  for (const entry of readdirSync(outdir, { withFileTypes: true })) {
    const path = join(outdir, entry.name)
    if (!keep.has(path) && statSync(path).mtimeMs < weekAgo) rmSync(path, { recursive: true, force: true })
  }
}

/** `npm start`'s first step: a fresh clone or a pull builds once, an unchanged tree costs a few stats. */
export async function buildIfStale(outdir = distDir) {
  if (!isStale(outdir)) return false
  process.stderr.write('正在编译 Gaizao（源代码有更新）…\n')
  const { compiledMs, templateMs } = await build(outdir)
  process.stderr.write(`编译完成：代码 ${compiledMs} ms，数据库模板 ${templateMs} ms\n`)
  return true
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2)
  try {
    // npm ci in the Dockerfile runs before the sources are copied: nothing to build yet.
    if (args.includes('--postinstall') && !existsSync(join(root, 'main.ts'))) process.exit(0)
    if (args.includes('--if-stale') || args.includes('--postinstall')) await buildIfStale()
    else await build()
  } catch (error) {
    process.stderr.write(`编译失败：${error instanceof Error ? error.stack : String(error)}\n`)
    // npm ci goes on (npm start will try again and say why); a direct build fails.
    process.exit(args.includes('--postinstall') ? 0 : 1)
  }
}
