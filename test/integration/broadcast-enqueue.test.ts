import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueueToScope } from '../../core/notices/broadcast.repository'
import { rowsOf } from '../../db/client'
import { createTestDeps, type TestDeps } from '../support/deps'
import { uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

/**
 * enqueueToScope writes a notice's first enqueue as a plain insert and falls back to ON CONFLICT DO
 * NOTHING only when a key is already there: either way each group gets the notice once, a second call
 * writes nothing, a group that joined the scope since gets it, and the caller's transaction goes on.
 */
describe.each(drivers)('broadcast enqueue on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const addGroups = async (scope: string, from: number, to: number) =>
    deps.db.execute(sql`
      insert into chat_groups (room_id, topic, kind, scope_path, created_at)
      select ${scope} || '-' || i || '@chatroom', '居民群 ' || i, 'residents', ${`/${scope}/`} || (i % 3) || '/', now()
      from generate_series(${from}::int, ${to}::int) as i`)
  const notice = (scope: string, text = '【公告】明天上午 9 点停水。') => ({
    scopePath: `/${scope}/`,
    text,
    dedupeKey: `notice:${scope}:publish`,
    batch: `notice:${scope}`,
    priority: 'normal' as const,
    notBefore: deps.clock.now(),
    maxChars: 1_800,
  })
  const rows = async (scope: string) =>
    rowsOf<{ id: number; conversation_id: string; text: string; dedupe_key: string }>(
      await deps.db.execute(
        sql`select id, conversation_id, text, dedupe_key from outbox where batch = ${`notice:${scope}`} order by id`,
      ),
    )

  it('writes each group once: a second call nothing, a group that joined since its own row', async () => {
    const scope = uniqueId('scope')
    await addGroups(scope, 1, 30)
    expect(await enqueueToScope(deps.db, notice(scope))).toBe(30)
    expect(await enqueueToScope(deps.db, notice(scope))).toBe(0)
    await addGroups(scope, 31, 32)
    expect(await enqueueToScope(deps.db, notice(scope))).toBe(2)
    const written = await rows(scope)
    expect(written).toHaveLength(32)
    expect(new Set(written.map((r) => r.conversation_id)).size).toBe(32)
    expect(written.every((r) => r.dedupe_key === `notice:${scope}:publish:room:${r.conversation_id}`)).toBe(
      true,
    )
  })

  it('keeps the caller’s transaction usable after a repeated enqueue', async () => {
    const scope = uniqueId('scope')
    await addGroups(scope, 1, 5)
    const [first, second, after] = await deps.db.transaction(async (tx) => {
      const a = await enqueueToScope(tx, notice(scope))
      const b = await enqueueToScope(tx, notice(scope))
      const n = rowsOf<{ n: number }>(
        await tx.execute(sql`select count(*)::int as n from outbox where batch = ${`notice:${scope}`}`),
      )[0]!.n
      return [a, b, n]
    })
    expect([first, second, after]).toEqual([5, 0, 5])
  })

  it('writes a long notice in parts, each group’s in order', async () => {
    const scope = uniqueId('scope')
    await addGroups(scope, 1, 4)
    const long = Array.from(
      { length: 40 },
      (_, i) => `第${i + 1}条：3号楼外墙保温施工期间请关好窗户，注意安全。`,
    ).join('\n')
    const written = await enqueueToScope(deps.db, { ...notice(scope, long), maxChars: 300 })
    const all = await rows(scope)
    expect(written).toBe(all.length)
    const byGroup = new Map<string, typeof all>()
    for (const r of all) byGroup.set(r.conversation_id, [...(byGroup.get(r.conversation_id) ?? []), r])
    expect(byGroup.size).toBe(4)
    for (const parts of byGroup.values()) {
      expect(parts.length).toBeGreaterThan(1)
      expect(parts.map((p) => p.dedupe_key.split('#')[1])).toEqual(parts.map((_, i) => String(i + 1)))
      expect(parts.map((p) => p.text).join('')).toContain('第40条')
    }
    expect(await enqueueToScope(deps.db, { ...notice(scope, long), maxChars: 300 })).toBe(0)
  })
})
