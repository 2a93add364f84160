import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../db/client'
import { type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { relayTo } from '../support/tcp-relay'
import { createTestDatabase } from '../support/test-db'

const spooled = (dataDir: string) => {
  try {
    return readdirSync(join(dataDir, 'inbound-spool', 'default')).filter((n) => n.endsWith('.json'))
  } catch {
    return []
  }
}

/**
 * Gaizao as operators run it, on PostgreSQL behind a connection that is cut: residents write while the
 * database is away, the process is killed (SIGKILL), the database comes back, Gaizao is started again
 * on the same DATA_DIR, and every message is filed once with one reply. Needs PostgreSQL.
 */
describe.runIf(Boolean(process.env.TEST_DATABASE_URL))(
  'inbound messages across an outage and a crash',
  () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gaizao-spool-crash-'))
    const processes: GaizaoProcess[] = []
    const cleanups: (() => Promise<unknown>)[] = []
    afterAll(async () => {
      for (const p of processes) await p.cleanup()
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
      rmSync(dataDir, { recursive: true, force: true })
    })

    it('files what was spooled before the crash once, with its reply, after the restart', async () => {
      const database = await createTestDatabase('postgres')
      cleanups.push(() => database.close())
      const relay = await relayTo(new URL(database.url!))
      cleanups.push(() => relay.close())
      const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' }

      const first = await startGaizaoProcess({ ...env, DATABASE_URL: relay.url })
      processes.push(first)
      await first.until(async () => (await first.readyz()).status === 200, 'the first process to be ready')
      await relay.cut()
      const texts = ['帮助', '我的诉求', '进度 Q9999']
      for (const text of texts) {
        const res = await fetch(`${first.base}/sandbox/api/say`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'bot', from: '张桂兰', text }),
        })
        expect(res.status).toBe(202)
      }
      await first.until(() => spooled(dataDir).length === texts.length, 'the messages to be spooled')
      expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL')

      await relay.restore()
      const second = await startGaizaoProcess({ ...env, DATABASE_URL: database.url! })
      processes.push(second)
      await second.until(() => spooled(dataDir).length === 0, 'the spool to be replayed')
      const rows = rowsOf<{ text: string; replies: number }>(
        await database.db.execute(sql`
        select i.text, (select count(*)::int from outbox o where o.dedupe_key = 'reply:' || i.message_id) as replies
        from inbound_messages i order by i.text`),
      )
      expect(rows).toEqual(texts.toSorted().map((text) => ({ text, replies: 1 })))
      await second.stop()
    }, 180_000)
  },
)
