import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Message, types } from 'wechaty'
import { createMetricsRoutes } from '../../api/metrics'
import { createMessageHandler } from '../../bot/on-message'
import { handleInbound } from '../../core/chat/chat.usecases'
import type { Deps } from '../../core/shared/deps'
import { type Database, openDatabase } from '../../db/client'
import { inboundMessages, outbox, requests } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { relayTo } from '../support/tcp-relay'
import { drivers } from '../support/test-db'

/** How postgres.js reports a server that is not there. */
const connectionRefused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 })

/** The deps with a database that can be taken away: every query and the ping fail while `outage.down`. */
function withOutage(deps: TestDeps) {
  const outage = { down: false, refused: 0 }
  const refuse = () => {
    if (!outage.down) return
    outage.refused++
    throw connectionRefused()
  }
  const entryPoints = new Set(['transaction', 'select', 'insert', 'update', 'delete', 'execute'])
  const db = new Proxy(deps.db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof value !== 'function' || !entryPoints.has(String(key))) return value
      return (...args: unknown[]) => {
        refuse()
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  const database: Database = {
    ...deps.database,
    db,
    ping: async () => {
      refuse()
      await deps.database.ping()
    },
  }
  return { deps: { ...deps, db, database } as TestDeps, outage }
}

/** A wechaty Message as the puppet hands it over. */
function wechatMessage(
  at: Date,
  fields: { text: string; senderId: string; roomId?: string; type?: types.Message; photo?: Buffer },
): Message {
  return {
    id: uniqueId('msg'),
    self: () => false,
    talker: () => ({ id: fields.senderId, name: () => '张桂兰' }),
    room: () =>
      fields.roomId
        ? { id: fields.roomId, topic: async () => '居民群', alias: async () => undefined }
        : undefined,
    type: () => fields.type ?? types.Message.Text,
    text: () => fields.text,
    date: () => at,
    mentionSelf: async () => false,
    mentionText: async () => fields.text,
    toFileBox: async () => ({ name: 'photo.jpg', toBuffer: async () => fields.photo ?? Buffer.alloc(0) }),
    wechaty: { currentUser: { name: () => '改造助手' } },
  } as unknown as Message
}

const spoolFiles = (dir: string) => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json'))
  } catch {
    return []
  }
}

describe.each(drivers)('inbound messages while the database is away, on %s', (driver) => {
  let deps: TestDeps
  const dirs: string[] = []
  const spoolDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gaizao-spool-'))
    dirs.push(dir)
    return dir
  }
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  /** Each message id's stored rows and replies. */
  const stored = async (ids: string[]) => {
    const rows = await deps.db.select().from(inboundMessages).where(inArray(inboundMessages.messageId, ids))
    const replies = await deps.db
      .select()
      .from(outbox)
      .where(
        inArray(
          outbox.dedupeKey,
          ids.map((id) => `reply:${id}`),
        ),
      )
      .orderBy(outbox.id)
    return { rows, replies }
  }

  it('stores every message of an outage once, in arrival order, each with one reply, timed when it arrived', async () => {
    const world = await makeWorld(deps)
    const { deps: flaky, outage } = withOutage(deps)
    const handler = createMessageHandler(flaky, {
      spoolDir: spoolDir(),
      retryBaseMs: 1,
      retryMaxMs: 5,
    })
    await handler.start?.()
    const sender = uniqueId('wxid_private')
    const sent: { message: Message; at: Date }[] = []
    const say = async (fields: Parameters<typeof wechatMessage>[1]) => {
      deps.clock.advance(60_000)
      const at = deps.clock.now()
      const message = wechatMessage(at, fields)
      sent.push({ message, at })
      await handler(message)
      return message
    }

    for (let i = 0; i < 3; i++) await say({ text: '帮助', senderId: sender })
    outage.down = true
    for (let i = 0; i < 8; i++) await say({ text: '帮助', senderId: sender })
    const filing = await say({
      text: '报事 3号楼楼道灯坏了',
      senderId: world.resident.wechatId!,
      roomId: world.roomId,
    })
    const filedAt = deps.clock.now()
    await say({ text: '帮助', senderId: sender })
    const metrics = createMetricsRoutes(deps, {
      status: () => ({ account: 'default', puppet: 'sandbox', state: 'online', since: '', loggedIn: true }),
      inboundSpool: handler.spoolStats,
    })
    const scrape = async () => (await metrics.request('/')).text()
    const during = await scrape()
    expect(during).toMatch(/^gaizao_inbound_spooled 10$/m)
    expect(during).toMatch(/^gaizao_inbound_spool_dropped_total\{reason="full"\} 0$/m)
    // The database comes back three hours later; the messages keep the time they were written.
    deps.clock.advance(3 * 3_600_000)
    outage.down = false
    await say({ text: '帮助', senderId: sender })
    await handler.idle?.()

    expect(outage.refused).toBeGreaterThan(0)
    const ids = sent.map((s) => s.message.id)
    const { rows, replies } = await stored(ids)
    expect(rows).toHaveLength(ids.length)
    for (const { message, at } of sent) {
      expect(rows.find((r) => r.messageId === message.id)?.receivedAt).toEqual(at)
    }
    expect(replies.map((r) => r.dedupeKey)).toEqual(ids.map((id) => `reply:${id}`))
    const [request] = await deps.db.select().from(requests).where(eq(requests.residentId, world.resident.id))
    expect(request?.createdAt).toEqual(filedAt)
    expect(rows.find((r) => r.messageId === filing.id)?.outcome).toMatch(/^request:Q\d+$/)
    const after = await scrape()
    expect(after).toMatch(/^gaizao_inbound_spooled 0$/m)
    expect(after).toMatch(/^gaizao_inbound_spool_total 1[01]$/m)
    await handler.stop?.()
  })

  it('keeps what a stopped process left on disk and files it once on the next start, even a message already stored', async () => {
    const world = await makeWorld(deps)
    const dir = spoolDir()
    const { deps: flaky, outage } = withOutage(deps)
    outage.down = true
    const first = createMessageHandler(flaky, { spoolDir: dir, retryBaseMs: 1, retryMaxMs: 5 })
    await first.start?.()
    const messages = [
      wechatMessage(deps.clock.now(), { text: '帮助', senderId: world.resident.wechatId! }),
      wechatMessage(deps.clock.now(), {
        text: '报事 屋顶漏水',
        senderId: world.resident.wechatId!,
        roomId: world.roomId,
      }),
      wechatMessage(deps.clock.now(), { text: '我的诉求', senderId: world.resident.wechatId! }),
    ]
    for (const message of messages) await first(message)
    await first.stop?.()
    expect(spoolFiles(dir)).toHaveLength(3)
    // The first message was committed just before the crash, its spool file not yet removed.
    await handleInbound(deps, {
      id: messages[0]!.id,
      senderId: world.resident.wechatId!,
      senderName: '张桂兰',
      text: '帮助',
      mentionsSelf: false,
    })
    // A write the crash cut short.
    writeFileSync(join(dir, '000000000099.json.tmp'), '{"v":1,"inbound":{"id":"')

    outage.down = false
    const second = createMessageHandler(deps, { spoolDir: dir, retryBaseMs: 1, retryMaxMs: 5 })
    await second.start?.()
    await second.idle?.()
    await second.stop?.()

    const ids = messages.map((m) => m.id)
    const { rows, replies } = await stored(ids)
    expect(rows.map((r) => r.messageId).sort()).toEqual([...ids].sort())
    expect(replies.map((r) => r.dedupeKey)).toEqual(ids.map((id) => `reply:${id}`))
    expect(readdirSync(dir).filter((name) => !name.startsWith('rejected'))).toEqual([])
  })

  it('spools a photo with its bytes, and files it from the spool', async () => {
    const world = await makeWorld(deps)
    const { deps: flaky, outage } = withOutage(deps)
    const handler = createMessageHandler(flaky, {
      spoolDir: spoolDir(),
      retryBaseMs: 1,
      retryMaxMs: 5,
    })
    await handler.start?.()
    outage.down = true
    const photo = Buffer.from('\xff\xd8\xff\xe0 not really a jpeg, but bytes all the same', 'latin1')
    const message = wechatMessage(deps.clock.now(), {
      text: '',
      senderId: world.resident.wechatId!,
      type: types.Message.Image,
      photo,
    })
    await handler(message)
    outage.down = false
    await handler.idle?.()
    await handler.stop?.()
    const [row] = await deps.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.messageId, message.id))
    expect(row?.kind).toBe('image')
    expect(row?.attachmentId).not.toBeNull()
  })
})

describe.skipIf(!drivers.includes('postgres'))('inbound messages across a real PostgreSQL outage', () => {
  let deps: TestDeps
  let relay: Awaited<ReturnType<typeof relayTo>>
  let relayed: Database
  let dir: string
  beforeAll(async () => {
    deps = await createTestDeps('postgres')
    const url = new URL((deps.database as Database & { url: string }).url)
    relay = await relayTo(url)
    relayed = await openDatabase({ url: relay.url, poolSize: 2 })
    dir = mkdtempSync(join(tmpdir(), 'gaizao-spool-pg-'))
  })
  afterAll(async () => {
    await relayed.close().catch(() => {})
    await relay.close()
    await deps.database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('loses no message when the connection to PostgreSQL is cut and comes back', async () => {
    const world = await makeWorld(deps)
    const through: Deps = { ...deps, db: relayed.db, database: relayed }
    const handler = createMessageHandler(through, { spoolDir: dir, retryBaseMs: 5, retryMaxMs: 50 })
    await handler.start?.()
    const messages: Message[] = []
    const say = async (text: string) => {
      const message = wechatMessage(deps.clock.now(), { text, senderId: world.resident.wechatId! })
      messages.push(message)
      await handler(message)
    }
    await say('帮助')
    await relay.cut()
    for (let i = 0; i < 5; i++) await say('帮助')
    expect(spoolFiles(dir).length).toBeGreaterThan(0)
    await relay.restore()
    await say('帮助')
    await handler.idle?.()
    await handler.stop?.()
    const ids = messages.map((m) => m.id)
    const rows = await deps.db.select().from(inboundMessages).where(inArray(inboundMessages.messageId, ids))
    const replies = await deps.db
      .select()
      .from(outbox)
      .where(
        inArray(
          outbox.dedupeKey,
          ids.map((id) => `reply:${id}`),
        ),
      )
      .orderBy(outbox.id)
    expect(rows).toHaveLength(ids.length)
    expect(replies.map((r) => r.dedupeKey)).toEqual(ids.map((id) => `reply:${id}`))
  })
})
