import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { attachLifecycleHandlers } from '../../bot/on-lifecycle'
import {
  createFriendThrottle,
  handleFriendRequest,
  handleInvitation,
  welcomeFriend,
} from '../../core/groups/invitations.usecases'
import { botRemovedFromRoom, membersJoined, membersLeft, roomRenamed } from '../../core/groups/rooms.usecases'
import { createBroadcast } from '../../core/notices/broadcast.usecases'
import { enqueueMessages } from '../../core/outbox/outbox.repository'
import { officerGroupsCovering } from '../../core/requests/requests.repository'
import { createLog } from '../../core/shared/log'
import { bindGroup, bindStaffWechat, issueBindCode } from '../../core/staff/staff.usecases'
import { auditLog, chatGroups, outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

describe.each(drivers)('groups and contacts over their lifetime on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  const call = apiCaller(() => app)
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const withBot = (bot: Partial<TestDeps['config']['bot']>) => ({
    ...deps,
    config: { ...deps.config, bot: { ...deps.config.bot, ...bot } },
  })
  const rowsTo = (conversationId: string) =>
    deps.db.select().from(outbox).where(eq(outbox.conversationId, conversationId))
  const groupOf = async (roomId: string) =>
    (await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, roomId)))[0]!
  /** A log that keeps what it is told, to check what a declined request leaves behind. */
  const recordingLog = () => {
    const lines: { level: string; msg: string; count?: number }[] = []
    return { lines, log: createLog('debug', (line) => lines.push(JSON.parse(line))) }
  }

  describe('invitations', () => {
    it("accepts a bound staff member's invitation and tells the officers' group over them how to bind", async () => {
      const world = await makeWorld(deps)
      let accepted = 0
      const invitation = {
        id: uniqueId('inv'),
        inviterId: world.officer.staff.wechatId!,
        inviterName: '李红',
        topic: '新小区居民群',
      }
      const result = await handleInvitation(deps, invitation, async () => {
        accepted++
      })
      expect(result).toMatchObject({ accepted: true })
      expect(accepted).toBe(1)
      const told = await rowsTo(world.officersRoomId)
      expect(told.map((r) => r.text)).toEqual([
        '机器人已加入「新小区居民群」，在群里发 绑定小区 绑定码 即可启用。',
      ])
      // The same invitation reported twice is told once.
      await handleInvitation(deps, invitation, async () => {})
      expect(await rowsTo(world.officersRoomId)).toHaveLength(1)
    })

    it("declines a stranger's invitation by silence under 'staff', accepts it under 'all', never under 'none'", async () => {
      const world = await makeWorld(deps)
      const { lines, log } = recordingLog()
      const stranger = {
        id: uniqueId('inv'),
        inviterId: uniqueId('wxid_x'),
        inviterName: '陌生人',
        topic: '广告群',
      }
      let accepted = 0
      const accept = async () => {
        accepted++
      }
      expect(await handleInvitation({ ...deps, log }, stranger, accept)).toEqual({ accepted: false })
      expect(accepted).toBe(0)
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'info', msg: 'group invitation declined' }),
      )
      const staffInvite = { ...stranger, id: uniqueId('inv'), inviterId: world.officer.staff.wechatId! }
      expect(await handleInvitation(withBot({ acceptInvites: 'none' }), staffInvite, accept)).toEqual({
        accepted: false,
      })
      expect(accepted).toBe(0)
      expect(await handleInvitation(withBot({ acceptInvites: 'all' }), stranger, accept)).toMatchObject({
        accepted: true,
      })
      expect(accepted).toBe(1)
    })
  })

  describe('friend requests', () => {
    it('accepts per setting, welcomes once with the help text (staff variant for staff)', async () => {
      const world = await makeWorld(deps)
      const throttle = createFriendThrottle(30)
      const resident = uniqueId('wxid_r')
      let accepted = 0
      const accept = async () => {
        accepted++
      }
      await handleFriendRequest(
        deps,
        { contactId: resident, contactName: '王', hello: '你好' },
        accept,
        throttle,
      )
      await welcomeFriend(deps, { contactId: resident }) // the Confirm event that follows
      const welcome = await rowsTo(resident)
      expect(welcome).toHaveLength(1)
      expect(welcome[0]).toMatchObject({ isRoom: 0, dedupeKey: `welcome-friend:${resident}` })
      expect(welcome[0]!.text).toContain('报事')
      expect(welcome[0]!.text).not.toContain('待办')

      const officerId = world.officer.staff.wechatId!
      await welcomeFriend(deps, { contactId: officerId })
      expect((await rowsTo(officerId))[0]!.text).toContain('待办')

      const keyword = withBot({ acceptFriends: 'keyword', friendKeyword: '改造' })
      const noKeyword = await handleFriendRequest(
        keyword,
        { contactId: uniqueId('wxid'), contactName: 'a', hello: '加个好友' },
        accept,
        throttle,
      )
      expect(noKeyword).toMatchObject({ accepted: false, reason: 'policy' })
      const withKeyword = await handleFriendRequest(
        keyword,
        { contactId: uniqueId('wxid'), contactName: 'b', hello: '我是3号楼的，问改造的事' },
        accept,
        throttle,
      )
      expect(withKeyword).toEqual({ accepted: true })
      const none = await handleFriendRequest(
        withBot({ acceptFriends: 'none' }),
        { contactId: uniqueId('wxid'), contactName: 'c', hello: '改造' },
        accept,
        throttle,
      )
      expect(none.accepted).toBe(false)
      expect(accepted).toBe(2)
    })

    it('accepts at most friendsPerHour an hour and warns about the rest once a minute with a count', async () => {
      const { lines, log } = recordingLog()
      const throttled = { ...deps, log }
      const throttle = createFriendThrottle(2)
      let accepted = 0
      const request = () =>
        handleFriendRequest(
          throttled,
          { contactId: uniqueId('wxid'), contactName: 'x', hello: '' },
          async () => {
            accepted++
          },
          throttle,
        )
      for (let i = 0; i < 5; i++) await request()
      expect(accepted).toBe(2)
      const warns = () => lines.filter((l) => l.level === 'warn')
      expect(warns()).toHaveLength(1)
      expect(warns()[0]!.count).toBe(1)
      deps.clock.advance(61_000)
      await request()
      expect(warns().map((w) => w.count)).toEqual([1, 3])
      deps.clock.advance(3_600_000)
      await request()
      expect(accepted).toBe(3)
    })
  })

  describe('the bot removed, renamed rooms, members', () => {
    it("marks the group left, drops its pending messages and tells the officers' group", async () => {
      const world = await makeWorld(deps)
      const now = deps.clock.now()
      await enqueueMessages(
        deps.db,
        [
          { conversationId: world.roomId, isRoom: true, text: '待发一', dedupeKey: uniqueId('k') },
          { conversationId: world.roomId, isRoom: true, text: '待发二', dedupeKey: uniqueId('k') },
        ],
        now,
      )
      const result = await botRemovedFromRoom(deps, { roomId: world.roomId })
      expect(result).toMatchObject({ known: true, dropped: 2, notified: 1 })
      const group = await groupOf(world.roomId)
      expect(group.state).toBe('left')
      expect(group.stateChangedAt).toEqual(now)
      const rows = await rowsTo(world.roomId)
      expect(rows.map((r) => [r.status, r.lastError])).toEqual([
        ['dropped', '机器人已不在群里'],
        ['dropped', '机器人已不在群里'],
      ])
      const [told] = await rowsTo(world.officersRoomId)
      expect(told!.text).toBe(`机器人已被移出「居民群」（${world.xiaoqu.name}），该群的 2 条待发消息已取消。`)
      // Reported again: nothing more happens.
      expect(await botRemovedFromRoom(deps, { roomId: world.roomId })).toMatchObject({ notified: 0 })
      expect(await rowsTo(world.officersRoomId)).toHaveLength(1)
    })

    it('only logs a room the bot never knew', async () => {
      const { lines, log } = recordingLog()
      const result = await botRemovedFromRoom({ ...deps, log }, { roomId: uniqueId('unknown') })
      expect(result).toEqual({ known: false, dropped: 0, notified: 0 })
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'info', msg: 'bot left a room it never knew' }),
      )
    })

    it('follows a new topic and the member count', async () => {
      const world = await makeWorld(deps)
      expect(await roomRenamed(deps, { roomId: world.roomId, topic: '农光里业主群' })).toBe(true)
      expect((await groupOf(world.roomId)).topic).toBe('农光里业主群')
      await membersJoined(deps, { roomId: world.roomId, members: [{ id: 'a', name: 'A' }], memberCount: 40 })
      expect((await groupOf(world.roomId)).memberCount).toBe(40)
      await membersLeft(deps, { roomId: world.roomId, leftCount: 3 })
      expect((await groupOf(world.roomId)).memberCount).toBe(37)
      await membersLeft(deps, { roomId: world.roomId, leftCount: 1, memberCount: 30 })
      expect((await groupOf(world.roomId)).memberCount).toBe(30)
      // Off by default: nobody is welcomed.
      expect(await rowsTo(world.roomId)).toHaveLength(0)
    })

    it('welcomes newcomers once ever, at most one message per 10 minutes, never in officers’ groups', async () => {
      const world = await makeWorld(deps)
      const welcoming = withBot({ welcomeNewMembers: true })
      const first = await membersJoined(welcoming, {
        roomId: world.roomId,
        members: [
          { id: 'wx_a', name: '阿明' },
          { id: 'wx_b', name: '小芳' },
        ],
      })
      expect(first).toEqual({ welcomed: 2 })
      const [welcome] = await rowsTo(world.roomId)
      expect(welcome!.mentions).toEqual([
        { id: 'wx_a', name: '阿明' },
        { id: 'wx_b', name: '小芳' },
      ])
      expect(welcome!.text).toContain('@改造助手 问题描述')
      // Within 10 minutes: no second welcome (the newcomer is not greeted later either).
      deps.clock.advance(5 * 60_000)
      expect(
        await membersJoined(welcoming, { roomId: world.roomId, members: [{ id: 'wx_c', name: 'C' }] }),
      ).toEqual({
        welcomed: 0,
      })
      deps.clock.advance(6 * 60_000)
      // A member welcomed before is not welcomed again; the new one is.
      const later = await membersJoined(welcoming, {
        roomId: world.roomId,
        members: [
          { id: 'wx_a', name: '阿明' },
          { id: 'wx_d', name: 'D' },
        ],
      })
      expect(later).toEqual({ welcomed: 1 })
      expect((await rowsTo(world.roomId)).map((r) => r.mentions.map((m) => m.id))).toEqual([
        ['wx_a', 'wx_b'],
        ['wx_d'],
      ])
      deps.clock.advance(11 * 60_000)
      expect(
        await membersJoined(welcoming, { roomId: world.roomId, members: [{ id: 'wx_a', name: '阿明' }] }),
      ).toEqual({
        welcomed: 0,
      })
      expect(
        await membersJoined(welcoming, {
          roomId: world.officersRoomId,
          members: [{ id: 'wx_e', name: 'E' }],
        }),
      ).toEqual({
        welcomed: 0,
      })
      await deps.db.update(chatGroups).set({ state: 'unbound' }).where(eq(chatGroups.roomId, world.roomId))
      expect(
        await membersJoined(welcoming, { roomId: world.roomId, members: [{ id: 'wx_f', name: 'F' }] }),
      ).toEqual({
        welcomed: 0,
      })
    })
  })

  describe('binding again', () => {
    it('re-activates an unbound or left group on 绑定小区, and records the staff WeChat name', async () => {
      const world = await makeWorld(deps)
      const worker = await makeStaff(deps, {
        name: uniqueId('社工'),
        role: 'officer',
        areaId: world.community.id,
      })
      const now = deps.clock.now()
      const staffCode = await issueBindCode(
        deps.db,
        world.admin,
        { purpose: 'staff', staffId: worker.staff.id },
        now,
        60,
      )
      const wechatId = uniqueId('wxid_w')
      const bound = await bindStaffWechat(deps.db, staffCode.code, wechatId, now, '陈静')
      expect(bound).toMatchObject({ wechatId, wechatName: '陈静' })

      for (const state of ['unbound', 'left'] as const) {
        await deps.db.update(chatGroups).set({ state }).where(eq(chatGroups.id, world.group.id))
        const code = await issueBindCode(
          deps.db,
          world.officer.actor,
          { purpose: 'group', xiaoquId: world.xiaoqu.id, kind: 'residents' },
          now,
          60,
        )
        deps.clock.advance(60_000)
        const { group } = await bindGroup(
          deps.db,
          world.officer.actor,
          { code: code.code, roomId: world.roomId, topic: '居民群' },
          deps.clock.now(),
        )
        expect(group).toMatchObject({ id: world.group.id, state: 'active', stateChangedAt: deps.clock.now() })
      }
    })
  })

  describe('the API', () => {
    it('lists groups in scope with filters; officers unbind and rebind, audited; workers only read', async () => {
      const world = await makeWorld(deps)
      const elsewhere = await makeWorld(deps)
      const officer = await makeStaff(deps, {
        name: uniqueId('官'),
        role: 'officer',
        areaId: world.community.id,
      })
      const worker = await makeStaff(deps, {
        name: uniqueId('社工'),
        role: 'community_worker',
        areaId: world.community.id,
      })
      const listed = await call(officer.token, 'GET', '/groups')
      expect(listed.status).toBe(200)
      expect(listed.body.items.map((g: { id: number }) => g.id)).toEqual([world.group.id])
      expect(listed.body.items[0]).toMatchObject({
        roomId: world.roomId,
        topic: '居民群',
        kind: 'residents',
        xiaoquName: world.xiaoqu.name,
        state: 'active',
      })
      const all = await call(deps.adminToken, 'GET', `/groups?xiaoquId=${elsewhere.xiaoqu.id}`)
      expect(all.body.items.map((g: { id: number }) => g.id)).toEqual([elsewhere.group.id])

      const path = `/groups/${world.group.id}`
      const noReason = await call(officer.token, 'POST', `${path}/unbind`, {})
      expect(noReason.status).toBe(400)
      expect(noReason.body.error.message).toContain('请写明原因')
      expect((await call(worker.token, 'POST', `${path}/unbind`, { reason: '测试' })).status).toBe(403)
      expect(
        (await call(officer.token, 'POST', `/groups/${elsewhere.group.id}/unbind`, { reason: 'x' })).status,
      ).toBe(403)
      await enqueueMessages(
        deps.db,
        [{ conversationId: world.roomId, isRoom: true, text: '待发', dedupeKey: uniqueId('k') }],
        deps.clock.now(),
      )
      const unbound = await call(officer.token, 'POST', `${path}/unbind`, { reason: '群已解散重建' })
      expect(unbound.status).toBe(200)
      expect(unbound.body).toMatchObject({ group: { state: 'unbound' }, dropped: 1 })
      expect((await call(officer.token, 'POST', `${path}/unbind`, { reason: '再次' })).status).toBe(409)
      const filtered = await call(officer.token, 'GET', '/groups?state=unbound')
      expect(filtered.body.items).toHaveLength(1)
      expect((await call(officer.token, 'GET', '/groups?state=active')).body.items).toHaveLength(0)

      // Officers cannot move a group elsewhere; admins can.
      expect((await call(officer.token, 'POST', `${path}/rebind`, { kind: 'building' })).status).toBe(403)
      const rebound = await call(officer.token, 'POST', `${path}/rebind`, {})
      expect(rebound.status).toBe(200)
      expect(rebound.body.state).toBe('active')
      const audits = await deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entity, 'chat_group'), eq(auditLog.entityId, String(world.group.id))))
      expect(audits.map((a) => a.action)).toEqual(['group.unbind', 'group.rebind'])
      expect(audits[0]!.after).toMatchObject({ reason: '群已解散重建' })

      await deps.db.update(chatGroups).set({ state: 'left' }).where(eq(chatGroups.id, world.group.id))
      const refused = await call(deps.adminToken, 'POST', `${path}/rebind`, {})
      expect(refused.status).toBe(409)
      expect(refused.body.error.code).toBe('groups.left')
    })

    it('sends no broadcast to a group that is not active, and passes over an inactive officers’ group', async () => {
      const world = await makeWorld(deps)
      const other = `${uniqueId('r2')}@chatroom`
      await deps.db.insert(chatGroups).values({
        roomId: other,
        topic: '二群',
        kind: 'residents',
        xiaoquId: world.xiaoqu.id,
        scopePath: world.xiaoqu.path,
        state: 'unbound',
        createdAt: deps.clock.now(),
      })
      const notice = await createBroadcast(deps, world.officer.actor, {
        text: '周六停电检修',
        xiaoquId: world.xiaoqu.id,
      })
      expect(notice.groupCount).toBe(1)
      const rows = await deps.db
        .select()
        .from(outbox)
        .where(eq(outbox.batch, `notice:${notice.number}`))
      expect(rows.map((r) => r.conversationId)).toEqual([world.roomId])
      expect((await officerGroupsCovering(deps.db, world.xiaoqu.path)).map((g) => g.roomId)).toEqual([
        world.officersRoomId,
      ])
      await deps.db
        .update(chatGroups)
        .set({ state: 'left' })
        .where(eq(chatGroups.roomId, world.officersRoomId))
      expect(await officerGroupsCovering(deps.db, world.xiaoqu.path)).toEqual([])
    })
  })

  describe('the wechaty adapter', () => {
    /** Just enough of a wechaty instance: listeners by event, called as the puppet would. */
    const fakeWechaty = () => {
      const listeners = new Map<string, (...args: unknown[]) => Promise<void>>()
      const wechaty = {
        on: (event: string, fn: (...args: unknown[]) => Promise<void>) => listeners.set(event, fn),
      }
      return {
        wechaty: wechaty as never,
        emit: (event: string, ...args: unknown[]) => listeners.get(event)!(...args),
      }
    }
    const contact = (id: string, name: string, self = false) => ({ id, name: () => name, self: () => self })

    it('turns events into core calls, wakes the sender, and never throws out of a listener', async () => {
      const world = await makeWorld(deps)
      const { lines, log } = recordingLog()
      let woken = 0
      const { wechaty, emit } = fakeWechaty()
      attachLifecycleHandlers(wechaty, {
        ...deps,
        log,
        outboxSignal: { notify: () => woken++, wait: async () => {} },
      })
      const room = { id: world.roomId, topic: async () => '居民群', memberAll: async () => [1, 2, 3] }

      await emit('room-topic', room, '新名字', '居民群', contact('x', 'X'))
      expect((await groupOf(world.roomId)).topic).toBe('新名字')
      await emit('room-leave', room, [contact('wx_m', 'M')])
      expect((await groupOf(world.roomId)).memberCount).toBe(3)
      expect((await groupOf(world.roomId)).state).toBe('active')
      await emit('room-leave', room, [contact('wx_bot', '改造助手', true)])
      expect((await groupOf(world.roomId)).state).toBe('left')
      expect(woken).toBe(1)

      const broken = {
        id: 'inv-1',
        inviter: async () => {
          throw new Error('puppet lost the invitation')
        },
        topic: async () => 'x',
        accept: async () => {},
      }
      await expect(emit('room-invite', broken)).resolves.toBeUndefined()
      await expect(emit('room-topic', { id: '' }, '', '', contact('x', 'X'))).resolves.toBeUndefined()
      expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
        'bot lifecycle event failed',
        'bot lifecycle event failed',
      ])
    })
  })
})
