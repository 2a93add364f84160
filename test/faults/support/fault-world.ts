import { Browser, type ConsoleApp } from '../../support/console'
import { adminToken, type GaizaoProcess, startGaizaoProcess } from '../../support/gaizao-process'
import type { PrivateCluster } from './pg-cluster'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One HTTP answer with how long it took; status 0 when it did not come within `timeoutMs`. */
export interface Timed {
  status: number
  ms: number
  body: string
}

export async function timedFetch(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Timed> {
  const started = Date.now()
  try {
    const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
    const body = await res.text()
    return { status: res.status, ms: Date.now() - started, body }
  } catch {
    return { status: 0, ms: Date.now() - started, body: '' }
  }
}

/** Gaizao as a child process on the private cluster, ready (database and sandbox bot) before it returns. */
export async function startGaizaoOn(cluster: PrivateCluster, env: Record<string, string> = {}) {
  const gaizao = await startGaizaoProcess({
    DATABASE_URL: cluster.url,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_MS: '200',
    ...env,
  })
  await gaizao.until(async () => (await gaizao.readyz()).status === 200, 'Gaizao to be ready', 120_000)
  return gaizao
}

export const adminHeaders = {
  authorization: `Bearer ${adminToken}`,
  'content-type': 'application/json',
}

/** A browser logged in to the console of the child process, over real HTTP. */
export async function consoleBrowser(gaizao: GaizaoProcess) {
  const overHttp = {
    request: (input: string, init?: RequestInit) => fetch(input, { ...init, redirect: 'manual' }),
  } as unknown as ConsoleApp
  const browser = new Browser(overHttp, gaizao.base)
  const form = await browser.open('/console/login')
  const done = await browser.post(form, '/console/login', { token: adminToken })
  if (done.status !== 303) throw new Error(`console login answered ${done.status}`)
  return browser
}

/** `gaizao` is still running: a crash would have ended it. */
export const alive = (gaizao: GaizaoProcess) =>
  gaizao.child.exitCode === null && gaizao.child.signalCode === null

export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
