import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ApiAnswer } from './http'
import { createTestDatabase, type Driver } from './test-db'

const root = join(import.meta.dirname, '..', '..')

/** A free loopback port (Node's fetch refuses a few well-known ones, which the kernel never hands out here). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * The database a Gaizao process gets for a test driver: PGlite in its own data directory (no env), or a
 * fresh PostgreSQL database (DATABASE_URL), dropped by `close`.
 */
export async function databaseEnv(
  driver: Driver,
): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  if (driver === 'pglite') return { env: {}, close: async () => {} }
  const database = await createTestDatabase('postgres')
  return { env: { DATABASE_URL: database.url! }, close: () => database.close() }
}

export const adminToken = 'gateway-e2e-admin-token-0123456789'

/**
 * Gaizao as an operator runs it: `main.ts` in its own process (node with tsx's loader, so signals reach
 * it), configured by environment only, talked to over HTTP. Its log lines are kept for the test to read.
 */
export async function startGaizaoProcess(env: Record<string, string>) {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'gaizao-proc-'))
  const lines: string[] = []
  let logBytes = 0
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      GAIZAO_ADMIN_TOKEN: adminToken,
      // Shared by every process, as instances sharing a database must share it.
      GAIZAO_TOKEN_SECRET: 'gaizao-process-test-token-secret-000000',
      LOG_LEVEL: 'info',
      SEND_JITTER_MS: '0',
      SEND_MIN_GAP_MS: '0',
      SEND_RETRY_BASE_MS: '1000',
      QUIET_HOURS: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  )
  let partial = ''
  const collect = (chunk: Buffer) => {
    logBytes += chunk.length
    partial += chunk.toString('utf8')
    const parts = partial.split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts.filter(Boolean))
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const base = `http://127.0.0.1:${port}`

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    token = adminToken,
  ): Promise<ApiAnswer> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {}
    return { status: res.status, body: parsed, text } as ApiAnswer
  }
  const readyz = async () => {
    try {
      const res = await fetch(`${base}/readyz`)
      return { status: res.status, body: (await res.json()) as { bot?: { state: string } } }
    } catch {
      return { status: 0, body: {} }
    }
  }
  const metric = async (name: string) => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
    const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `))
    return line === undefined ? undefined : Number(line.split(' ')[1])
  }
  /** Polls until `condition` holds; returns how long it took. */
  const until = async (condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000) => {
    const start = Date.now()
    for (;;) {
      if (await condition()) return Date.now() - start
      if (Date.now() - start > timeoutMs) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; last log lines:\n${lines.slice(-15).join('\n')}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  return {
    port,
    base,
    dataDir,
    child,
    lines,
    logBytes: () => logBytes,
    exited,
    api,
    readyz,
    metric,
    until,
    /** Sends a signal and waits for the exit; returns the exit and how long it took. */
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const sentAt = Date.now()
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const exit = await exited
      return { ...exit, tookMs: exit.at - sentAt }
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type GaizaoProcess = Awaited<ReturnType<typeof startGaizaoProcess>>
