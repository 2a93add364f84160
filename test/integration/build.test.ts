import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase, rowsOf } from '../../db/client'
import { adminToken, freePort } from '../support/gaizao-process'

const root = join(import.meta.dirname, '..', '..')
const dataDir = mkdtempSync(join(tmpdir(), 'gaizao-build-'))

/**
 * `npm start`'s own command (scripts/start.mjs): builds dist/ when stale, then runs the compiled app. Started
 * as an operator would, configured by environment only.
 */
async function startBuilt() {
  const port = await freePort()
  const lines: string[] = []
  const child: ChildProcess = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      GAIZAO_ADMIN_TOKEN: adminToken,
      GAIZAO_TOKEN_SECRET: 'build-test-token-secret-0123456789abcdef',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const keep = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 150_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${lines.join('\n')}`)
    const status = await fetch(`${base}/readyz`).then(
      (res) => res.status,
      () => 0,
    )
    if (status === 200) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`not ready:\n${lines.slice(-20).join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    base,
    lines,
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('the compiled app (npm start)', () => {
  it('builds dist/, starts a fresh data dir from the shipped template, serves, and stops gracefully', async () => {
    const app = await startBuilt()
    try {
      expect(existsSync(join(root, 'dist', 'main.js'))).toBe(true)
      expect(readdirSync(join(root, 'dist')).some((name) => name.startsWith('pglite-template-'))).toBe(true)
      expect(app.lines.some((line) => line.includes('database created from the shipped template'))).toBe(true)
      // The API over the migrated store, and the sandbox's demo community seeded on it.
      const me = await fetch(`${app.base}/api/v1/me`, { headers: { authorization: `Bearer ${adminToken}` } })
      expect(me.status).toBe(200)
      // Files found from the compiled code: swagger-ui's assets, the sandbox page.
      const docs = await fetch(`${app.base}/api/docs/swagger-ui.css`)
      expect(docs.status).toBe(200)
      expect((await docs.text()).length).toBeGreaterThan(1_000)
      const sandbox = await fetch(`${app.base}/sandbox`)
      expect(sandbox.status).toBe(200)
    } finally {
      expect(await app.stop()).toBe(0)
    }
  }, 180_000)

  it('restarts on the same data dir without copying the template again', async () => {
    const app = await startBuilt()
    try {
      expect(app.lines.some((line) => line.includes('database created from the shipped template'))).toBe(
        false,
      )
      const me = await fetch(`${app.base}/api/v1/me`, { headers: { authorization: `Bearer ${adminToken}` } })
      expect(me.status).toBe(200)
    } finally {
      expect(await app.stop()).toBe(0)
    }
  }, 180_000)

  it('copies the template again into a data dir whose copy was cut short (no PG_VERSION), and migrates it', async () => {
    const template = readdirSync(join(root, 'dist')).find((name) => name.startsWith('pglite-template-'))!
    const cut = mkdtempSync(join(tmpdir(), 'gaizao-cut-'))
    try {
      cpSync(join(root, 'dist', template, 'global'), join(cut, 'global'), { recursive: true })
      const database = await openDatabase({ dataDir: cut })
      try {
        expect(existsSync(join(cut, 'PG_VERSION'))).toBe(true)
        const journal = JSON.parse(
          readFileSync(join(root, 'db', 'migrations', 'meta', '_journal.json'), 'utf8'),
        )
        const [row] = rowsOf<{ n: number }>(
          await database.db.execute('select count(*)::int as n from drizzle.__drizzle_migrations'),
        )
        expect(row?.n).toBe(journal.entries.length)
      } finally {
        await database.close()
      }
    } finally {
      rmSync(cut, { recursive: true, force: true })
    }
  }, 60_000)
})
