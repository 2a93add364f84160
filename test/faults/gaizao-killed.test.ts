import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../db/client'
import { killSenderMidBroadcast } from '../support/broadcast-crash'
import type { GaizaoProcess } from '../support/gaizao-process'
import { adminHeaders, alive, sleep, startGaizaoOn, timedFetch } from './support/fault-world'
import { clusterUnavailableReason, type PrivateCluster, startPrivateCluster } from './support/pg-cluster'

const skipReason = clusterUnavailableReason()
if (skipReason) console.log(`Gaizao kill -9 faults skipped: ${skipReason}`)

/**
 * Gaizao killed with SIGKILL mid-work and started again: a broadcast to 250 groups sends nothing twice and
 * leaves only the message in hand `uncertain`; requests filed over the API while it died are stored when
 * they were answered 2xx, once, and the restarted process serves again.
 */
describe.skipIf(Boolean(skipReason))('Gaizao killed with SIGKILL', () => {
  let cluster: PrivateCluster
  const processes: GaizaoProcess[] = []
  const dataDir = mkdtempSync(join(tmpdir(), 'gaizao-killed-'))

  beforeAll(async () => {
    cluster = await startPrivateCluster()
  })
  afterAll(async () => {
    for (const gaizao of processes) await gaizao.cleanup()
    await cluster?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('mid-broadcast to 250 groups: no message twice, only the one in hand uncertain', async () => {
    const admin = postgres(cluster.adminUrl, { max: 1, onnotice: () => {} })
    await admin.unsafe('create database broadcast')
    await admin.end()
    const url = cluster.url.replace(/\/gaizao$/, '/broadcast')
    const database = await openDatabase({ url, poolSize: 2 })
    try {
      const figures = await killSenderMidBroadcast({ db: database.db, url }, 250)
      console.log(
        `kill -9 mid-broadcast: 250 groups, ${figures.beforeRestart} delivered before SIGKILL, ` +
          `${figures.duplicates} sent twice, ${figures.uncertain} uncertain, ${figures.sentOnce} sent once`,
      )
    } finally {
      await database.close()
    }
  })

  it('mid-filing: every request answered 2xx is stored once, and the restarted process serves', async () => {
    const env = { DATA_DIR: dataDir }
    const first = await startGaizaoOn(cluster, env)
    processes.push(first)
    const xiaoqu = (await (await fetch(`${first.base}/api/v1/xiaoqu`, { headers: adminHeaders })).json()) as {
      items: { id: number }[]
    }
    const xiaoquId = xiaoqu.items[0]!.id
    let base = first.base
    const filings: { marker: string; status: number; number?: string }[] = []
    let running = true
    let counter = 0
    const filer = async () => {
      while (running) {
        const marker = `[kill-${++counter}]`
        const answer = await timedFetch(`${base}/api/v1/requests`, {
          method: 'POST',
          headers: adminHeaders,
          body: JSON.stringify({
            xiaoquId,
            text: `2号楼水管漏水 ${marker}`,
            channel: 'visit',
            residentName: '李四',
          }),
        })
        const number =
          answer.status >= 200 && answer.status < 300
            ? (JSON.parse(answer.body) as { number?: string }).number
            : undefined
        filings.push({ marker, status: answer.status, number })
        await sleep(answer.status === 0 ? 200 : 20)
      }
    }
    const load = [filer(), filer(), filer(), filer()]
    await first.until(() => filings.filter((f) => f.status === 201).length >= 40, 'filings before the kill')
    const killedAfter = filings.length
    first.child.kill('SIGKILL')
    await first.exited

    const second = await startGaizaoOn(cluster, env)
    processes.push(second)
    base = second.base
    await second.until(
      () => filings.slice(killedAfter).some((f) => f.status === 201),
      'a filing after restart',
    )
    running = false
    await Promise.all(load)
    await second.until(async () => {
      const sql = postgres(cluster.url, { max: 1, onnotice: () => {} })
      try {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from outbox where status in ('pending', 'sending')`
        return row!.n === 0
      } finally {
        await sql.end()
      }
    }, 'the outbox to drain')

    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} })
    try {
      const stored = await sql<{ text: string; number: string }[]>`select text, number from requests`
      const answered = filings.filter((f) => f.status === 201)
      const missing = answered.filter(
        (f) => !stored.some((r) => r.text.endsWith(f.marker) && r.number === f.number),
      )
      const doubled = filings.filter((f) => stored.filter((r) => r.text.endsWith(f.marker)).length > 1)
      const statuses = await sql<{ status: string; n: number }[]>`
        select status, count(*)::int as n from outbox group by status order by status`
      const uncertain = statuses.find((s) => s.status === 'uncertain')?.n ?? 0
      console.log(
        `kill -9 mid-filing: ${answered.length} answered 201 and stored ${answered.length - missing.length}, ` +
          `${doubled.length} stored twice, ${filings.filter((f) => f.status === 0).length} refused while down; ` +
          `outbox ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}`,
      )
      expect(missing).toEqual([])
      expect(doubled).toEqual([])
      expect(statuses.map((s) => s.status)).not.toContain('sending')
      expect(uncertain).toBeLessThanOrEqual(1)
      expect(alive(second)).toBe(true)
    } finally {
      await sql.end()
    }
  })
})
