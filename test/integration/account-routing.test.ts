import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, eq, inArray, like } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Message, types } from 'wechaty'
import { attachLifecycleHandlers, reconcileOnLogin } from '../../bot/on-lifecycle'
import { createMessageHandler, mentionedHandler } from '../../bot/on-message'
import { runFailover } from '../../core/accounts/failover'
import { groupSpeaker } from '../../core/accounts/reach'
import { claimDue, enqueueMessages, type OutboxRow } from '../../core/outbox/outbox.repository'
import { drainOutboxOnce, type Transport } from '../../core/outbox/outbox.sender'
import { forgetSendPacing } from '../../core/settings/send-pacing'
import {
  botAccounts,
  botLeases,
  botStatus,
  chatGroups,
  conversationReach,
  conversationRoutes,
  inboundMessages,
  outbox,
} from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

function recordingTransport() {
  const sent: OutboxRow[] = []
  const transport: Transport = {
    async send(row) {
      sent.push(row)
    },
  }
  return { sent, transport }
}

/** A wechaty instance after login, as far as reconcileOnLogin reads it. */
function loggedIn(roomIds: string[]) {
  return {
    Room: { findAll: async () => roomIds.map((id) => ({ id, topic: async () => `群 ${id}` })) },
    Contact: { findAll: async () => [] },
  } as unknown as Parameters<typeof reconcileOnLogin>[0]
}

/** One group message as one account's puppet hands it over (each account sees its own message id). */
function groupMessage(
  at: Date,
  fields: { text: string; senderId: string; roomId?: string; mentionsSelf?: boolean; mentions?: string[] },
): Message {
  return {
    id: uniqueId('msg'),
    self: () => false,
    talker: () => ({ id: fields.senderId, name: () => '张桂兰' }),
    room: () =>
      fields.roomId
        ? { id: fields.roomId, topic: async () => '居民群', alias: async () => undefined }
        : undefined,
    type: () => types.Message.Text,
    text: () => fields.text,
    date: () => at,
    mentionSelf: async () => fields.mentionsSelf ?? false,
    mentionText: async () => fields.text.replace(/^@\S+\s*/, ''),
    mentionList: async () => (fields.mentions ?? []).map((id) => ({ id, name: () => '' })),
    wechaty: { currentUser: { name: () => '改造助手' } },
  } as unknown as Message
}

/** Which accounts speak where, who reaches what, and the outbox claimed, paced and failed over per account. */
describe.each(drivers)('bot accounts and routing on %s', (driver) => {
  let deps: TestDeps
  const dirs: string[] = []
  beforeAll(async () => {
    deps = await createTestDeps(driver, { env: { SEND_MIN_GAP_MS: '0' } })
  })
  afterAll(async () => {
    await deps.database.close()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    // The accounts' tables are global (the fallback account is the first enabled one): each test starts bare.
    for (const table of [botAccounts, botStatus, botLeases, conversationReach, conversationRoutes, outbox])
      await deps.db.delete(table)
  })

  const accounts = async (...names: string[]) => {
    for (const name of names)
      await deps.db
        .insert(botAccounts)
        .values({ name, label: `账号${name}`, puppet: 'wechaty-puppet-mock', createdAt: deps.clock.now() })
  }
  const route = (conversationId: string, account: string) =>
    deps.db
      .insert(conversationRoutes)
      .values({ conversationId, account, reason: 'learnt', since: deps.clock.now() })
  const reach = (conversationId: string, account: string) =>
    deps.db
      .insert(conversationReach)
      .values({ conversationId, account, isRoom: true, seenAt: deps.clock.now() })
  const routes = async (ids: string[]) =>
    Object.fromEntries(
      (
        await deps.db.select().from(conversationRoutes).where(inArray(conversationRoutes.conversationId, ids))
      ).map((r) => [r.conversationId, `${r.account}:${r.reason}`]),
    )
  const enqueue = (conversationId: string, count = 1, text = 'x') =>
    enqueueMessages(
      deps.db,
      Array.from({ length: count }, (_, i) => ({ conversationId, isRoom: true, text: `${text} ${i}` })),
      deps.clock.now(),
    )
  const claim = (account: string | undefined, limit = 20, minGapMs = 0) =>
    deps.db.transaction((tx) =>
      claimDue(tx, {
        now: deps.clock.now(),
        limit,
        leaseMs: 60_000,
        minGapMs,
        allowNormal: true,
        ...(account === undefined ? {} : { account }),
      }),
    )
  const rooms = (rows: OutboxRow[]) => [...new Set(rows.map((r) => r.conversationId))].sort()
  const putBack = () =>
    deps.db
      .update(outbox)
      .set({ status: 'pending', leaseUntil: null, sentBy: null })
      .where(eq(outbox.status, 'sending'))
  const status = (account: string, state: string, sinceMs: number, reportedMs = 0) => {
    const now = deps.clock.now().getTime()
    return deps.db.insert(botStatus).values({
      account,
      holder: `host:${account}`,
      state,
      stateSince: new Date(now - sinceMs),
      reportedAt: new Date(now - reportedMs),
    })
  }
  /** The account reports again now (a live process). */
  const touch = (account: string) =>
    deps.db.update(botStatus).set({ reportedAt: deps.clock.now() }).where(eq(botStatus.account, account))
  const lease = (account: string) =>
    deps.db.insert(botLeases).values({
      account,
      holder: `host:${account}`,
      expiresAt: new Date(deps.clock.now().getTime() + 86_400_000),
      acquiredAt: deps.clock.now(),
    })

  it('learns the rooms an account is in from its room list at login, and forgets those it left', async () => {
    const [r1, r2, r3] = [1, 2, 3].map((i) => `${uniqueId(`login${i}`)}@chatroom`) as [string, string, string]
    await reconcileOnLogin(loggedIn([r1, r2]), deps, 'a')
    // b is in r2 and r3 already; r3 has no route, r2 keeps the one a learnt first.
    await reconcileOnLogin(loggedIn([r2, r3]), deps, 'b')
    const reachOf = async () =>
      (
        await deps.db
          .select()
          .from(conversationReach)
          .where(inArray(conversationReach.conversationId, [r1, r2, r3]))
      )
        .map((r) => `${r.conversationId === r1 ? 'r1' : r.conversationId === r2 ? 'r2' : 'r3'}:${r.account}`)
        .sort()
    expect(await reachOf()).toEqual(['r1:a', 'r2:a', 'r2:b', 'r3:b'])
    expect(await routes([r1, r2, r3])).toEqual({ [r1]: 'a:learnt', [r2]: 'a:learnt', [r3]: 'b:learnt' })
    // a logs in again without r2: it no longer reaches it, and r2's route moves to b, who does.
    await reconcileOnLogin(loggedIn([r1]), deps, 'a')
    expect(await reachOf()).toEqual(['r1:a', 'r2:b', 'r3:b'])
    expect(await routes([r2])).toEqual({ [r2]: 'b:learnt' })
    // An empty list is "not loaded yet": nothing forgotten.
    await reconcileOnLogin(loggedIn([]), deps, 'a')
    expect(await reachOf()).toEqual(['r1:a', 'r2:b', 'r3:b'])
  })

  it('claims for an account only the conversations it speaks in; unrouted ones by reach, else the fallback', async () => {
    await accounts('a', 'b')
    const g = (name: string) => `${uniqueId(name)}@chatroom`
    const [toA, toB, reachedByB, nobody] = [g('toA'), g('toB'), g('reachedByB'), g('nobody')]
    await route(toA, 'a')
    await route(toB, 'b')
    await reach(reachedByB, 'b')
    for (const room of [toA, toB, reachedByB, nobody]) await enqueue(room)
    for (const minGapMs of [0, 3_000]) {
      const forB = await claim('b', 20, minGapMs)
      expect(rooms(forB)).toEqual([reachedByB, toB].sort())
      expect(forB.every((r) => r.sentBy === 'b')).toBe(true)
      // The first enabled account by name is the fallback: it takes what nobody reaches.
      expect(rooms(await claim('a', 20, minGapMs))).toEqual([nobody, toA].sort())
      await putBack()
    }
    // Disabled, b no longer takes the group it reaches but nobody routed: a (the fallback) does.
    await deps.db.update(botAccounts).set({ enabled: false }).where(eq(botAccounts.name, 'b'))
    expect(rooms(await claim('b'))).toEqual([toB])
    expect(rooms(await claim('a'))).toEqual([nobody, reachedByB, toA].sort())
  })

  it('finds an account’s groups behind another account’s long backlog; unrouted ones there once routed', async () => {
    const busy = `${uniqueId('busy')}@chatroom`
    const mineB = `${uniqueId('mineB')}@chatroom`
    const unrouted = `${uniqueId('unrouted')}@chatroom`
    await route(busy, 'a')
    await route(mineB, 'b')
    // 60 rows of a's busy group come first in the sending order: a look-ahead of 5 × 3 rows sees only them.
    await enqueue(busy, 60)
    await enqueue(mineB)
    await enqueue(unrouted)
    // No accounts named (one account): the account takes every unrouted group, found past the backlog.
    expect(rooms(await claim('a', 3, 3_000))).toEqual([busy, unrouted].sort())
    await putBack()
    // Accounts named: each claim looks at its own routes only; the failover job routes the unrouted group
    // to the fallback account (the first by name), whose claim then finds it.
    await accounts('a', 'b')
    expect(rooms(await claim('b', 3, 3_000))).toEqual([mineB])
    expect(rooms(await claim('a', 3, 3_000))).toEqual([busy])
    await putBack()
    expect((await runFailover(deps)).adopted).toBe(1)
    expect(await routes([unrouted])).toEqual({ [unrouted]: 'a:learnt' })
    expect(rooms(await claim('a', 3, 3_000))).toEqual([busy, unrouted].sort())
  })

  it('keeps a one-account deployment that never learnt routes sending everything, stamped by its account', async () => {
    const groups = [1, 2, 3].map((i) => `${uniqueId(`solo${i}`)}@chatroom`)
    for (const room of groups) await enqueue(room, 2)
    const { sent, transport } = recordingTransport()
    expect(await drainOutboxOnce(deps, transport, 20, { stopped: false }, 'default')).toBe(6)
    expect(rooms(sent)).toEqual([...groups].sort())
    const rows = await deps.db.select().from(outbox).where(inArray(outbox.conversationId, groups))
    expect(rows.map((r) => `${r.status}:${r.sentBy}`)).toEqual(Array(6).fill('sent:default'))
    // Without an account, as before: everything claimed, nothing stamped.
    const other = `${uniqueId('plain')}@chatroom`
    await enqueue(other)
    await drainOutboxOnce(deps, transport)
    const [plain] = await deps.db.select().from(outbox).where(eq(outbox.conversationId, other))
    expect(plain).toMatchObject({ status: 'sent', sentBy: null })
  })

  it('counts the rate and the daily cap per account: one at its limit does not hold the other back', async () => {
    await accounts('a', 'b')
    const paced = {
      ...deps,
      config: { ...deps.config, send: { ...deps.config.send, ratePerMinute: 2, dailyCap: 0 } },
    }
    const capped = {
      ...deps,
      config: { ...deps.config, send: { ...deps.config.send, ratePerMinute: 0, dailyCap: 3 } },
    }
    const groupsOf = async (account: string) => {
      const list = [1, 2, 3, 4].map((i) => `${uniqueId(`${account}${i}`)}@chatroom`)
      for (const room of list) {
        await route(room, account)
        await enqueue(room)
      }
      return list
    }
    await groupsOf('a')
    await groupsOf('b')
    const { sent, transport } = recordingTransport()
    const by = (account: string) => sent.filter((r) => r.sentBy === account).length
    try {
      expect(await drainOutboxOnce(paced, transport, 20, { stopped: false }, 'a')).toBe(2)
      expect(await drainOutboxOnce(paced, transport, 20, { stopped: false }, 'a')).toBe(0)
      expect(await drainOutboxOnce(paced, transport, 20, { stopped: false }, 'b')).toBe(2)
      expect([by('a'), by('b')]).toEqual([2, 2])
      // The day's cap: a has sent 2 today, may send 1 more; b likewise, whatever a did.
      forgetSendPacing(paced.config)
      expect(await drainOutboxOnce(capped, transport, 20, { stopped: false }, 'a')).toBe(1)
      expect(await drainOutboxOnce(capped, transport, 20, { stopped: false }, 'a')).toBe(0)
      expect(await drainOutboxOnce(capped, transport, 20, { stopped: false }, 'b')).toBe(1)
      expect([by('a'), by('b')]).toEqual([3, 3])
    } finally {
      forgetSendPacing(paced.config)
      forgetSendPacing(capped.config)
    }
  })

  it('fails over the groups another online account reaches, tells the officers once about the rest, and stays put', async () => {
    await accounts('a', 'b')
    const world = await makeWorld(deps)
    const failoverAfterMs = deps.config.bot.failoverAfterMs
    await status('a', 'online', 3_600_000)
    await lease('a')
    // b went offline longer ago than the failover wait.
    await status('b', 'offline', failoverAfterMs + 60_000)
    const shared = `${uniqueId('shared')}@chatroom`
    const held = `${uniqueId('held')}@chatroom`
    const lonely = world.roomId
    for (const room of [shared, held, lonely]) {
      await route(room, 'b')
      await reach(room, 'b')
    }
    await reach(shared, 'a')
    await reach(held, 'a')
    await route(world.officersRoomId, 'a')
    await enqueue(shared)
    await enqueue(lonely)
    // b holds held's head mid-send: the group moves, its rows wait for b's lease, nothing goes twice.
    await enqueue(held, 2)
    const [head] = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, held))
      .orderBy(outbox.id)
    await deps.db
      .update(outbox)
      .set({
        status: 'sending',
        inFlight: true,
        sentBy: 'b',
        leaseUntil: new Date(deps.clock.now().getTime() + 60_000),
      })
      .where(eq(outbox.id, head!.id))

    const runs = await Promise.all([runFailover(deps), runFailover(deps)])
    await runFailover(deps)
    expect(runs.reduce((n, r) => n + r.moved, 0)).toBe(2)
    expect(await routes([shared, held, lonely])).toEqual({
      [shared]: 'a:failover',
      [held]: 'a:failover',
      [lonely]: 'b:learnt',
    })
    const notices = await deps.db.select().from(outbox).where(like(outbox.dedupeKey, 'failover:b:%'))
    expect(notices.map((n) => n.conversationId)).toEqual([world.officersRoomId])
    expect(notices[0]!.text).toContain('居民群')
    expect(notices[0]!.text).toContain('账号b')

    const claimed = await claim('a')
    expect(rooms(claimed)).toEqual([shared, world.officersRoomId].sort())
    expect(claimed.some((r) => r.conversationId === held)).toBe(false)
    await putBack()

    // b comes back: its groups stay with a (no flapping), and nothing more is said.
    await deps.db
      .update(botStatus)
      .set({ state: 'online', stateSince: deps.clock.now() })
      .where(eq(botStatus.account, 'b'))
    await lease('b')
    deps.clock.advance(60_000)
    await touch('a')
    await touch('b')
    await runFailover(deps)
    expect(await routes([shared, held])).toEqual({ [shared]: 'a:failover', [held]: 'a:failover' })
    expect(await deps.db.select().from(outbox).where(like(outbox.dedupeKey, 'failover:%'))).toHaveLength(1)
  })

  it('does not fail over before the account has been down long enough, nor a stale one too soon', async () => {
    await accounts('a', 'b')
    await status('a', 'online', 3_600_000)
    await lease('a')
    await status('b', 'online', 3_600_000)
    await lease('b')
    const room = `${uniqueId('patient')}@chatroom`
    await route(room, 'b')
    await reach(room, 'a')
    await reach(room, 'b')
    expect((await runFailover(deps)).moved).toBe(0)
    // b's reports stop (a dead process): stale after two leases, but down only since its last report.
    const { leaseMs, failoverAfterMs } = deps.config.bot
    deps.clock.advance(2 * leaseMs + 1_000)
    await touch('a')
    expect((await runFailover(deps)).moved).toBe(0)
    deps.clock.advance(failoverAfterMs - 2 * leaseMs)
    await touch('a')
    expect((await runFailover(deps)).moved).toBe(1)
    expect(await routes([room])).toEqual({ [room]: 'a:failover' })
  })

  it('files a group message seen by two accounts once: by the one @-mentioned, else by the routed one', async () => {
    const world = await makeWorld(deps)
    const at = deps.clock.now()
    await status('a', 'online', 3_600_000)
    await status('b', 'online', 3_600_000)
    await deps.db.update(botStatus).set({ selfId: 'wxid_bot_a' }).where(eq(botStatus.account, 'a'))
    await deps.db.update(botStatus).set({ selfId: 'wxid_bot_b' }).where(eq(botStatus.account, 'b'))
    await route(world.roomId, 'a')
    const handlers = ['a', 'b'].map((account) => {
      const dir = mkdtempSync(join(tmpdir(), 'gaizao-routing-'))
      dirs.push(dir)
      return createMessageHandler(deps, { account, spoolDir: dir })
    }) as [ReturnType<typeof createMessageHandler>, ReturnType<typeof createMessageHandler>]
    for (const h of handlers) await h.start()
    const filed = async (text: string) =>
      (
        await deps.db
          .select()
          .from(inboundMessages)
          .where(and(eq(inboundMessages.roomId, world.roomId), eq(inboundMessages.text, text)))
      ).length
    const sender = world.resident.wechatId!
    try {
      // No mention: both accounts receive it; the group is routed to a.
      const plain = `楼道灯坏了 ${uniqueId('t')}`
      await handlers[0](groupMessage(at, { text: plain, senderId: sender, roomId: world.roomId }))
      await handlers[1](groupMessage(at, { text: plain, senderId: sender, roomId: world.roomId }))
      expect(await filed(plain)).toBe(1)
      // @b: b files it; a sees b in the mention list and leaves it.
      const body = `报修 电梯停了 ${uniqueId('t')}`
      await handlers[0](
        groupMessage(at, {
          text: `@改造助手 ${body}`,
          senderId: sender,
          roomId: world.roomId,
          mentions: ['wxid_bot_b'],
        }),
      )
      await handlers[1](
        groupMessage(at, {
          text: `@改造助手 ${body}`,
          senderId: sender,
          roomId: world.roomId,
          mentionsSelf: true,
        }),
      )
      const stored = await deps.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.roomId, world.roomId))
      expect(stored.filter((m) => m.text.includes(body))).toHaveLength(1)
      // Another of our accounts speaking in the group is not filed at all.
      const echo = `通知 ${uniqueId('t')}`
      await handlers[1](groupMessage(at, { text: echo, senderId: 'wxid_bot_a', roomId: world.roomId }))
      expect(await filed(echo)).toBe(0)
      // Both learnt they reach the group.
      const reached = await deps.db
        .select()
        .from(conversationReach)
        .where(eq(conversationReach.conversationId, world.roomId))
      expect(reached.map((r) => r.account).sort()).toEqual(['a', 'b'])
      // A private chat goes to the account the person last talked to.
      const person = world.resident.wechatId!
      await handlers[0](groupMessage(at, { text: '帮助', senderId: person }))
      expect(await routes([person])).toEqual({ [person]: 'a:learnt' })
      await handlers[1](groupMessage(at, { text: '帮助', senderId: person }))
      expect(await routes([person])).toEqual({ [person]: 'b:learnt' })
      await handlers[0](groupMessage(at, { text: '帮助', senderId: person }))
      expect(await routes([person])).toEqual({ [person]: 'a:learnt' })
      // a goes offline: b, online and in the group, takes the messages without a mention until failover.
      await deps.db.update(botStatus).set({ state: 'offline' }).where(eq(botStatus.account, 'a'))
      expect(await groupSpeaker(deps.db, world.roomId, 'b', deps.clock.now(), 60_000)).toBe('b')
    } finally {
      for (const h of handlers) await h.stop()
    }
  })

  it('keeps a group an account is removed from while another account is still in it', async () => {
    const world = await makeWorld(deps)
    await route(world.roomId, 'a')
    await reach(world.roomId, 'a')
    await reach(world.roomId, 'b')
    const listeners = new Map<string, (...args: unknown[]) => Promise<void>>()
    const wechaty = {
      on: (event: string, listener: (...args: unknown[]) => Promise<void>) => listeners.set(event, listener),
    } as unknown as Parameters<typeof attachLifecycleHandlers>[0]
    attachLifecycleHandlers(wechaty, deps, { account: 'a' })
    const room = { id: world.roomId, topic: async () => '居民群', memberAll: async () => [] }
    const self = { id: 'wxid_bot_a', name: () => '改造助手', self: () => true }
    await listeners.get('room-leave')!(room, [self])
    expect(await routes([world.roomId])).toEqual({ [world.roomId]: 'b:learnt' })
    const [group] = await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, world.roomId))
    expect(group!.state).toBe('active')
    // b leaves too: nobody is left, and the group is gone for Gaizao as before.
    attachLifecycleHandlers(wechaty, deps, { account: 'b' })
    await listeners.get('room-leave')!(room, [{ ...self, id: 'wxid_bot_b' }])
    const [left] = await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, world.roomId))
    expect(left!.state).toBe('left')
  })

  it('picks one handler among the accounts mentioned', () => {
    expect(mentionedHandler('b', true, [])).toBe('b')
    expect(mentionedHandler('a', false, ['b'])).toBe('b')
    expect(mentionedHandler('b', true, ['a'])).toBe('a')
    expect(mentionedHandler('a', true, ['b'])).toBe('a')
  })

  it('routes a group to the account already speaking there when a second one joins', async () => {
    const room = `${uniqueId('two')}@chatroom`
    await reconcileOnLogin(loggedIn([room]), deps, 'b')
    await reconcileOnLogin(loggedIn([room]), deps, 'a')
    expect(await routes([room])).toEqual({ [room]: 'b:learnt' })
  })
})
