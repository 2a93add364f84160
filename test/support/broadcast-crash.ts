import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { expect } from 'vitest'
import { enqueueToScope } from '../../core/notices/broadcast.repository'
import { type Db, rowsOf } from '../../db/client'

const root = join(import.meta.dirname, '..', '..')

/**
 * A sender (test/support/sender-child.ts: the real outbox sender, "delivering" by appending to a file that
 * stands in for WeChat) killed with SIGKILL a third of the way through a broadcast to `groups` groups, then
 * started again. Asserts that every group has the notice exactly once, or its row is `uncertain` (only
 * what was in WeChat's hands at the kill); returns the figures. The database at `url` must be PostgreSQL:
 * two processes share it.
 */
export async function killSenderMidBroadcast(database: { db: Db; url: string }, groups: number) {
  const dir = mkdtempSync(join(tmpdir(), 'gaizao-crash-'))
  const log = join(dir, 'delivered.log')
  const children: ChildProcess[] = []
  const delivered = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [])
  const sender = () => {
    // Node itself with tsx's loader: the tsx command would be a parent process, and SIGKILL must hit the sender.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/sender-child.ts'], {
      cwd: root,
      env: { ...process.env, GAIZAO_CHILD_DB: database.url, GAIZAO_DELIVERY_LOG: log },
      stdio: 'ignore',
    })
    children.push(child)
    return child
  }
  const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
    for (let i = 0; i < 1_200; i++) {
      if (await condition()) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`timed out waiting for ${what}`)
  }

  try {
    const { db } = database
    await db.execute(sql`
      insert into chat_groups (room_id, topic, kind, scope_path, created_at)
      select 'crash-' || i || '@chatroom', '居民群' || i, 'residents', '/crash/', now() from generate_series(1, ${groups}) as i`)
    const written = await enqueueToScope(db, {
      scopePath: '/crash/',
      text: '【施工通知】明天 8:00 起 3号楼停水。',
      dedupeKey: 'notice:crash',
      batch: 'notice:crash',
      priority: 'urgent',
      notBefore: new Date(),
      maxChars: 1_800,
    })
    expect(written).toBe(groups)

    const first = sender()
    await until(() => delivered().length >= groups / 3, 'a third of the broadcast')
    first.kill('SIGKILL')
    await new Promise((r) => first.once('exit', r))
    const beforeRestart = delivered().length
    expect(beforeRestart).toBeLessThan(groups)

    sender()
    const open = async () =>
      Number(
        rowsOf<{ n: number }>(
          await db.execute(sql`select count(*)::int as n from outbox where status in ('pending', 'sending')`),
        )[0]!.n,
      )
    await until(async () => (await open()) === 0, 'the rest of the broadcast')

    const rows = rowsOf<{ conversation_id: string; status: string }>(
      await db.execute(sql`select conversation_id, status from outbox where batch = 'notice:crash'`),
    )
    const counts = new Map<string, number>()
    for (const room of delivered()) counts.set(room, (counts.get(room) ?? 0) + 1)
    expect(rows).toHaveLength(groups)
    for (const row of rows) {
      const times = counts.get(row.conversation_id) ?? 0
      if (row.status === 'sent') expect(times, row.conversation_id).toBe(1)
      else {
        expect(row.status, row.conversation_id).toBe('uncertain')
        expect(times).toBeLessThanOrEqual(1)
      }
    }
    const duplicates = [...counts.values()].filter((n) => n > 1).length
    expect(duplicates).toBe(0)
    const uncertain = rows.filter((r) => r.status === 'uncertain').length
    // Only what was in WeChat's hands at the kill can be uncertain.
    expect(uncertain).toBeLessThanOrEqual(1)
    return { beforeRestart, uncertain, sentOnce: rows.length - uncertain, duplicates }
  } finally {
    for (const child of children) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
