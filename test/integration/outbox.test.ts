import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  batchProgress,
  claimDue,
  enqueueMessages,
  markSent,
  type OutboxRow,
} from '../../core/outbox/outbox.repository'
import {
  ConversationGoneError,
  drainOutboxOnce,
  NotDeliveredError,
  startOutboxSender,
  type Transport,
  UncertainDeliveryError,
} from '../../core/outbox/outbox.sender'
import { settleMessage } from '../../core/outbox/outbox.usecases'
import { auditLog, outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { adminActor, makeWorld, uniqueId } from '../support/factories'
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

describe.each(drivers)('outbox on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver, { env: { SEND_RETRY_BASE_MS: '1000', SEND_MAX_ATTEMPTS: '3' } })
  })
  afterAll(async () => {
    await deps.database.close()
  })
  const rowsFor = (conversationId: string) =>
    deps.db.select().from(outbox).where(eq(outbox.conversationId, conversationId)).orderBy(asc(outbox.id))
  const drainAll = async (transport: Transport, over = deps) => {
    let total = 0
    for (let sent = -1; sent !== 0; ) {
      sent = await drainOutboxOnce(over, transport)
      total += sent
    }
    return total
  }

  it('writes a logical message once per dedupe key and sends in order per conversation', async () => {
    const room = `${uniqueId('r')}@chatroom`
    const key = uniqueId('k')
    await enqueueMessages(
      deps.db,
      [{ conversationId: room, isRoom: true, text: 'one', dedupeKey: key }],
      deps.clock.now(),
    )
    await enqueueMessages(
      deps.db,
      [{ conversationId: room, isRoom: true, text: 'one again', dedupeKey: key }],
      deps.clock.now(),
    )
    await enqueueMessages(
      deps.db,
      [
        { conversationId: room, isRoom: true, text: 'two' },
        { conversationId: room, isRoom: true, text: 'three' },
      ],
      deps.clock.now(),
    )
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect(sent.filter((r) => r.conversationId === room).map((r) => r.text)).toEqual(['one', 'two', 'three'])
    expect((await rowsFor(room)).every((r) => r.status === 'sent')).toBe(true)
  })

  it('retries a failed send with exponential backoff, holds later messages back, then marks it failed', async () => {
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(
      deps.db,
      [
        { conversationId: room, isRoom: true, text: 'flaky' },
        { conversationId: room, isRoom: true, text: 'after' },
      ],
      deps.clock.now(),
    )
    const { sent, transport } = recordingTransport((row) => row.text === 'flaky')
    await drainAll(transport)
    let [first, second] = await rowsFor(room)
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastError: 'WeChat said no' })
    expect(first!.notBefore.getTime() - deps.clock.now().getTime()).toBe(1000)
    expect(second!.status).toBe('pending')
    deps.clock.advance(1000)
    await drainAll(transport)
    ;[first] = await rowsFor(room)
    expect(first!.notBefore.getTime() - deps.clock.now().getTime()).toBe(2000)
    deps.clock.advance(2000)
    await drainAll(transport)
    ;[first, second] = await rowsFor(room)
    expect(first).toMatchObject({ status: 'failed', attempts: 3 })
    // A failed message no longer blocks its group.
    expect(second!.status).toBe('sent')
    expect(sent.filter((r) => r.conversationId === room).map((r) => r.text)).toEqual(['after'])
  })

  it('attempts nothing while the bot is away, and sends in order with no attempt used once it is back', async () => {
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(
      deps.db,
      ['first', 'second', 'third'].map((text) => ({ conversationId: room, isRoom: true, text })),
      deps.clock.now(),
    )
    let online = false
    const { sent, transport } = recordingTransport()
    const gated: Transport = { ...transport, ready: () => online }
    for (let i = 0; i < 5; i++) {
      expect(await drainOutboxOnce(deps, gated)).toBe(0)
      deps.clock.advance(60_000)
    }
    expect((await rowsFor(room)).map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 0],
      ['pending', 0],
      ['pending', 0],
    ])
    online = true
    await drainAll(gated)
    expect(sent.filter((r) => r.conversationId === room).map((r) => r.text)).toEqual([
      'first',
      'second',
      'third',
    ])
    expect((await rowsFor(room)).every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true)
  })

  it('puts a row back untouched when the bot drops before the hand-over, and the rest of the claim with it', async () => {
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(
      deps.db,
      ['a', 'b'].map((text) => ({ conversationId: room, isRoom: true, text })),
      deps.clock.now(),
    )
    let online = true
    const dropping: Transport = {
      ready: () => online,
      async send() {
        online = false
        throw new NotDeliveredError('bot offline')
      },
    }
    await drainOutboxOnce(deps, dropping)
    expect((await rowsFor(room)).map((r) => [r.status, r.attempts, r.inFlight])).toEqual([
      ['pending', 0, false],
      ['pending', 0, false],
    ])
    await drainAll(recordingTransport().transport)
  })

  it('drops a row for a group the bot has left without retrying, and the group’s later rows go on', async () => {
    const gone = `${uniqueId('gone')}@chatroom`
    await enqueueMessages(
      deps.db,
      ['to nobody', 'also to nobody'].map((text) => ({ conversationId: gone, isRoom: true, text })),
      deps.clock.now(),
    )
    const { sent, transport } = recordingTransport()
    const leaving: Transport = {
      async send(row) {
        if (row.text === 'to nobody') throw new ConversationGoneError('机器人已不在群里')
        return transport.send(row)
      },
    }
    await drainAll(leaving)
    const [first, second] = await rowsFor(gone)
    expect(first).toMatchObject({ status: 'dropped', attempts: 1, lastError: '机器人已不在群里' })
    expect(second!.status).toBe('sent')
    expect(sent.map((r) => r.text)).toContain('also to nobody')
  })

  it('marks a row uncertain, not failed and never resent, when the connection dropped during its hand-over', async () => {
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(deps.db, [{ conversationId: room, isRoom: true, text: 'maybe' }], deps.clock.now())
    const cut: Transport = {
      async send() {
        throw new UncertainDeliveryError('1 CANCELLED: Call cancelled')
      },
    }
    await drainAll(cut)
    deps.clock.advance(3_600_000)
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect((await rowsFor(room))[0]).toMatchObject({
      status: 'uncertain',
      lastError: '1 CANCELLED: Call cancelled',
    })
    expect(sent.filter((r) => r.conversationId === room)).toHaveLength(0)
  })

  it('caps the retry backoff, so a failing row holds its group a few minutes, not hours', async () => {
    const slow = await createTestDeps(driver, { env: { SEND_RETRY_BASE_MS: '5000', SEND_MAX_ATTEMPTS: '8' } })
    try {
      const room = `${uniqueId('r')}@chatroom`
      await enqueueMessages(
        slow.db,
        ['broken', 'next'].map((text) => ({ conversationId: room, isRoom: true, text })),
        slow.clock.now(),
      )
      const { sent, transport } = recordingTransport((row) => row.text === 'broken')
      const start = slow.clock.now().getTime()
      for (let i = 0; i < 100 && !sent.some((r) => r.text === 'next'); i++) {
        await drainAll(transport, slow)
        slow.clock.advance(5_000)
      }
      const held = slow.clock.now().getTime() - start
      expect(sent.map((r) => r.text)).toEqual(['next'])
      // 5 + 10 + 20 + 40 + 60 + 60 + 60 s of retries, then `failed`: under five minutes.
      expect(held).toBeLessThanOrEqual(5 * 60_000)
    } finally {
      await slow.database.close()
    }
  })

  it('stops after the message in hand and puts back what it had claimed', async () => {
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(
      deps.db,
      ['one', 'two', 'three'].map((text) => ({ conversationId: `${room}${text}`, isRoom: true, text })),
      deps.clock.now(),
    )
    let release: () => void = () => {}
    const handed: string[] = []
    const slow: Transport = {
      send: (row) =>
        new Promise<void>((resolve) => {
          handed.push(row.text)
          release = resolve
        }),
    }
    const sender = startOutboxSender(deps, slow)
    for (let i = 0; i < 200 && handed.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    const stopping = sender.stop()
    release()
    await stopping
    const rows = await Promise.all(['one', 'two', 'three'].map((t) => rowsFor(`${room}${t}`)))
    const statuses = rows.map(([r]) => r!.status)
    expect(handed).toHaveLength(1)
    expect(statuses.filter((s) => s === 'sent')).toHaveLength(1)
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(2)
    expect(rows.every(([r]) => r!.status === 'sent' || (r!.attempts === 0 && !r!.leaseUntil))).toBe(true)
    await drainAll(recordingTransport().transport)
  })

  it('keeps the minimum gap per group while other groups go ahead', async () => {
    const paced = await createTestDeps(driver, { env: { SEND_MIN_GAP_MS: '3000' } })
    try {
      const a = `${uniqueId('a')}@chatroom`
      const b = `${uniqueId('b')}@chatroom`
      await enqueueMessages(
        paced.db,
        [a, a, b].map((conversationId, i) => ({ conversationId, isRoom: true, text: `m${i}` })),
        paced.clock.now(),
      )
      const { sent, transport } = recordingTransport()
      await drainAll(transport, paced)
      expect(sent.map((r) => r.text).sort()).toEqual(['m0', 'm2'])
      paced.clock.advance(2999)
      await drainAll(transport, paced)
      expect(sent).toHaveLength(2)
      paced.clock.advance(2)
      await drainAll(transport, paced)
      expect(sent.map((r) => r.text)).toContain('m1')
    } finally {
      await paced.database.close()
    }
  })

  it('never resends a message whose sender died mid-send: it becomes uncertain', async () => {
    const room = `${uniqueId('r')}@chatroom`
    await enqueueMessages(
      deps.db,
      [{ conversationId: room, isRoom: true, text: 'in flight' }],
      deps.clock.now(),
    )
    const stuck: Transport = { send: () => new Promise(() => {}) }
    void drainOutboxOnce(deps, stuck)
    // Handed to WeChat (in flight), not merely claimed: only then is the outcome unknown.
    for (let i = 0; i < 200 && !(await rowsFor(room))[0]?.inFlight; i++)
      await new Promise((r) => setTimeout(r, 10))
    deps.clock.advance(61_000)
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect((await rowsFor(room))[0]!.status).toBe('uncertain')
    expect(sent.filter((r) => r.conversationId === room)).toHaveLength(0)
  })

  it('lets two senders drain together without sending any message twice', async () => {
    const rooms = Array.from({ length: 40 }, () => `${uniqueId('r')}@chatroom`)
    await enqueueMessages(
      deps.db,
      rooms.flatMap((conversationId) =>
        [0, 1, 2].map((i) => ({ conversationId, isRoom: true, text: `n${i}` })),
      ),
      deps.clock.now(),
    )
    const { sent, transport } = recordingTransport()
    await Promise.all([drainAll(transport), drainAll(transport)])
    const mine = sent.filter((r) => rooms.includes(r.conversationId))
    expect(mine).toHaveLength(120)
    expect(new Set(mine.map((r) => r.id)).size).toBe(120)
    for (const room of rooms)
      expect(mine.filter((r) => r.conversationId === room).map((r) => r.text)).toEqual(['n0', 'n1', 'n2'])
  })

  it('stores a text cut inside an emoji (half a surrogate pair) instead of failing the caller’s transaction', async () => {
    const room = `${uniqueId('half')}@chatroom`
    // An excerpt of "灯坏了👨‍👩‍👧" cut after the first half of the emoji's first code point; a nickname too.
    await deps.db.transaction((tx) =>
      enqueueMessages(
        tx,
        [
          {
            conversationId: room,
            isRoom: true,
            text: '诉求：灯坏了\ud83d…',
            mentions: [{ id: 'wxid_half', name: '小明\udc00' }],
          },
        ],
        deps.clock.now(),
      ),
    )
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect(sent.filter((r) => r.conversationId === room).map((r) => [r.text, r.mentions[0]?.name])).toEqual([
      ['诉求：灯坏了\ufffd…', '小明\ufffd'],
    ])
  })

  it('claims the head of every group past one group’s long backlog, in order, then runs, and its urgent row in quiet hours', async () => {
    const own = await createTestDeps(driver)
    try {
      const busy = `${uniqueId('busy')}@chatroom`
      const [b, c] = [`${uniqueId('b')}@chatroom`, `${uniqueId('c')}@chatroom`]
      const now = own.clock.now()
      const backlog = Array.from({ length: 150 }, (_, i) => `busy ${i}`)
      // The backlog is due first, so it stands in front of the other groups in the sending order.
      await enqueueMessages(
        own.db,
        backlog.map((text) => ({ conversationId: busy, isRoom: true, text })),
        new Date(now.getTime() - 3_600_000),
      )
      await enqueueMessages(
        own.db,
        [
          { conversationId: busy, isRoom: true, text: 'busy urgent', priority: 'urgent' },
          ...['b0', 'b1'].map((text) => ({ conversationId: b, isRoom: true, text })),
          ...['c0', 'c1'].map((text) => ({ conversationId: c, isRoom: true, text })),
        ],
        now,
      )
      const claim = (allowNormal: boolean, limit = 10) =>
        own.db.transaction((tx) => claimDue(tx, { now, limit, leaseMs: 60_000, minGapMs: 0, allowNormal }))
      // Every group's head before any group's second row: the backlog pushes no other group out.
      const first = await claim(true, 3)
      expect(first.map((r) => r.text)).toEqual(['busy 0', 'b0', 'c0'])
      // A group with claimed rows is held: nothing more of it until those are settled.
      expect(await claim(true)).toEqual([])
      for (const row of first) await markSent(own.db, row.id, now)
      // Then runs: every group's next row, then the next, in each group's order.
      expect((await claim(true)).map((r) => r.text)).toEqual(['busy 1', 'b1', 'c1', ...backlog.slice(2, 9)])
      // Quiet hours: the held normal backlog neither goes nor holds back the group's urgent row.
      expect((await claim(false)).map((r) => r.text)).toEqual(['busy urgent'])
      await own.db
        .update(outbox)
        .set({ status: 'pending', leaseUntil: null })
        .where(eq(outbox.status, 'sending'))
      const { sent, transport } = recordingTransport()
      await drainAll(transport, own)
      const texts = (conversationId: string) =>
        sent.filter((r) => r.conversationId === conversationId).map((r) => r.text)
      expect(texts(busy)).toEqual([...backlog.slice(1), 'busy urgent'])
      expect(texts(b)).toEqual(['b1'])
      expect(texts(c)).toEqual(['c1'])
    } finally {
      await own.database.close()
    }
  })

  it('holds normal messages in quiet hours while replies and urgent ones go, and releases them at 07:00', async () => {
    const quiet = await createTestDeps(driver, {
      env: { QUIET_HOURS: '22:00-07:00' },
      start: '2026-03-02T15:00:00Z',
    })
    try {
      const room = `${uniqueId('q')}@chatroom`
      const now = quiet.clock.now() // 23:00 in Shanghai
      await enqueueMessages(quiet.db, [{ conversationId: room, isRoom: true, text: 'notice' }], now)
      await enqueueMessages(
        quiet.db,
        [{ conversationId: room, isRoom: true, text: 'reply', priority: 'reply' }],
        now,
      )
      await enqueueMessages(
        quiet.db,
        [{ conversationId: room, isRoom: true, text: 'fire', priority: 'urgent' }],
        now,
      )
      const { sent, transport } = recordingTransport()
      await drainAll(transport, quiet)
      expect(sent.map((r) => r.text)).toEqual(['reply', 'fire'])
      quiet.clock.set(new Date('2026-03-02T22:59:00Z')) // 06:59
      await drainAll(transport, quiet)
      expect(sent).toHaveLength(2)
      quiet.clock.set(new Date('2026-03-02T23:00:00Z')) // 07:00
      await drainAll(transport, quiet)
      expect(sent.map((r) => r.text)).toEqual(['reply', 'fire', 'notice'])
    } finally {
      await quiet.database.close()
    }
  })

  it('stops at the daily cap and goes on after Shanghai midnight', async () => {
    const capped = await createTestDeps(driver, {
      env: { SEND_DAILY_CAP: '3' },
      start: '2026-03-02T15:30:00Z',
    })
    try {
      const rooms = Array.from({ length: 5 }, () => `${uniqueId('cap')}@chatroom`)
      await enqueueMessages(
        capped.db,
        rooms.map((conversationId) => ({ conversationId, isRoom: true, text: 'hi' })),
        capped.clock.now(),
      )
      const { sent, transport } = recordingTransport()
      await drainAll(transport, capped)
      expect(sent).toHaveLength(3)
      capped.clock.set(new Date('2026-03-02T16:00:00Z')) // 00:00 on 3 March in Shanghai
      await drainAll(transport, capped)
      expect(sent).toHaveLength(5)
    } finally {
      await capped.database.close()
    }
  })

  it('sends a long message as ordered parts, once, with the mention on the first part only', async () => {
    const room = `${uniqueId('long')}@chatroom`
    const text = Array.from({ length: 200 }, (_, i) => `第${i + 1}行施工安排`).join('\n')
    const message = {
      conversationId: room,
      isRoom: true,
      text,
      mentions: [{ id: 'wxid_a', name: '甲' }],
      dedupeKey: uniqueId('long'),
    }
    await enqueueMessages(deps.db, [message], deps.clock.now(), { maxChars: 500 })
    await enqueueMessages(deps.db, [message], deps.clock.now(), { maxChars: 500 })
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    const parts = sent.filter((r) => r.conversationId === room)
    expect(parts.length).toBeGreaterThan(2)
    expect(parts.map((p) => p.text.match(/（(\d+)\/\d+）$/)?.[1])).toEqual(parts.map((_, i) => String(i + 1)))
    expect(parts.map((p) => p.mentions.length)).toEqual(parts.map((_, i) => (i === 0 ? 1 : 0)))
  })

  it('lets an admin resend or drop an uncertain message, audited; others may not', async () => {
    const room = `${uniqueId('u')}@chatroom`
    await enqueueMessages(
      deps.db,
      [{ conversationId: room, isRoom: true, text: 'lost?', batch: 'b-test' }],
      deps.clock.now(),
    )
    const stuck: Transport = { send: () => new Promise(() => {}) }
    void drainOutboxOnce(deps, stuck)
    // Handed to WeChat (in flight), not merely claimed: only then is the outcome unknown.
    for (let i = 0; i < 200 && !(await rowsFor(room))[0]?.inFlight; i++)
      await new Promise((r) => setTimeout(r, 10))
    deps.clock.advance(61_000)
    await drainOutboxOnce(deps, recordingTransport().transport)
    const [row] = await rowsFor(room)
    expect(row!.status).toBe('uncertain')
    expect(await batchProgress(deps.db, 'b-test')).toEqual([
      { conversationId: room, status: 'uncertain', count: 1 },
    ])
    const world = await makeWorld(deps)
    await expect(
      settleMessage(deps.db, world.officer.actor, row!.id, 'resend', deps.clock.now()),
    ).rejects.toMatchObject({ status: 403 })
    const admin = await adminActor(deps)
    const resent = await settleMessage(deps.db, admin, row!.id, 'resend', deps.clock.now())
    expect(resent).toMatchObject({ status: 'pending', attempts: 0 })
    const { sent, transport } = recordingTransport()
    await drainAll(transport)
    expect(sent.filter((r) => r.conversationId === room)).toHaveLength(1)
    await expect(settleMessage(deps.db, admin, row!.id, 'drop', deps.clock.now())).rejects.toMatchObject({
      status: 409,
    })
    const audits = await deps.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.entityId, String(row!.id)))
    expect(audits.map((a) => a.action)).toContain('outbox.resend')
  })
})
