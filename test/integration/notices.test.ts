import { and, eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handleInbound } from '../../core/chat/chat.usecases'
import {
  cancelNotice,
  createBroadcast,
  expireDrafts,
  findNotice,
  noticeProgress,
  publishDueNotices,
} from '../../core/notices/broadcast.usecases'
import { drainOutboxOnce } from '../../core/outbox/outbox.sender'
import { chatGroups, outbox } from '../../db/schema'
import { say as chat } from '../support/chat'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('broadcast notices on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const rowsOf = (number: string) =>
    deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.batch, `notice:${number}`))
  /** A world with a second residents' group and a building group in the same xiaoqu. */
  const worldWithGroups = async () => {
    const world = await makeWorld(deps)
    const extra = [`${uniqueId('b')}@chatroom`, `${uniqueId('c')}@chatroom`]
    await deps.db.insert(chatGroups).values([
      {
        roomId: extra[0]!,
        topic: '3号楼群',
        kind: 'building',
        xiaoquId: world.xiaoqu.id,
        scopePath: world.xiaoqu.path,
        createdAt: deps.clock.now(),
      },
      {
        roomId: extra[1]!,
        topic: '二群',
        kind: 'residents',
        xiaoquId: world.xiaoqu.id,
        scopePath: world.xiaoqu.path,
        createdAt: deps.clock.now(),
      },
    ])
    return { ...world, residentRooms: [world.roomId, ...extra] }
  }

  it("publishes to every residents' and building group in scope once, not to officers' groups or other xiaoqu", async () => {
    const world = await worldWithGroups()
    const elsewhere = await makeWorld(deps)
    const notice = await createBroadcast(deps, world.officer.actor, {
      text: '明天上午9点停水，请提前储水。',
      areaId: world.community.id,
    })
    expect(notice).toMatchObject({ status: 'published', groupCount: 3 })
    expect(notice.number).toMatch(/^B\d+$/)
    const rows = await rowsOf(notice.number)
    expect(rows.map((r) => r.conversationId).sort()).toEqual([...world.residentRooms].sort())
    expect(rows.every((r) => r.text.includes('明天上午9点停水') && r.priority === 'normal')).toBe(true)
    expect(
      rows.some((r) => r.conversationId === world.officersRoomId || r.conversationId === elsewhere.roomId),
    ).toBe(false)
    // Published again by a second job run: nothing more is written.
    await publishDueNotices(deps)
    expect(await rowsOf(notice.number)).toHaveLength(3)
  })

  it('holds a scheduled notice until due; two job runs at once publish it once', async () => {
    const world = await worldWithGroups()
    const at = new Date(deps.clock.now().getTime() + 3_600_000)
    const notice = await createBroadcast(deps, world.officer.actor, {
      text: '周六上午社区议事会',
      xiaoquId: world.xiaoqu.id,
      publishAt: at,
    })
    expect(notice.status).toBe('scheduled')
    await publishDueNotices(deps)
    expect(await rowsOf(notice.number)).toHaveLength(0)
    deps.clock.set(at)
    await Promise.all([
      deps.db.transaction((tx) => publishDueNotices({ ...deps, db: tx })),
      deps.db.transaction((tx) => publishDueNotices({ ...deps, db: tx })),
    ])
    expect(await rowsOf(notice.number)).toHaveLength(3)
    expect((await findNotice(deps.db, notice.number)).status).toBe('published')
  })

  it('refuses a scope outside the publisher, property staff, and a scope without groups', async () => {
    const world = await worldWithGroups()
    const other = await makeWorld(deps)
    await expect(
      createBroadcast(deps, other.officer.actor, { text: '越权', xiaoquId: world.xiaoqu.id }),
    ).rejects.toMatchObject({ status: 403 })
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    await expect(
      createBroadcast(deps, property.actor, { text: '物业不能发公告', xiaoquId: world.xiaoqu.id }),
    ).rejects.toMatchObject({ status: 403 })
    await deps.db
      .delete(chatGroups)
      .where(and(eq(chatGroups.xiaoquId, other.xiaoqu.id), like(chatGroups.roomId, '%@chatroom')))
    await expect(
      createBroadcast(deps, other.officer.actor, { text: '没有群', xiaoquId: other.xiaoqu.id }),
    ).rejects.toMatchObject({ status: 422, code: 'notices.no_groups' })
    await expect(
      createBroadcast(deps, world.officer.actor, { text: '   ', xiaoquId: world.xiaoqu.id }),
    ).rejects.toMatchObject({ status: 400 })
  })

  it('cancels a scheduled notice, drops the unsent rest of a published one, and refuses once all is sent', async () => {
    const world = await worldWithGroups()
    const later = await createBroadcast(deps, world.officer.actor, {
      text: '下周施工',
      xiaoquId: world.xiaoqu.id,
      publishAt: new Date(deps.clock.now().getTime() + 86_400_000),
    })
    expect((await cancelNotice(deps, world.officer.actor, later.number)).notice.status).toBe('cancelled')
    deps.clock.advance(2 * 86_400_000)
    await publishDueNotices(deps)
    expect(await rowsOf(later.number)).toHaveLength(0)

    const now = await createBroadcast(deps, world.officer.actor, {
      text: '今晚停电检修',
      xiaoquId: world.xiaoqu.id,
    })
    const sent: string[] = []
    await drainOutboxOnce({ ...deps }, { send: async (row) => void sent.push(row.conversationId) }, 1)
    const cancelled = await cancelNotice(deps, world.officer.actor, now.number)
    expect(cancelled.droppedMessages).toBeGreaterThan(0)
    const progress = await noticeProgress(deps.db, now)
    expect((progress.totals.sent ?? 0) + (progress.totals.dropped ?? 0)).toBe(3)

    const all = await createBroadcast(deps, world.officer.actor, {
      text: '已发完的公告',
      xiaoquId: world.xiaoqu.id,
    })
    for (let i = 0; i < 10; i++) await drainOutboxOnce(deps, { send: async () => {} })
    await expect(cancelNotice(deps, world.officer.actor, all.number)).rejects.toMatchObject({
      code: 'notices.already_sent',
    })
  })

  it('drafts with 公告 in a private chat, says how many groups, sends on 确认, and lets drafts expire', async () => {
    const world = await worldWithGroups()
    const wechatId = world.officer.staff.wechatId!
    const say = (text: string) =>
      chat(deps, { senderId: wechatId, senderName: world.officer.staff.name, text })
    const draft = await say('公告 本周六上午9点在社区广场开居民议事会')
    expect(draft.reply).toMatch(/将发到.+的 3 个居民群/)
    expect(draft.reply).toContain('确认')
    const number = /草稿 (B\d+)/.exec(draft.reply)?.[1]
    expect(await rowsOf(number!)).toHaveLength(0)
    const confirmed = await say('确认')
    expect(confirmed.result).toMatchObject({ outcome: `published:${number}` })
    expect(await rowsOf(number!)).toHaveLength(3)
    expect((await say('确认')).reply).toContain('没有待确认的公告')

    const late = await say('公告 这条没人确认')
    const lateNumber = /草稿 (B\d+)/.exec(late.reply)?.[1]
    deps.clock.advance(31 * 60_000)
    await expireDrafts(deps)
    expect((await findNotice(deps.db, lateNumber!)).status).toBe('expired')
    expect((await say('确认')).reply).toContain('没有待确认的公告')
    expect(await rowsOf(lateNumber!)).toHaveLength(0)

    const resident = await handleInbound(deps, {
      id: uniqueId('r'),
      senderId: world.resident.wechatId!,
      senderName: '张桂兰',
      text: '公告 我也想发',
      mentionsSelf: false,
    })
    expect(resident).toMatchObject({ outcome: 'refused:chat.not_staff' })
  })
})
