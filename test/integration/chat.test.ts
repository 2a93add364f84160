import { eq, gt, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as text from '../../core/chat/chat.messages'
import { handleInbound, type Inbound } from '../../core/chat/chat.usecases'
import { issueBindCode } from '../../core/staff/staff.usecases'
import { createTask } from '../../core/tasks/tasks.usecases'
import {
  bindCodes,
  chatGroups,
  inboundMessages,
  outbox,
  requestEvents,
  requests,
  residents,
  staff,
} from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, newcomerWithBindCode, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

type World = Awaited<ReturnType<typeof makeWorld>>
type Message = Partial<Inbound> & { text: string; senderId: string }

describe.each(drivers)('chat on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  /** A one-time code, issued by the world's officer, that binds a group as the xiaoqu's residents' group. */
  const residentsGroupCode = async (world: World) => {
    const issued = await issueBindCode(
      deps.db,
      world.officer.actor,
      { purpose: 'group', xiaoquId: world.xiaoqu.id, kind: 'residents' },
      deps.clock.now(),
      deps.config.bindCodeTtlMinutes,
    )
    return issued.code
  }

  const lastOutboxId = async () => {
    const rows = await deps.db.select({ id: outbox.id }).from(outbox)
    return rows.reduce((max, r) => Math.max(max, r.id), 0)
  }

  /** Handles one message; returns the outcome and every outbox row it produced, oldest first. */
  async function say(message: Message, using: Parameters<typeof handleInbound>[0] = deps) {
    const before = await lastOutboxId()
    const inbound: Inbound = { id: uniqueId('msg'), senderName: '居民', mentionsSelf: false, ...message }
    const result = await handleInbound(using, inbound)
    const written = await deps.db.select().from(outbox).where(gt(outbox.id, before)).orderBy(outbox.id)
    const reply = written.find((m) => m.dedupeKey === `reply:${inbound.id}`)
    return { inbound, result, written, reply }
  }

  const resident = (world: World) => ({ senderId: world.resident.wechatId!, senderName: world.resident.name })
  const officer = (world: World) => ({
    senderId: world.officer.staff.wechatId!,
    senderName: world.officer.staff.name,
  })
  const inGroup = (world: World) => ({ roomId: world.roomId, roomTopic: '居民群' })

  /** A resident files in the group with an @mention; returns the request row. */
  async function file(world: World, description = '3号楼2单元楼道灯坏了，晚上黑乎乎的') {
    const { result } = await say({ ...resident(world), ...inGroup(world), text: `@改造助手 ${description}` })
    expect(result).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^request:Q\d+$/) })
    const number = (result as { outcome: string }).outcome.slice('request:'.length)
    return (await findRequest(number))!
  }

  const findRequest = async (number: string) => {
    const [row] = await deps.db.select().from(requests).where(eq(requests.number, number))
    return row
  }
  const eventsOf = async (requestId: number) =>
    (await deps.db.select().from(requestEvents).where(eq(requestEvents.requestId, requestId))).map(
      (e) => e.kind,
    )
  const storedInbound = async (id: string) => {
    const [row] = await deps.db.select().from(inboundMessages).where(eq(inboundMessages.messageId, id))
    return row
  }
  const requestsOfRoom = async (world: World) =>
    deps.db.select().from(requests).where(eq(requests.groupId, world.group.id))

  describe('filing', () => {
    it('files with an @mention and replies in the group @mentioning the resident with number and category', async () => {
      const world = await makeWorld(deps)
      const { result, reply, inbound, written } = await say({
        ...resident(world),
        ...inGroup(world),
        text: '@改造助手\u20053号楼2单元楼道灯坏了，晚上黑乎乎的',
      })
      expect(result).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^request:Q\d+$/) })
      const [request] = await requestsOfRoom(world)
      expect(request).toMatchObject({
        xiaoquId: world.xiaoqu.id,
        residentId: world.resident.id,
        channel: 'wechat',
        text: '3号楼2单元楼道灯坏了，晚上黑乎乎的',
        category: '照明',
        inboundMessageId: inbound.id,
      })
      expect(reply).toMatchObject({
        conversationId: world.roomId,
        isRoom: 1,
        mentions: [{ id: world.resident.wechatId, name: world.resident.name }],
      })
      expect(reply!.text).toContain(`编号 ${request!.number}`)
      expect(reply!.text).toContain('分类：照明')
      expect(
        written.some((m) => m.conversationId === world.officersRoomId && m.text.includes(request!.number)),
      ).toBe(true)
      expect(await storedInbound(inbound.id)).toMatchObject({ outcome: `request:${request!.number}` })
    })

    it('handles the same inbound id once: one request, one reply, the second call reports a duplicate', async () => {
      const world = await makeWorld(deps)
      const inbound: Inbound = {
        id: uniqueId('msg'),
        ...resident(world),
        ...inGroup(world),
        text: '@改造助手 单元门禁坏了',
        mentionsSelf: true,
      }
      const first = await handleInbound(deps, inbound)
      const second = await handleInbound(deps, inbound)
      expect(first).toMatchObject({ duplicate: false })
      expect(second).toEqual({ duplicate: true })
      expect(await requestsOfRoom(world)).toHaveLength(1)
      const replies = await deps.db
        .select()
        .from(outbox)
        .where(eq(outbox.dedupeKey, `reply:${inbound.id}`))
      expect(replies).toHaveLength(1)
      const toRoom = await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.roomId))
      expect(toRoom).toHaveLength(1)
    })

    it('stays silent in an unbound room but still stores the inbound message', async () => {
      const world = await makeWorld(deps)
      const roomId = `${uniqueId('unbound')}@chatroom`
      const { result, written, inbound } = await say({
        ...resident(world),
        roomId,
        text: '@改造助手 楼道灯坏了',
      })
      expect(result).toEqual({ duplicate: false, outcome: 'unbound-room' })
      expect(written).toHaveLength(0)
      expect(await storedInbound(inbound.id)).toMatchObject({
        roomId,
        text: '@改造助手 楼道灯坏了',
        outcome: 'unbound-room',
      })
      expect(
        await deps.db.select().from(requests).where(eq(requests.residentId, world.resident.id)),
      ).toHaveLength(0)
    })

    it('ignores plain chatter in a bound room', async () => {
      const world = await makeWorld(deps)
      const { result, written, inbound } = await say({
        ...resident(world),
        ...inGroup(world),
        text: '今天天气真好，大家出来晒太阳',
      })
      expect(result).toEqual({ duplicate: false, outcome: 'ignored' })
      expect(written).toHaveLength(0)
      expect(await storedInbound(inbound.id)).toMatchObject({ outcome: 'ignored' })
      expect(await requestsOfRoom(world)).toHaveLength(0)
    })

    it('answers unknown text in private with a one-line hint', async () => {
      const world = await makeWorld(deps)
      const { result, reply } = await say({ ...resident(world), text: '今天天气怎么样' })
      expect(result).toMatchObject({ outcome: 'unknown' })
      expect(reply).toMatchObject({ conversationId: world.resident.wechatId, isRoom: 0, mentions: [] })
      expect(reply!.text).not.toContain('\n')
      expect(reply!.text).toContain('报事 问题描述')
      expect(reply!.text).toContain('帮助')
    })

    it('asks what is wrong and where when the @mention comes alone, and files nothing', async () => {
      const world = await makeWorld(deps)
      const { result, reply } = await say({ ...resident(world), ...inGroup(world), text: '@改造助手' })
      expect(result).toMatchObject({ outcome: 'refused:requests.empty' })
      expect(reply!.text).toContain('请说明哪里、出了什么问题')
      expect(reply!.mentions).toEqual([{ id: world.resident.wechatId, name: world.resident.name }])
      expect(await requestsOfRoom(world)).toHaveLength(0)
    })

    it('draws no request number for an @mention that comes alone', async () => {
      const world = await makeWorld(deps)
      const first = await file(world)
      for (const alone of ['@改造助手', '@改造助手   ']) {
        const { result } = await say({ ...resident(world), ...inGroup(world), text: alone })
        expect(result).toMatchObject({ outcome: 'refused:requests.empty' })
      }
      const next = await file(world, '5号楼门口路灯不亮')
      expect(Number(next.number.slice(1))).toBe(Number(first.number.slice(1)) + 1)
    })

    it('answers thanks and greetings said to it in the group, and files nothing', async () => {
      const world = await makeWorld(deps)
      const thanks = await say({ ...resident(world), ...inGroup(world), text: '@改造助手 好的，谢谢！' })
      expect(thanks.result).toMatchObject({ outcome: 'small-talk:thanks' })
      expect(thanks.reply!.text).toBe('不客气！有问题随时@改造助手。')
      expect(thanks.reply!.mentions).toEqual([{ id: world.resident.wechatId, name: world.resident.name }])
      const hello = await say({ ...resident(world), ...inGroup(world), text: '@改造助手 你好，在吗' })
      expect(hello.result).toMatchObject({ outcome: 'small-talk:greeting' })
      expect(hello.reply!.text).toContain('"@改造助手 问题描述"')
      // A nod in the group needs no answer; in private it gets one, as every private message does.
      const nod = await say({ ...resident(world), ...inGroup(world), text: '@改造助手 收到👍' })
      expect(nod.result).toMatchObject({ outcome: 'small-talk:ack' })
      expect(nod.reply).toBeUndefined()
      const privateNod = await say({ ...resident(world), text: '好的' })
      expect(privateNod.reply!.text).toContain('"报事 问题描述"')
      expect(await requestsOfRoom(world)).toHaveLength(0)
    })

    it('gives the progress of a request asked after by its number without 进度, and files nothing', async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const { result, reply } = await say({
        ...resident(world),
        ...inGroup(world),
        text: `@改造助手 请问${request.number}怎么样了？`,
      })
      expect(result).toMatchObject({ outcome: `progress:${request.number}` })
      expect(reply!.text).toContain(`诉求 ${request.number}【照明】待受理`)
      expect(await requestsOfRoom(world)).toHaveLength(1)
    })

    it('keeps an over-long message whole in the inbound store, files 2,000 chars and says so', async () => {
      const world = await makeWorld(deps)
      const description = `楼道灯坏了。${'情况说明'.repeat(600)}`
      const raw = `@改造助手 ${description}`
      const { result, reply, inbound } = await say({ ...resident(world), ...inGroup(world), text: raw })
      expect(result).toMatchObject({ outcome: expect.stringMatching(/^request:/) })
      expect((await storedInbound(inbound.id))!.text).toBe(raw)
      const [request] = await requestsOfRoom(world)
      expect(request!.text).toHaveLength(2000)
      expect(request!.text).toBe(description.slice(0, 2000))
      expect(reply!.text).toContain('只保留了前 2000 字')
    })

    it('does not cut an emoji in half when truncating to 2,000 chars', async () => {
      const world = await makeWorld(deps)
      // The emoji is a surrogate pair at code units 1999–2000: a plain slice keeps half of it.
      const description = `${'楼道灯坏了'.repeat(399)}灯灯灯灯😀后面还有`
      const { result } = await say({
        ...resident(world),
        ...inGroup(world),
        text: `@改造助手 ${description}`,
      })
      expect(result).toMatchObject({ outcome: expect.stringMatching(/^request:/) })
      const [request] = await requestsOfRoom(world)
      // At most 2,000 UTF-16 units and a prefix of what was typed: the half emoji is dropped, not mangled.
      const kept = request!.text
      expect({ length: kept.length, tail: kept.slice(-5) }).toEqual({ length: 1999, tail: '了灯灯灯灯' })
      expect(description.startsWith(kept)).toBe(true)
    })

    it('lets a resident who filed in a group file in private later, into the same xiaoqu; a stranger is told to use the group', async () => {
      const world = await makeWorld(deps)
      const first = await file(world)
      const { result, reply } = await say({ ...resident(world), text: '报事 小区东门的路灯也不亮了' })
      expect(result).toMatchObject({ outcome: expect.stringMatching(/^request:Q\d+$/) })
      const number = (result as { outcome: string }).outcome.slice('request:'.length)
      expect(number).not.toBe(first.number)
      expect(await findRequest(number)).toMatchObject({
        xiaoquId: world.xiaoqu.id,
        residentId: world.resident.id,
        groupId: null,
      })
      expect(reply).toMatchObject({ conversationId: world.resident.wechatId, isRoom: 0, mentions: [] })
      expect(reply!.text).toContain(number)

      const stranger = uniqueId('wxid_stranger')
      const refused = await say({ senderId: stranger, senderName: '路人', text: '报事 路灯不亮' })
      expect(refused.result).toMatchObject({ outcome: 'refused:no-xiaoqu' })
      expect(refused.reply!.text).toBe(text.needGroupToFile('改造助手'))
      expect(
        await deps.db.select().from(requests).where(eq(requests.inboundMessageId, refused.inbound.id)),
      ).toHaveLength(0)
    })

    it('stores the inbound message and apologises when a command fails unexpectedly', async () => {
      const world = await makeWorld(deps)
      const broken = {
        ...deps,
        classifier: {
          classify: () => {
            throw new Error('classifier exploded')
          },
        },
      }
      const raw = '@改造助手 楼道灯坏了'
      const { result, reply, inbound, written } = await say(
        { ...resident(world), ...inGroup(world), text: raw },
        broken,
      )
      expect(result).toEqual({ duplicate: false, outcome: 'error:classifier exploded' })
      expect(await storedInbound(inbound.id)).toMatchObject({
        text: raw,
        outcome: 'error:classifier exploded',
      })
      expect(written).toHaveLength(1)
      expect(reply).toMatchObject({
        conversationId: world.roomId,
        text: text.genericFailure,
        mentions: [{ id: world.resident.wechatId, name: world.resident.name }],
      })
      expect(await requestsOfRoom(world)).toHaveLength(0)
      // Replaying the message after the failure does nothing more: it is already stored and answered.
      expect(await handleInbound(deps, inbound)).toEqual({ duplicate: true })
    })
    it('rolls back a database error inside a command to the savepoint and still answers', async () => {
      const world = await makeWorld(deps)
      const real = deps.classifier
      // menu_item is NOT NULL: the insert fails inside the command, which aborts the statement on Postgres.
      const badRow = {
        ...deps,
        classifier: {
          classify: (t: string) => ({ ...real.classify(t), menuItem: null as unknown as string }),
        },
      }
      const raw = '@改造助手 楼道灯坏了'
      const { result, reply, inbound } = await say(
        { ...resident(world), ...inGroup(world), text: raw },
        badRow,
      )
      expect(result).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^error:/) })
      expect(await storedInbound(inbound.id)).toMatchObject({ text: raw })
      expect(reply!.text).toBe(text.genericFailure)
      expect(await requestsOfRoom(world)).toHaveLength(0)
    })

    it('rolls the command back and apologises when its reply cannot be stored', async () => {
      const world = await makeWorld(deps)
      // The acknowledgement of a filing in this world's group is refused by the database; the apology is not.
      const fn = uniqueId('refuse_reply').replaceAll('-', '_')
      await deps.db.execute(
        sql.raw(`create function ${fn}() returns trigger language plpgsql as $$
        begin
          if new.conversation_id = '${world.roomId}' and new.text like '%已收到您的诉求%' then
            raise exception 'reply refused';
          end if;
          return new;
        end $$`),
      )
      await deps.db.execute(
        sql.raw(`create trigger ${fn} before insert on outbox for each row execute function ${fn}()`),
      )
      try {
        const raw = '@改造助手 楼道灯坏了'
        const { result, reply, inbound, written } = await say({
          ...resident(world),
          ...inGroup(world),
          text: raw,
        })
        expect(result).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^error:/) })
        expect(await storedInbound(inbound.id)).toMatchObject({ text: raw })
        expect(reply!.text).toBe(text.genericFailure)
        // Nothing of the filing is left: no request, no officers' notice.
        expect(written).toHaveLength(1)
        expect(await requestsOfRoom(world)).toHaveLength(0)
      } finally {
        await deps.db.execute(sql.raw(`drop trigger ${fn} on outbox`))
        await deps.db.execute(sql.raw(`drop function ${fn}()`))
      }
    })

    it('stores and answers a message that contains a NUL character', async () => {
      const world = await makeWorld(deps)
      const { result, reply, inbound } = await say({
        ...resident(world),
        ...inGroup(world),
        text: '@改造助手 楼道灯\u0000坏了',
      })
      expect(result).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^request:Q\d+$/) })
      expect(await storedInbound(inbound.id)).toMatchObject({ text: '@改造助手 楼道灯坏了' })
      expect(reply!.text).toContain('已收到您的诉求')
    })

    it('handles the same inbound id arriving twice at once exactly once', async () => {
      const world = await makeWorld(deps)
      const inbound: Inbound = {
        id: uniqueId('msg'),
        ...resident(world),
        ...inGroup(world),
        text: '@改造助手 楼道灯坏了',
        mentionsSelf: true,
      }
      const results = await Promise.all([handleInbound(deps, inbound), handleInbound(deps, inbound)])
      expect(results.filter((r) => r.duplicate)).toHaveLength(1)
      expect(await requestsOfRoom(world)).toHaveLength(1)
      expect(
        await deps.db
          .select()
          .from(outbox)
          .where(eq(outbox.dedupeKey, `reply:${inbound.id}`)),
      ).toHaveLength(1)
    })
  })

  describe('queries', () => {
    it('says a number is not found and how numbers look', async () => {
      const world = await makeWorld(deps)
      const { result, reply } = await say({ ...resident(world), ...inGroup(world), text: '进度 Q99999999' })
      expect(result).toMatchObject({ outcome: 'refused:requests.not_found' })
      expect(reply!.text).toContain('没有找到诉求 Q99999999')
      expect(reply!.text).toContain('诉求编号形如 Q1024')
    })

    it('gives the status of a known number, however it is typed', async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const digits = request.number.slice(1)
      for (const typed of [request.number, digits, `q${digits}`]) {
        const { result, reply } = await say({ ...resident(world), text: `进度 ${typed}` })
        expect(result).toMatchObject({ outcome: `progress:${request.number}` })
        expect(reply!.text).toContain(`诉求 ${request.number}【照明】待受理`)
        expect(reply!.text).toContain('提交')
      }
    })

    it('lists 我的诉求, and says so when there are none', async () => {
      const world = await makeWorld(deps)
      const none = await say({ ...resident(world), text: '我的诉求' })
      expect(none.result).toMatchObject({ outcome: 'mine:0' })
      expect(none.reply!.text).toContain('没有未完结的诉求')
      const a = await file(world, '楼道灯坏了')
      const b = await file(world, '单元门禁坏了')
      const { result, reply } = await say({ ...resident(world), ...inGroup(world), text: '我的诉求' })
      expect(result).toMatchObject({ outcome: 'mine:2' })
      expect(reply!.text).toContain(a.number)
      expect(reply!.text).toContain(b.number)
      expect(reply!.mentions).toEqual([{ id: world.resident.wechatId, name: world.resident.name }])
    })

    it("counts 同求 from another resident once, and refuses it on one's own request", async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const neighbour = { senderId: uniqueId('wxid_neighbour'), senderName: '李大爷', ...inGroup(world) }
      const first = await say({ ...neighbour, text: `同求 ${request.number}` })
      expect(first.result).toMatchObject({ outcome: `support:${request.number}` })
      expect(first.reply!.text).toContain('共 1 人同求')
      expect(first.reply!.mentions).toEqual([{ id: neighbour.senderId, name: '李大爷' }])
      const again = await say({ ...neighbour, text: `同求 ${request.number}` })
      expect(again.reply!.text).toContain('不会重复计数')
      const own = await say({ ...resident(world), text: `同求 ${request.number}` })
      expect(own.result).toMatchObject({ outcome: 'refused:requests.own_request' })
      expect((await findRequest(request.number))!.supportCount).toBe(1)
    })

    it('shows staff commands in 帮助 only to staff', async () => {
      const world = await makeWorld(deps)
      const forResident = await say({ ...resident(world), ...inGroup(world), text: '帮助' })
      const forOfficer = await say({ ...officer(world), ...inGroup(world), text: '帮助' })
      expect(forResident.result).toMatchObject({ outcome: 'help' })
      expect(forResident.reply!.text).not.toContain('待办')
      expect(forOfficer.reply!.text).toContain('待办')
      expect(forOfficer.reply!.text).toContain('办结 Q1024')
      expect(forOfficer.reply!.text).not.toBe(forResident.reply!.text)
      const privateResident = await say({ ...resident(world), text: '?' })
      expect(privateResident.reply!.text).toContain('绑定 绑定码')
      expect(privateResident.reply!.text).not.toContain('待办')
    })
  })

  describe('officer commands', () => {
    it('refuses 待办, 受理, 转派 and 办结 from a non-staff sender and changes nothing', async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const colleague = await makeStaff(deps, {
        name: uniqueId('赵工'),
        role: 'officer',
        areaId: world.community.id,
      })
      const outboxBefore = await lastOutboxId()
      for (const command of [
        '待办',
        `受理 ${request.number}`,
        `转派 ${request.number} ${colleague.staff.name}`,
        `办结 ${request.number} 已修好`,
      ]) {
        for (const where of [{}, inGroup(world)]) {
          const { result, written, reply } = await say({ ...resident(world), ...where, text: command })
          expect(result).toMatchObject({ outcome: 'refused:chat.not_staff' })
          expect(written).toHaveLength(1)
          expect(reply!.text).toBe(text.notStaff)
        }
      }
      expect(await findRequest(request.number)).toEqual(request)
      expect(await eventsOf(request.id)).toEqual(['filed'])
      const produced = await deps.db.select().from(outbox).where(gt(outbox.id, outboxBefore))
      expect(produced.every((m) => m.dedupeKey?.startsWith('reply:'))).toBe(true)
    })

    it('lets the bound officer list, accept, reassign and resolve, telling the resident in the group', async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const colleague = await makeStaff(deps, {
        name: uniqueId('赵工'),
        role: 'officer',
        areaId: world.community.id,
        wechat: true,
      })

      const todo = await say({ ...officer(world), text: '待办' })
      expect(todo.result).toMatchObject({ outcome: expect.stringMatching(/^todo:[1-9]/) })
      expect(todo.reply).toMatchObject({ conversationId: world.officer.staff.wechatId, isRoom: 0 })
      expect(todo.reply!.text).toContain(request.number)

      deps.clock.advance(60_000)
      const accept = await say({ ...officer(world), text: `受理 ${request.number}` })
      expect(accept.result).toMatchObject({ outcome: `accepted:${request.number}` })
      expect(accept.reply!.text).toContain(`已受理 ${request.number}`)
      const accepted = accept.written.find((m) => m.conversationId === world.roomId)
      expect(accepted).toMatchObject({
        mentions: [{ id: world.resident.wechatId, name: world.resident.name }],
      })
      expect(accepted!.text).toContain('已受理')
      expect(accepted!.text).toContain(world.officer.staff.name)
      expect(await findRequest(request.number)).toMatchObject({
        status: 'accepted',
        assigneeStaffId: world.officer.staff.id,
      })

      deps.clock.advance(60_000)
      const assign = await say({
        ...officer(world),
        text: `转派 ${request.number} ${colleague.staff.name} 请今天去看看`,
      })
      expect(assign.result).toMatchObject({ outcome: `assigned:${request.number}` })
      expect(assign.reply!.text).toContain(colleague.staff.name)
      expect(assign.written.find((m) => m.conversationId === world.roomId)!.text).toContain(
        `已转交 ${colleague.staff.name}`,
      )
      expect(assign.written.some((m) => m.conversationId === colleague.staff.wechatId)).toBe(true)
      expect((await findRequest(request.number))!.assigneeStaffId).toBe(colleague.staff.id)

      const unknownTarget = await say({ ...officer(world), text: `转派 ${request.number} 查无此人` })
      expect(unknownTarget.result).toMatchObject({ outcome: 'refused:assign-target' })
      expect(unknownTarget.reply!.text).toContain('没有找到名为"查无此人"的工作人员')

      deps.clock.advance(60_000)
      const resolve = await say({ ...officer(world), text: `办结 ${request.number} 已更换楼道灯` })
      expect(resolve.result).toMatchObject({ outcome: `resolved:${request.number}` })
      const resolved = resolve.written.find((m) => m.conversationId === world.roomId)
      expect(resolved!.text).toContain('已办结：已更换楼道灯')
      expect(resolved!.text).toContain(`满意 ${request.number}`)
      expect(resolved!.mentions).toEqual([{ id: world.resident.wechatId, name: world.resident.name }])
      expect(await findRequest(request.number)).toMatchObject({
        status: 'resolved',
        resolutionNote: '已更换楼道灯',
      })
      expect(await eventsOf(request.id)).toEqual(['filed', 'accepted', 'assigned', 'resolved'])
    })

    it('lists tasks in 待办, completes one with 完成, refuses another’s task, and switches to the daily digest', async () => {
      const world = await makeWorld(deps)
      const task = await createTask(deps, world.officer.actor, {
        xiaoquId: world.xiaoqu.id,
        title: '入户测量',
        ownerStaffId: world.officer.staff.id,
        dueAt: new Date(deps.clock.now().getTime() + 86_400_000),
      })
      const todo = await say({ ...officer(world), text: '待办' })
      expect(todo.reply!.text).toContain(`${task!.number}「入户测量」`)
      const stranger = await makeStaff(deps, {
        name: uniqueId('钱工'),
        role: 'officer',
        areaId: world.community.id,
        wechat: true,
      })
      const refused = await say({
        senderId: stranger.staff.wechatId!,
        senderName: stranger.staff.name,
        text: `完成 ${task!.number}`,
      })
      expect(refused.result).toMatchObject({ outcome: expect.stringMatching(/^refused/) })
      expect(refused.reply!.text).toContain('不是您负责的')
      deps.clock.advance(60_000)
      const done = await say({ ...officer(world), text: `完成 ${task!.number.toLowerCase()} 已测量` })
      expect(done.result).toMatchObject({ outcome: `completed:${task!.number}` })
      expect(done.reply!.text).toContain(`已完成任务 ${task!.number}`)
      const after = await say({ ...officer(world), text: '待办' })
      expect(after.reply!.text).not.toContain(task!.number)
      const digest = await say({ ...officer(world), text: '每日汇总 开' })
      expect(digest.result).toMatchObject({ outcome: 'digest:on' })
      const [me] = await deps.db.select().from(staff).where(eq(staff.id, world.officer.staff.id))
      expect(me!.digest).toBe(true)
    })

    it("refuses an officer outside the request's scope and changes nothing", async () => {
      const world = await makeWorld(deps)
      const elsewhere = await makeWorld(deps)
      const request = await file(world)
      const { result, reply } = await say({ ...officer(elsewhere), text: `受理 ${request.number}` })
      expect(result).toMatchObject({ outcome: 'refused:auth.out_of_scope' })
      expect(reply!.text).toContain('不在您的管辖范围内')
      expect(await findRequest(request.number)).toEqual(request)
    })

    it('asks for the result when 办结 comes without one', async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const { result, reply } = await say({ ...officer(world), text: `办结 ${request.number}` })
      expect(result).toMatchObject({ outcome: 'refused:requests.note_required' })
      expect(reply!.text).toContain('请写明办理结果')
      expect((await findRequest(request.number))!.status).toBe('submitted')
    })
  })

  describe('rating', () => {
    async function resolvedRequest(world: World) {
      const request = await file(world)
      deps.clock.advance(60_000)
      await say({ ...officer(world), text: `受理 ${request.number}` })
      deps.clock.advance(60_000)
      await say({ ...officer(world), text: `办结 ${request.number} 已更换楼道灯` })
      deps.clock.advance(60_000)
      return request
    }

    it('refuses 满意 before resolution, and from anyone but the author, saying why', async () => {
      const world = await makeWorld(deps)
      const request = await file(world)
      const early = await say({ ...resident(world), ...inGroup(world), text: `满意 ${request.number}` })
      expect(early.result).toMatchObject({ outcome: 'refused:requests.not_resolved' })
      expect(early.reply!.text).toContain('还没有办结')
      expect(early.reply!.text).toContain('办结后才能评价')

      await say({ ...officer(world), text: `办结 ${request.number} 已更换楼道灯` })
      const neighbour = { senderId: uniqueId('wxid_neighbour'), senderName: '李大爷', ...inGroup(world) }
      const other = await say({ ...neighbour, text: `满意 ${request.number}` })
      expect(other.result).toMatchObject({ outcome: 'refused:requests.not_author' })
      expect(other.reply!.text).toContain(`只有诉求 ${request.number} 的提交人才能评价`)
      expect((await findRequest(request.number))!.status).toBe('resolved')
    })

    it('reopens on 不满意 with a reason, and closes on 满意', async () => {
      const world = await makeWorld(deps)
      const request = await resolvedRequest(world)
      const noReason = await say({ ...resident(world), text: `不满意 ${request.number}` })
      expect(noReason.result).toMatchObject({ outcome: 'refused:requests.reason_required' })

      const unhappy = await say({
        ...resident(world),
        ...inGroup(world),
        text: `不满意 ${request.number} 灯还是不亮`,
      })
      expect(unhappy.result).toMatchObject({ outcome: `rated:${request.number}:unsatisfied` })
      expect(unhappy.reply!.text).toContain('已重新交办')
      expect(await findRequest(request.number)).toMatchObject({ status: 'accepted', rating: 'unsatisfied' })
      const toAssignee = unhappy.written.find((m) => m.conversationId === world.officer.staff.wechatId)
      expect(toAssignee!.text).toContain('灯还是不亮')

      deps.clock.advance(60_000)
      await say({ ...officer(world), text: `办结 ${request.number} 更换了整条线路` })
      deps.clock.advance(60_000)
      const happy = await say({ ...resident(world), text: `满意 ${request.number}` })
      expect(happy.result).toMatchObject({ outcome: `rated:${request.number}:satisfied` })
      expect(await findRequest(request.number)).toMatchObject({ status: 'closed', rating: 'satisfied' })
      expect(await eventsOf(request.id)).toEqual([
        'filed',
        'accepted',
        'resolved',
        'rated',
        'reopened',
        'resolved',
        'rated',
      ])
    })
  })

  describe('binding', () => {
    it('binds a staff WeChat with 绑定 <码> in private, once', async () => {
      const world = await makeWorld(deps)
      const { newcomer, code } = await newcomerWithBindCode(deps, world)
      const wechatId = uniqueId('wxid_newcomer')
      const inRoom = await say({ senderId: wechatId, ...inGroup(world), text: `绑定 ${code}` })
      expect(inRoom.result).toMatchObject({ outcome: 'refused:bind-in-room' })

      const bound = await say({
        senderId: wechatId,
        senderName: '钱主任',
        text: `绑定 ${code.toLowerCase()}`,
      })
      expect(bound.result).toMatchObject({ outcome: `bound:staff:${newcomer.staff.id}` })
      expect(bound.reply!.text).toContain(`绑定成功：${newcomer.staff.name}`)
      const [row] = await deps.db.select().from(staff).where(eq(staff.id, newcomer.staff.id))
      expect(row!.wechatId).toBe(wechatId)

      const again = await say({ senderId: uniqueId('wxid_other'), text: `绑定 ${code}` })
      expect(again.result).toMatchObject({ outcome: 'refused:bind.bad_code' })
      expect(again.reply!.text).toContain('绑定码无效、已使用或已过期')

      const help = await say({ senderId: wechatId, text: '帮助' })
      expect(help.reply!.text).toContain('待办')
    })

    it('binds an unbound room with 绑定小区 <码> by bound staff, after which filing works', async () => {
      const world = await makeWorld(deps)
      const code = await residentsGroupCode(world)
      const roomId = `${uniqueId('newroom')}@chatroom`
      const bound = await say({
        ...officer(world),
        roomId,
        roomTopic: '3号院邻里群',
        text: `绑定小区 ${code}`,
      })
      expect(bound.result).toMatchObject({ outcome: expect.stringMatching(/^bound:group:\d+$/) })
      expect(bound.reply).toMatchObject({
        conversationId: roomId,
        mentions: [{ id: world.officer.staff.wechatId, name: world.officer.staff.name }],
      })
      expect(bound.reply!.text).toContain(`本群已绑定为${world.xiaoqu.name}居民群`)
      const [group] = await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, roomId))
      expect(group).toMatchObject({
        kind: 'residents',
        xiaoquId: world.xiaoqu.id,
        topic: '3号院邻里群',
        boundBy: world.officer.staff.id,
      })

      const filed = await say({ ...resident(world), roomId, text: '@改造助手 2号楼门口污水井堵了' })
      expect(filed.result).toMatchObject({ outcome: expect.stringMatching(/^request:Q\d+$/) })
      const [request] = await deps.db.select().from(requests).where(eq(requests.groupId, group!.id))
      expect(request).toMatchObject({ xiaoquId: world.xiaoqu.id, residentId: world.resident.id })
      expect(filed.reply).toMatchObject({ conversationId: roomId })
    })

    it('stays silent when a non-staff member tries 绑定小区 in an unbound room, leaving the code unused', async () => {
      const world = await makeWorld(deps)
      const code = await residentsGroupCode(world)
      const roomId = `${uniqueId('newroom')}@chatroom`
      const { result, written } = await say({ ...resident(world), roomId, text: `绑定小区 ${code}` })
      expect(result).toEqual({ duplicate: false, outcome: 'unbound-room' })
      expect(written).toHaveLength(0)
      expect(await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, roomId))).toHaveLength(0)
      const [row] = await deps.db.select().from(bindCodes).where(eq(bindCodes.code, code))
      expect(row!.usedAt).toBeNull()
      // The room still gets silence afterwards, and a stranger speaking there leaves no resident record.
      const stranger = uniqueId('wxid_stranger')
      const later = await say({
        senderId: stranger,
        senderName: '路人',
        roomId,
        text: '@改造助手 楼道灯坏了',
      })
      expect(later.result).toEqual({ duplicate: false, outcome: 'unbound-room' })
      expect(later.written).toHaveLength(0)
      expect(await deps.db.select().from(residents).where(eq(residents.wechatId, stranger))).toHaveLength(0)
    })
  })
})
