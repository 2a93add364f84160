import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from '../support/console'
import type { GaizaoProcess } from '../support/gaizao-process'
import {
  adminHeaders,
  alive,
  consoleBrowser,
  sleep,
  startGaizaoOn,
  type Timed,
  timedFetch,
} from './support/fault-world'
import { clusterUnavailableReason, type PrivateCluster, startPrivateCluster } from './support/pg-cluster'

const skipReason = clusterUnavailableReason()
if (skipReason) console.log(`database freeze faults skipped: ${skipReason}`)

const freezeMs = 20_000
const sampleEveryMs = 500

/**
 * PostgreSQL frozen with SIGSTOP (postmaster and every backend) for 20 s: nothing refuses, nothing answers,
 * no server-side timeout fires. Gaizao must say so (503) within 2 s throughout, and serve again by itself
 * within 10 s of SIGCONT.
 */
describe.skipIf(Boolean(skipReason))('PostgreSQL frozen for 20 s', () => {
  let cluster: PrivateCluster
  let gaizao: GaizaoProcess
  let browser: Browser

  beforeAll(async () => {
    cluster = await startPrivateCluster()
    gaizao = await startGaizaoOn(cluster)
    browser = await consoleBrowser(gaizao)
  })
  afterAll(async () => {
    await gaizao?.cleanup()
    await cluster?.drop()
  })

  const readyz = () => timedFetch(`${gaizao.base}/readyz`)
  const apiGet = () => timedFetch(`${gaizao.base}/api/v1/requests?limit=1`, { headers: adminHeaders })

  it('answers /readyz, the API and the console with 503 within 2 s, and recovers within 10 s', async () => {
    expect((await readyz()).status).toBe(200)
    expect((await apiGet()).status).toBe(200)
    expect((await browser.open('/console')).status).toBe(200)

    await cluster.freeze()
    const frozenAt = Date.now()
    const pending: Promise<{ kind: string; at: number; answer: Timed }>[] = []
    const sample = (kind: string, call: () => Promise<Timed>) =>
      pending.push(call().then((answer) => ({ kind, at: Date.now() - frozenAt, answer })))
    let consolePage: Awaited<ReturnType<Browser['open']>> | undefined
    for (let tick = 0; Date.now() - frozenAt < freezeMs - 2_000; tick++) {
      sample('readyz', readyz)
      sample('api', apiGet)
      if (tick === 4) {
        const started = Date.now()
        consolePage = await browser.open('/console')
        sample('console', async () => ({ status: consolePage!.status, ms: Date.now() - started, body: '' }))
      }
      await sleep(sampleEveryMs - ((Date.now() - frozenAt) % sampleEveryMs))
    }
    const samples = await Promise.all(pending)
    expect(alive(gaizao)).toBe(true)
    await sleep(Math.max(0, freezeMs - (Date.now() - frozenAt)))
    await cluster.thaw()
    const thawedAt = Date.now()
    const backMs = await gaizao.until(
      async () => (await readyz()).status === 200 && (await apiGet()).status === 200,
      'service after SIGCONT',
      30_000,
    )
    const worst = Math.max(...samples.map((s) => s.answer.ms))
    console.log(
      `freeze: ${samples.length} samples over ${freezeMs / 1000} s frozen, worst 503 latency ${worst} ms ` +
        `(readyz ${Math.max(...samples.filter((s) => s.kind === 'readyz').map((s) => s.answer.ms))} ms, ` +
        `API ${Math.max(...samples.filter((s) => s.kind === 'api').map((s) => s.answer.ms))} ms), ` +
        `back ${Date.now() - thawedAt} ms after SIGCONT`,
    )

    const late = samples.filter((s) => s.answer.status !== 503 || s.answer.ms >= 2_000)
    expect(late.map((s) => ({ kind: s.kind, at: s.at, status: s.answer.status, ms: s.answer.ms }))).toEqual(
      [],
    )
    const apiAnswer = samples.find((s) => s.kind === 'api')!.answer.body
    expect(JSON.parse(apiAnswer)).toMatchObject({
      error: { code: 'database.unavailable', message: '数据库暂时不可用，请稍后重试' },
    })
    expect(consolePage?.html).toContain('数据库暂时不可用')
    expect(consolePage?.type).toContain('text/html')
    expect(backMs).toBeLessThan(10_000)
    expect(alive(gaizao)).toBe(true)
  })
})
