import { asc, eq, like, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimDue, enqueueMessages, markInFlight, type OutboxRow } from '../../core/outbox/outbox.repository'
import { drainOutboxOnce, type Transport } from '../../core/outbox/outbox.sender'
import { outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

function recordingTransport(fail: (row: OutboxRow) => boolean = () => false) {
  const sent: OutboxRow[] = []
  const transport: Transport = {
    async send(row) {
      if (fail(row)) throw new Error('WeChat said no')
      sent.push(row)
    },
  }
  return { sent, transport }
}

/** A claim takes runs of a group's rows: order, concurrency and crashes within a run. */
describe.each(drivers)('outbox runs on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { env: { SEND_RETRY_BASE_MS: '1000', SEND_MAX_ATTEMPTS: '3' } })
  })
  afterAll(async () => {
    await deps.database.close()
  })
  const rowsOf = (prefix: string) =>
    deps.db
      .select()
      .from(outbox)
      .where(like(outbox.conversationId, `${prefix}%`))
      .orderBy(asc(outbox.id))
  const drainAll = async (transport: Transport, over = deps) => {
    let total = 0
    for (let sent = -1; sent !== 0; ) {
      sent = await drainOutboxOnce(over, transport)
      total += sent
    }
    return total
  }
  /** `count` rows to each of `groups` new groups, interleaved as filings arrive; texts `g<i> <n>`. */
  const backlog = async (groups: number, count: number) => {
    const prefix = uniqueId('run')
    const rooms = Array.from({ length: groups }, (_, g) => `${prefix}-${g}@chatroom`)
    const messages = Array.from({ length: count }, (_, n) =>
      rooms.map((conversationId, g) => ({ conversationId, isRoom: true, text: `g${g} ${n}` })),
    ).flat()
    await enqueueMessages(deps.db, messages, deps.clock.now())
    return { prefix, rooms }
  }
  const inOrder = (count: number) => Array.from({ length: count }, (_, n) => n)
  const numbers = (sent: OutboxRow[], room: string) =>
    sent.filter((r) => r.conversationId === room).map((r) => Number(r.text.split(' ')[1]))

  it('claims several rows of a group in one claim and sends them in the group’s order', async () => {
    const { rooms } = await backlog(3, 12)
    const claimed = await deps.db.transaction((tx) =>
      claimDue(tx, { now: deps.clock.now(), limit: 20, leaseMs: 60_000, minGapMs: 0, allowNormal: true }),
    )
    expect(claimed).toHaveLength(20)
    for (const room of rooms) {
      const ids = claimed.filter((r) => r.conversationId === room).map((r) => r.id)
      expect(ids.length).toBeGreaterThan(1)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    }
    // Each group's first row, then each group's second, …
    expect(claimed.slice(0, 3).map((r) => r.text)).toEqual(['g0 0', 'g1 0', 'g2 0'])
    await deps.db
      .update(outbox)
      .set({ status: 'pending', leaseUntil: null })
      .where(eq(outbox.status, 'sending'))
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    for (const room of rooms) expect(numbers(sent, room)).toEqual(inOrder(12))
  })

  it('takes one row per group per claim while a minimum gap is kept', async () => {
    const { rooms } = await backlog(2, 3)
    const claimed = await deps.db.transaction((tx) =>
      claimDue(tx, { now: deps.clock.now(), limit: 20, leaseMs: 60_000, minGapMs: 3_000, allowNormal: true }),
    )
    expect(claimed.map((r) => r.conversationId)).toEqual(rooms)
    await deps.db
      .update(outbox)
      .set({ status: 'pending', leaseUntil: null })
      .where(eq(outbox.status, 'sending'))
    await drainAll(recordingTransport().transport)
  })

  it('finds every group’s head behind a look-ahead full of one group, and never a row behind a held one', async () => {
    const prefix = uniqueId('ahead')
    const now = deps.clock.now()
    const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000)
    const [busy, held, late] = ['busy', 'held', 'late'].map((name) => `${prefix}-${name}@chatroom`)
    await enqueueMessages(
      deps.db,
      [
        // The held group's first row is not due yet; its second is, and comes early in the due order.
        { conversationId: held!, isRoom: true, text: 'held 0', notBefore: at(60) },
        // More due rows of one group than the claim looks ahead at (20 × 5), all due before the others.
        ...Array.from({ length: 150 }, (_, n) => ({
          conversationId: busy!,
          isRoom: true,
          text: `busy ${n}`,
          notBefore: at(-60),
        })),
        { conversationId: held!, isRoom: true, text: 'held 1', notBefore: at(-90) },
        { conversationId: late!, isRoom: true, text: 'late 0', notBefore: at(-5) },
      ],
      now,
    )
    const claim = (minGapMs: number) =>
      deps.db.transaction(async (tx) => {
        const rows = await claimDue(tx, { now, limit: 20, leaseMs: 60_000, minGapMs, allowNormal: true })
        await tx
          .update(outbox)
          .set({ status: 'pending', leaseUntil: null })
          .where(like(outbox.conversationId, `${prefix}%`))
        return rows.filter((r) => r.conversationId.startsWith(prefix)).map((r) => r.text)
      })
    // Paced: one row per group, each group's first, none of the held group's.
    expect((await claim(3_000)).sort()).toEqual(['busy 0', 'late 0'])
    // A run: the busy group's rows in order, the other group's head; still none of the held group's.
    const run = await claim(0)
    expect(run).toContain('late 0')
    expect(run.filter((t) => t.startsWith('busy'))).toEqual(
      Array.from({ length: run.length - 1 }, (_, n) => `busy ${n}`),
    )
    await deps.db.delete(outbox).where(like(outbox.conversationId, `${prefix}%`))
  })

  it('lets two senders drain runs together: nothing twice, every group in order', async () => {
    const { rooms } = await backlog(4, 30)
    const { sent, transport } = recordingTransport()
    await Promise.all([drainAll(transport), drainAll(transport), drainAll(transport)])
    const mine = sent.filter((r) => rooms.includes(r.conversationId))
    expect(mine).toHaveLength(120)
    expect(new Set(mine.map((r) => r.id)).size).toBe(120)
    for (const room of rooms) expect(numbers(sent, room)).toEqual(inOrder(30))
  })

  it.skipIf(driver === 'pglite')(
    'never gives a second sender rows of a group another sender holds, even before it commits',
    async () => {
      const { rooms } = await backlog(6, 10)
      const claim = (db: Parameters<typeof claimDue>[0], limit: number) =>
        claimDue(db, { now: deps.clock.now(), limit, leaseMs: 60_000, minGapMs: 0, allowNormal: true })
      let second: OutboxRow[] = []
      const first = await deps.db.transaction(async (tx) => {
        const mine = await claim(tx, 3)
        // Another sender's claim while the first one's is not committed: its locks are all it sees.
        second = await claim(deps.db, 20)
        return mine
      })
      const groupsOf = (rows: OutboxRow[]) => new Set(rows.map((r) => r.conversationId))
      expect(first.map((r) => r.text)).toEqual(['g0 0', 'g1 0', 'g2 0'])
      expect([...groupsOf(second)].sort()).toEqual(rooms.slice(3).sort())
      // The other groups' runs from their heads, in order.
      for (const room of rooms.slice(3)) {
        const texts = second.filter((r) => r.conversationId === room).map((r) => Number(r.text.split(' ')[1]))
        expect(texts).toEqual(inOrder(texts.length))
      }
      await deps.db
        .update(outbox)
        .set({ status: 'pending', leaseUntil: null })
        .where(eq(outbox.status, 'sending'))
      const { sent, transport } = recordingTransport()
      await drainAll(transport)
      for (const room of rooms) expect(numbers(sent, room)).toEqual(inOrder(10))
    },
  )

  it('leaves only the handed-over row uncertain when a sender dies mid-run; the rest go, in order', async () => {
    const { prefix, rooms } = await backlog(1, 6)
    const [room] = rooms
    const handed: string[] = []
    // Delivers two messages, then hangs on the third: the sender dies with it in WeChat's hands.
    const dying: Transport = {
      send: (row) => {
        handed.push(row.text)
        return handed.length <= 2 ? Promise.resolve() : new Promise(() => {})
      },
    }
    void drainOutboxOnce(deps, dying)
    for (let i = 0; i < 300 && !(await rowsOf(prefix))[2]?.inFlight; i++)
      await new Promise((r) => setTimeout(r, 10))
    expect((await rowsOf(prefix)).map((r) => [r.status, r.inFlight])).toEqual([
      ['sent', false],
      ['sent', false],
      ['sending', true],
      ['sending', false],
      ['sending', false],
      ['sending', false],
    ])
    deps.clock.advance(61_000)
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect((await rowsOf(prefix)).map((r) => r.status)).toEqual([
      'sent',
      'sent',
      'uncertain',
      'sent',
      'sent',
      'sent',
    ])
    expect(numbers(sent, room!)).toEqual([3, 4, 5])
    // Each was tried once: the dead sender’s claim used none of their attempts.
    expect((await rowsOf(prefix)).slice(3).map((r) => r.attempts)).toEqual([1, 1, 1])
  })

  it('holds the rest of a group’s run when one of its rows fails, while other groups go on', async () => {
    const { prefix, rooms } = await backlog(2, 4)
    const { sent, transport } = recordingTransport((row) => row.text === 'g0 1')
    await drainOutboxOnce(deps, transport)
    const rows = await rowsOf(prefix)
    const of = (room: string) => rows.filter((r) => r.conversationId === room)
    expect(of(rooms[0]!).map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 1],
      ['pending', 1],
      ['pending', 0],
      ['pending', 0],
    ])
    expect(of(rooms[1]!).map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent'])
    expect(of(rooms[0]!).every((r) => !r.inFlight && !r.leaseUntil)).toBe(true)
    deps.clock.advance(1_000)
    await drainAll(recordingTransport().transport)
    expect(numbers(sent, rooms[0]!)).toEqual([0])
  })

  it('does not send a row whose lease another sender took back, nor the rest of its run', async () => {
    const { prefix, rooms } = await backlog(1, 3)
    const now = deps.clock.now()
    const claimed = await claimDue(deps.db, {
      now,
      limit: 20,
      leaseMs: 60_000,
      minGapMs: 0,
      allowNormal: true,
    })
    expect(claimed).toHaveLength(3)
    // This sender stalls past its lease; another one recovers the rows and sends them all.
    deps.clock.advance(61_000)
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect(numbers(sent, rooms[0]!)).toEqual([0, 1, 2])
    expect(await markInFlight(deps.db, claimed[0]!, deps.clock.now(), 60_000)).toBeUndefined()
    expect((await rowsOf(prefix)).map((r) => [r.status, r.attempts])).toEqual([
      ['sent', 1],
      ['sent', 1],
      ['sent', 1],
    ])
  })
  it.runIf(driver === 'pglite')(
    'runs the embedded claim on its generic plan, in or out of a transaction, and leaves the setting as it was',
    async () => {
      await backlog(2, 3)
      const claim = { now: deps.clock.now(), limit: 20, leaseMs: 60_000, minGapMs: 0, allowNormal: true }
      const plans = async () =>
        (await deps.db.execute(
          sql`select generic_plans, custom_plans from pg_prepared_statements where name like 'outbox_claim_%'`,
        )) as unknown as { rows: { generic_plans: number; custom_plans: number }[] }
      // Left to itself PostgreSQL plans the first five EXECUTEs afresh, and may go on doing so.
      for (let i = 0; i < 6; i++) {
        await expect(
          deps.db.transaction(async (tx) => {
            await claimDue(tx, claim)
            tx.rollback()
          }),
        ).rejects.toThrow()
        await claimDue(deps.db, { ...claim, now: new Date(claim.now.getTime() - 3_600_000) })
      }
      const { rows } = await plans()
      expect(rows.length).toBeGreaterThan(0)
      expect(rows.every((r) => Number(r.custom_plans) === 0 && Number(r.generic_plans) > 0)).toBe(true)
      const mode = (await deps.db.execute(sql`show plan_cache_mode`)) as unknown as {
        rows: { plan_cache_mode: string }[]
      }
      expect(mode.rows[0]!.plan_cache_mode).toBe('auto')
    },
  )
})
