import { and, eq, gt } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createApi } from '../../api/app'
import { handleInbound, type Inbound } from '../../core/chat/chat.usecases'
import type { RequestEventRow } from '../../core/requests/requests.repository'
import { acceptRequest, resolveRequest } from '../../core/requests/requests.usecases'
import {
  attachments,
  chatGroups,
  inboundMessages,
  outbox,
  requestEvents,
  requestPhotos,
  requests,
} from '../../db/schema'
import { Browser } from '../support/console'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

type World = Awaited<ReturnType<typeof makeWorld>>

const png = (seed: number) =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(`photo-${seed}`)])

describe.each(drivers)('how people really write, on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const lastOutboxId = async () => {
    const rows = await deps.db.select({ id: outbox.id }).from(outbox)
    return rows.reduce((max, r) => Math.max(max, r.id), 0)
  }

  async function say(world: World, message: Partial<Inbound>, where: 'group' | 'private' = 'group') {
    const before = await lastOutboxId()
    const inbound: Inbound = {
      id: uniqueId('msg'),
      senderId: world.resident.wechatId!,
      senderName: world.resident.name,
      text: '',
      mentionsSelf: false,
      ...(where === 'group' ? { roomId: world.roomId, roomTopic: '居民群' } : {}),
      ...message,
    }
    const result = await handleInbound(deps, inbound)
    const written = await deps.db.select().from(outbox).where(gt(outbox.id, before)).orderBy(outbox.id)
    const replies = written.filter((m) => m.conversationId === (inbound.roomId ?? inbound.senderId))
    return {
      inbound,
      outcome: (result as { outcome?: string }).outcome,
      written,
      reply: replies.at(-1)?.text ?? '',
    }
  }

  async function file(world: World, description = '3号楼2单元楼道灯坏了') {
    const { outcome } = await say(world, { text: `@改造助手 ${description}` })
    expect(outcome).toMatch(/^request:Q\d+$/)
    return outcome!.slice('request:'.length)
  }

  /** The request's history events of one kind. */
  const eventsOf = async (number: string, kind: RequestEventRow['kind']) => {
    const [request] = await deps.db.select().from(requests).where(eq(requests.number, number))
    return deps.db
      .select()
      .from(requestEvents)
      .where(and(eq(requestEvents.requestId, request!.id), eq(requestEvents.kind, kind)))
  }
  const statusOf = async (number: string) =>
    (await deps.db.select().from(requests).where(eq(requests.number, number)))[0]!.status
  const resolve = (world: World, number: string) =>
    resolveRequest(deps, world.officer.actor, number, '已更换灯泡')
  const botQuote = (quoted: string) => ({ name: '改造小助手', text: quoted, fromBot: true })

  describe('quoted replies', () => {
    it('满意 quoting the bot rates the quoted request', async () => {
      const world = await makeWorld(deps)
      const first = await file(world)
      const second = await file(world, '5号楼门口积水')
      await resolve(world, first)
      await resolve(world, second)
      const { outcome } = await say(world, {
        text: '满意',
        quote: botQuote(`已收到您的诉求，编号 ${second}。`),
      })
      expect(outcome).toBe(`rated:${second}:satisfied`)
      expect(await statusOf(second)).toBe('closed')
      expect(await statusOf(first)).toBe('resolved')
    })

    it('不满意 with a reason quoting the bot reopens the quoted request', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      await resolve(world, number)
      const { outcome } = await say(world, {
        text: '不满意 灯还是不亮',
        quote: botQuote(`诉求 ${number} 已办结`),
      })
      expect(outcome).toBe(`rated:${number}:unsatisfied`)
      expect(await statusOf(number)).toBe('accepted')
    })

    it("a resident's quote never reaches someone else's request", async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      await resolve(world, number)
      const neighbour = { senderId: uniqueId('wxid_neighbour'), senderName: '李阿姨' }
      const quote = { name: '张桂兰', text: `我的诉求 ${number}`, fromBot: false }
      const { outcome, reply } = await say(world, { ...neighbour, text: '满意', quote })
      expect(outcome).toBe('rate:none')
      expect(reply).toContain('没有待评价')
      expect(await statusOf(number)).toBe('resolved')
      // Nor does a bot quote: the use case still checks the author.
      const viaBot = await say(world, { ...neighbour, text: '满意', quote: botQuote(`编号 ${number}`) })
      expect(viaBot.outcome).toBe('refused:requests.not_author')
      expect(await statusOf(number)).toBe('resolved')
    })
  })

  describe('催办: chasing a request', () => {
    const urgesOf = (number: string) => eventsOf(number, 'urged')
    const requestCount = async () => (await deps.db.select({ id: requests.id }).from(requests)).length

    it("a follow-up under the bot's reply chases the request instead of filing a new one", async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      const filed = await requestCount()
      const chased = await say(world, {
        text: '@改造助手 怎么还没人来修啊，都三天了！',
        mentionsSelf: true,
        quote: botQuote(`已收到您的诉求，编号 ${number}。`),
      })
      expect(chased.outcome).toBe(`urge:${number}:urged`)
      expect(await requestCount()).toBe(filed)
      expect(chased.reply).toContain(`已为您催办诉求 ${number}`)
      // The author sees where it stands in full, the chase itself among its history.
      expect(chased.reply).toContain('响应时限')
      expect(chased.reply).toContain('居民催办：怎么还没人来修啊')
      const urges = await urgesOf(number)
      expect(urges).toHaveLength(1)
      expect(urges[0]).toMatchObject({ actorKind: 'resident', actorName: world.resident.name })
      // Nobody holds it yet: the officers' group is told, with how to accept it.
      const told = chased.written.filter((m) => m.conversationId === world.officersRoomId)
      expect(told).toHaveLength(1)
      expect(told[0]!.text).toContain(`居民催办：诉求 ${number}`)
      expect(told[0]!.text).toContain(`响应时限`)
      expect(told[0]!.text).toContain(`受理 ${number}`)
    })

    it('tells the holder once a day, however often and by however many it is chased', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      await acceptRequest(deps, world.officer.actor, number)
      const quote = botQuote(`诉求 ${number} 已受理`)
      const first = await say(world, { text: '什么时候能修好？', quote })
      expect(first.outcome).toBe(`urge:${number}:urged`)
      const holder = world.officer.staff.wechatId!
      const toHolder = first.written.filter((m) => m.conversationId === holder)
      expect(toHolder).toHaveLength(1)
      expect(toHolder[0]!.text).toContain(`办结 ${number} 办理结果`)
      expect(first.written.some((m) => m.conversationId === world.officersRoomId)).toBe(false)
      const again = await say(world, { text: '催办', quote })
      expect(again.outcome).toBe(`urge:${number}:again`)
      expect(again.reply).toContain('您今天已催办过')
      expect(again.written.filter((m) => m.conversationId === holder)).toHaveLength(0)
      // A neighbour in the same group joins the chase: recorded, not told twice, and shown only the status.
      const neighbour = { senderId: uniqueId('wxid_neighbour'), senderName: '李阿姨' }
      const joined = await say(world, { ...neighbour, text: `催办 ${number}` })
      expect(joined.outcome).toBe(`urge:${number}:joined`)
      expect(joined.written.filter((m) => m.conversationId === holder)).toHaveLength(0)
      expect(joined.reply).not.toContain('楼道灯坏了')
      expect(await urgesOf(number)).toHaveLength(2)
      // The next day the holder is told again.
      deps.clock.advance(24 * 3_600_000)
      const nextDay = await say(world, { text: '还没修好', quote })
      expect(nextDay.outcome).toBe(`urge:${number}:urged`)
      expect(nextDay.written.filter((m) => m.conversationId === holder)).toHaveLength(1)
    })

    it('points a resolved request to rating, and keeps strangers out', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      await resolve(world, number)
      const done = await say(world, { text: '怎么还没人来修', quote: botQuote(`诉求 ${number} 已办结`) })
      expect(done.outcome).toBe(`urge:${number}:finished`)
      expect(done.reply).toContain(`不满意 ${number} 原因`)
      expect(await urgesOf(number)).toHaveLength(0)
      expect(done.written.some((m) => m.conversationId === world.officersRoomId)).toBe(false)
      const open = await file(world, '5号楼门口积水')
      const stranger = { senderId: uniqueId('wxid_stranger'), senderName: '路人' }
      const refused = await say(world, { ...stranger, text: `催办 ${open}` }, 'private')
      expect(refused.outcome).toBe('refused:urge-not-yours')
      expect(await urgesOf(open)).toHaveLength(0)
    })
  })

  describe('no number', () => {
    it('rates the only resolved request, lists several, and says when there is none', async () => {
      const world = await makeWorld(deps)
      const none = await say(world, { text: '满意' })
      expect(none.outcome).toBe('rate:none')
      const first = await file(world)
      const second = await file(world, '5号楼门口积水')
      await resolve(world, first)
      await resolve(world, second)
      const both = await say(world, { text: '满意' })
      expect(both.outcome).toBe('rate:choose:2')
      expect(both.reply).toContain(first)
      expect(both.reply).toContain(second)
      expect(both.reply).toContain(`满意 ${second}`)
      expect(await statusOf(first)).toBe('resolved')
      await say(world, { text: `满意 ${first}` })
      const only = await say(world, { text: '@改造助手 不满意 还是积水' })
      expect(only.outcome).toBe(`rated:${second}:unsatisfied`)
    })

    it('进度 alone shows the only open request', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      const { outcome, reply } = await say(world, { text: '进度' }, 'private')
      expect(outcome).toBe(`progress:${number}`)
      expect(reply).toContain(number)
    })

    it('asking in everyday words files nothing: 查询, 我报的事怎么样了, 怎么报修, 催办一下', async () => {
      const world = await makeWorld(deps)
      const count = async () => (await deps.db.select({ id: requests.id }).from(requests)).length
      const none = await say(world, { text: '@改造助手 查询' })
      expect(none.outcome).toBe('progress:none')
      const number = await file(world)
      const before = await count()
      const asked = await say(world, { text: '@改造助手 我报的事怎么样了？' })
      expect(asked.outcome).toBe(`progress:${number}`)
      expect(asked.reply).toContain('响应时限')
      expect((await say(world, { text: '@改造助手 进度查询' })).outcome).toBe(`progress:${number}`)
      expect((await say(world, { text: '@改造助手 怎么报修' })).outcome).toBe('help')
      expect((await say(world, { text: '@改造助手 催办一下' })).outcome).toBe(`urge:${number}:urged`)
      const what = await say(world, { text: '@改造助手 我要投诉' })
      expect(what.outcome).toBe('refused:requests.empty')
      expect(what.reply).toContain('出了什么问题')
      expect(what.reply).toContain('@改造助手 3号楼')
      const inPrivate = await say(world, { text: '你好，我想报修' }, 'private')
      expect(inPrivate.outcome).toBe('refused:requests.empty')
      expect(inPrivate.reply).toContain('"报事 3号楼')
      expect(await count()).toBe(before)
    })

    it('a list to choose from says when there are more than it shows', async () => {
      const world = await makeWorld(deps)
      for (let i = 1; i <= 11; i++) await file(world, `${i}号楼楼道灯坏了`)
      const { outcome, reply } = await say(world, { text: '@改造助手 查进度' })
      expect(outcome).toBe('progress:choose:10+')
      expect(reply).toContain('10 条以上')
      expect(reply.split('\n').filter((line) => /^Q\d+【/.test(line))).toHaveLength(10)
    })
  })

  it('"+1" and "我家也是" back the group\'s latest request of someone else, named in the answer', async () => {
    const world = await makeWorld(deps)
    const number = await file(world, '2号楼电梯停了')
    const neighbour = { senderId: uniqueId('wxid_neighbour'), senderName: '周阿姨' }
    const backed = await say(world, { ...neighbour, text: '@改造助手 我家也是' })
    expect(backed.outcome).toBe(`support:${number}`)
    expect(backed.reply).toContain(`${number}【`)
    expect(backed.reply).toContain('2号楼电梯停了')
    expect(backed.reply).toContain('共 1 人同求')
    const again = await say(world, { ...neighbour, text: '@改造助手 +1' })
    expect(again.reply).toContain('您已同求过')
    // The author's own "+1" has nothing of someone else's to back; nor has a private chat.
    expect((await say(world, { text: '@改造助手 同上' })).outcome).toBe('support:none')
    const alone = await say(world, { ...neighbour, text: '同求' }, 'private')
    expect(alone.outcome).toBe('support:none')
    expect(alone.reply).toContain('同求 Q1024')
    // Three days on, a "+1" no longer reaches back to it.
    deps.clock.advance(3 * 24 * 3600_000 + 60_000)
    const late = await say(world, {
      senderId: uniqueId('wxid_late'),
      senderName: '吴大爷',
      text: '@改造助手 +1',
    })
    expect(late.outcome).toBe('support:none')
    const [row] = await deps.db.select().from(requests).where(eq(requests.number, number))
    expect(row!.supportCount).toBe(1)
  })

  it('"我来处理" under the bot\'s notice is 受理 from an officer, and nothing from a resident', async () => {
    const world = await makeWorld(deps)
    const number = await file(world)
    const notice = botQuote(`新诉求 ${number}【照明】\n回复"受理 ${number}"受理。`)
    const resident = await say(world, { text: '我来处理', quote: notice })
    expect(resident.outcome).toBe('ignored')
    expect(resident.written).toHaveLength(0)
    expect(await statusOf(number)).toBe('submitted')
    // The officer, in the officers' group.
    const inOfficers = {
      senderId: world.officer.staff.wechatId!,
      senderName: world.officer.staff.name,
      roomId: world.officersRoomId,
    }
    const officer = await say(world, { ...inOfficers, text: '收到，我来处理', quote: notice })
    expect(officer.outcome).toBe(`accepted:${number}`)
    expect(await statusOf(number)).toBe('accepted')
    // "已修好" under it resolves it, those words the result the resident is told.
    const done = await say(world, {
      ...inOfficers,
      text: '已修好，换了新灯泡',
      quote: botQuote(`诉求 ${number} 已受理`),
    })
    expect(done.outcome).toBe(`resolved:${number}`)
    expect(await statusOf(number)).toBe('resolved')
    const told = done.written.find((m) => m.conversationId === world.roomId)
    expect(told?.text).toContain('已办结：已修好，换了新灯泡')
  })

  describe('撤回: the author no longer needs a request', () => {
    const withdrawalsOf = (number: string) => eventsOf(number, 'withdrawal_asked')

    it('tells the holder once and leaves the request open for an officer to resolve', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      const asked = await say(world, { text: `@改造助手 ${number}发错了，不用了` })
      expect(asked.outcome).toBe(`withdraw:${number}:asked`)
      expect(asked.reply).toContain(`已转告承办人：您不再需要办理诉求 ${number}`)
      expect(await statusOf(number)).toBe('submitted')
      const events = await withdrawalsOf(number)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ actorKind: 'resident', actorName: world.resident.name })
      expect(events[0]!.note).toContain('发错了')
      // Nobody holds it yet: the officers' group is told, with how to resolve it.
      const told = asked.written.filter((m) => m.conversationId === world.officersRoomId)
      expect(told).toHaveLength(1)
      expect(told[0]!.text).toContain(`居民申请撤回：诉求 ${number}`)
      expect(told[0]!.text).toContain(`办结 ${number} 居民撤回`)
      // Said again, under the bot's reply: recorded once, told once.
      const again = await say(world, { text: '撤回', quote: botQuote(`已收到您的诉求，编号 ${number}。`) })
      expect(again.outcome).toBe(`withdraw:${number}:again`)
      expect(again.written.filter((m) => m.conversationId === world.officersRoomId)).toHaveLength(0)
      expect(await withdrawalsOf(number)).toHaveLength(1)
      // Its history shows it, in WeChat and in the console.
      const progress = await say(world, { text: `进度 ${number}` })
      expect(progress.reply).toContain('居民申请撤回：')
      const app = createApi(deps)
      const browser = new Browser(app)
      const form = await browser.open('/console/login')
      await browser.post(form, '/console/login', { token: world.officer.token })
      expect((await browser.open(`/console/requests/${number}`)).html).toContain('可办结并注明')
      // The inbox flags it, the API dates it, and the officer's 待办 marks it.
      const flag = '<span class="badge info">居民申请撤回</span>'
      expect((await browser.open('/console')).html).toContain(flag)
      const api = apiCaller(() => app)
      const detail = await api(world.officer.token, 'GET', `/requests/${number}`)
      expect(detail.body.withdrawalAskedAt).toBe(events[0]!.at.toISOString())
      const todo = await say(
        world,
        { senderId: world.officer.staff.wechatId!, senderName: world.officer.staff.name, text: '待办' },
        'private',
      )
      expect(todo.reply).toMatch(new RegExp(`${number}【.*居民申请撤回`))
      // Once resolved, there is nothing left to withdraw, and the flag goes.
      await resolve(world, number)
      expect((await browser.open('/console')).html).not.toContain(flag)
      const late = await say(world, { text: `撤回 ${number}` })
      expect(late.outcome).toBe(`withdraw:${number}:finished`)
      expect(late.reply).toContain('已办结')
      // Reopened by its author (不满意), it is needed again: a new 撤回 is asked afresh.
      await say(world, { text: `不满意 ${number} 还是不亮` })
      expect(await statusOf(number)).toBe('accepted')
      expect((await api(world.officer.token, 'GET', `/requests/${number}`)).body.withdrawalAskedAt).toBeNull()
      expect((await say(world, { text: `撤回 ${number}` })).outcome).toBe(`withdraw:${number}:asked`)
    })

    it('tells the same holder again once the author has reopened the request', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      await acceptRequest(deps, world.officer.actor, number)
      const toHolder = (said: Awaited<ReturnType<typeof say>>) =>
        said.written.filter(
          (m) => m.conversationId === world.officer.staff.wechatId && m.text.includes('居民申请撤回'),
        )
      expect(toHolder(await say(world, { text: `撤回 ${number}` }))).toHaveLength(1)
      await resolve(world, number)
      await say(world, { text: `不满意 ${number} 还是不亮` })
      deps.clock.advance(60_000)
      expect(toHolder(await say(world, { text: `撤回 ${number}` }))).toHaveLength(1)
    })

    it('refuses anyone but the author, and keeps a request that only starts like 撤销', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      const neighbour = await say(world, {
        senderId: uniqueId('wxid_neighbour'),
        senderName: '李阿姨',
        text: `@改造助手 撤回 ${number}`,
      })
      expect(neighbour.outcome).toBe('refused:withdraw-not-yours')
      expect(neighbour.reply).toContain(`只有提交人可以撤回诉求 ${number}`)
      expect(await withdrawalsOf(number)).toHaveLength(0)
      const filed = await say(world, { text: '@改造助手 撤销停车位收费' })
      expect(filed.outcome).toMatch(/^request:Q\d+$/)
    })
  })

  describe('photos', () => {
    it('attaches photos sent within 10 minutes of filing, acknowledges once, and forwards each', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      deps.clock.advance(3 * 60_000)
      const photo = png(1)
      const first = await say(world, {
        kind: 'image',
        file: async () => ({ fileName: 'a.jpg', data: photo }),
      })
      expect(first.outcome).toBe(`photo:${number}`)
      expect(first.reply).toBe(`已将照片补充到诉求 ${number}。`)
      const forwarded = first.written.filter((m) => m.attachmentId !== null)
      expect(forwarded.map((m) => m.conversationId)).toEqual([world.officersRoomId])
      const [stored] = await deps.db
        .select()
        .from(attachments)
        .where(eq(attachments.id, forwarded[0]!.attachmentId!))
      expect(Buffer.from(stored!.data).equals(photo)).toBe(true)
      expect(stored!.mediaType).toBe('image/png')

      const second = await say(world, {
        kind: 'image',
        file: async () => ({ fileName: 'b.jpg', data: png(2) }),
      })
      expect(second.outcome).toBe(`photo:${number}`)
      expect(second.written.filter((m) => m.attachmentId === null)).toEqual([])
      expect(second.written.filter((m) => m.attachmentId !== null)).toHaveLength(1)
      const [request] = await deps.db.select().from(requests).where(eq(requests.number, number))
      const photos = await deps.db
        .select()
        .from(requestPhotos)
        .where(eq(requestPhotos.requestId, request!.id))
      expect(photos.map((p) => p.inboundMessageId)).toEqual([first.inbound.id, second.inbound.id])
    })

    it('forwards a photo privately to the officer who holds the request', async () => {
      const world = await makeWorld(deps)
      const number = await file(world)
      await acceptRequest(deps, world.officer.actor, number)
      const { written } = await say(world, {
        kind: 'image',
        file: async () => ({ fileName: 'c.jpg', data: png(5) }),
      })
      expect(written.filter((m) => m.attachmentId !== null).map((m) => [m.conversationId, m.isRoom])).toEqual(
        [[world.officer.staff.wechatId, 0]],
      )
    })

    it('an image with no recent request asks for words once a day a person in a group and keeps the file', async () => {
      const world = await makeWorld(deps)
      await file(world)
      deps.clock.advance(11 * 60_000)
      const first = await say(world, {
        kind: 'image',
        file: async () => ({ fileName: 'x.jpg', data: png(3) }),
      })
      expect(first.outcome).toBe('image:hint')
      expect(first.reply).toContain('请补充文字说明问题和位置')
      const [row] = await deps.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.messageId, first.inbound.id))
      expect(row).toMatchObject({ kind: 'image', attachmentId: expect.any(Number) })
      deps.clock.advance(60_000)
      const again = await say(world, {
        kind: 'image',
        file: async () => ({ fileName: 'y.jpg', data: png(4) }),
      })
      expect(again).toMatchObject({ outcome: 'image:kept', written: [] })
      // People share photos with each other all day: the bot, not spoken to, does not keep asking.
      deps.clock.advance(10 * 60_000)
      expect((await say(world, { kind: 'image' })).outcome).toBe('image:kept')
      deps.clock.advance(24 * 60 * 60_000)
      expect((await say(world, { kind: 'image' })).outcome).toBe('image:hint')
    })

    it('keeps no file that is not an image, and downloads a replayed message once', async () => {
      const world = await makeWorld(deps)
      await file(world)
      const fetch = vi.fn(async () => ({ fileName: 'evil.jpg', data: Buffer.from('<html>not a photo') }))
      const { inbound, outcome } = await say(world, { kind: 'image', file: fetch })
      expect(outcome).toBe('image:unreadable')
      const [row] = await deps.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.messageId, inbound.id))
      expect(row!.attachmentId).toBeNull()
      expect(await handleInbound(deps, inbound)).toEqual({ duplicate: true })
      expect(fetch).toHaveBeenCalledTimes(1)
      const broken = await say(world, {
        kind: 'image',
        file: async () => Promise.reject(new Error('cdn down')),
      })
      expect(broken.outcome).toBe('image:unreadable')
    })
    it('shows officers what residents chased: the API counts it, the inbox flags it and puts it first', async () => {
      const world = await makeWorld(deps)
      const calm = await file(world, '5号楼门口积水')
      const chasedOne = await file(world)
      const quote = botQuote(`已收到您的诉求，编号 ${chasedOne}。`)
      await say(world, { text: '怎么还没人来修', quote })
      deps.clock.advance(60_000)
      await say(world, {
        senderId: uniqueId('wxid_neighbour'),
        senderName: '李阿姨',
        text: `催办 ${chasedOne}`,
      })
      const app = createApi(deps)
      const api = apiCaller(() => app)
      const detail = await api(world.officer.token, 'GET', `/requests/${chasedOne}`)
      expect(detail.body).toMatchObject({ urgeCount: 2, lastUrgedAt: deps.clock.now().toISOString() })
      expect((await api(world.officer.token, 'GET', `/requests/${calm}`)).body).toMatchObject({
        urgeCount: 0,
        lastUrgedAt: null,
      })
      const listed = await api(world.officer.token, 'GET', `/requests?xiaoquId=${world.xiaoqu.id}`)
      const counts = Object.fromEntries(
        listed.body.items.map((r: { number: string; urgeCount: number }) => [r.number, r.urgeCount]),
      )
      expect(counts).toMatchObject({ [chasedOne]: 2, [calm]: 0 })

      const browser = new Browser(app)
      const form = await browser.open('/console/login')
      await browser.post(form, '/console/login', { token: world.officer.token })
      const inbox = (await browser.open('/console')).html
      expect(inbox).toContain('居民催办 2 次')
      expect(inbox).toMatch(/我的待办诉求（\d+ 件，居民催办 1 件/)
      // Neither is overdue, and the calm one's deadline is earlier: the chased one still comes first.
      expect(inbox.indexOf(`/console/requests/${chasedOne}"`)).toBeLessThan(
        inbox.indexOf(`/console/requests/${calm}"`),
      )
      const page = (await browser.open(`/console/requests/${chasedOne}`)).html
      expect(page).toContain('2 次，最近')
      // In WeChat too: the officer's 待办 marks it.
      const todo = await say(
        world,
        { senderId: world.officer.staff.wechatId!, senderName: world.officer.staff.name, text: '待办' },
        'private',
      )
      expect(todo.reply).toMatch(new RegExp(`${chasedOne}【.*居民催办2次`))
      expect(todo.reply).not.toMatch(new RegExp(`${calm}【.*催办`))
      // Once resolved, the flag goes: there is nothing left to chase.
      await resolve(world, chasedOne)
      expect((await browser.open('/console')).html).not.toContain('居民催办 2 次')
    })
  })

  it('lists photos on the request and serves them to whoever may see it, API and console', async () => {
    const world = await makeWorld(deps)
    const number = await file(world)
    const photo = png(7)
    await say(world, { kind: 'image', file: async () => ({ fileName: 'p.png', data: photo }) })
    const app = createApi(deps)
    const api = apiCaller(() => app)
    const detail = await api(world.officer.token, 'GET', `/requests/${number}`)
    expect(detail.status).toBe(200)
    expect(detail.body.photos).toEqual([
      { id: expect.any(Number), createdAt: expect.any(String), size: photo.length },
    ])
    const photoId = detail.body.photos[0].id
    const res = await app.request(`/api/v1/requests/${number}/photos/${photoId}`, {
      headers: { authorization: `Bearer ${world.officer.token}` },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await res.arrayBuffer()).equals(photo)).toBe(true)
    // Property staff who do not hold the request see neither it nor its photos.
    const outsider = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    expect((await api(outsider.token, 'GET', `/requests/${number}/photos/${photoId}`)).status).toBe(403)
    // A photo id is only found under its own request.
    const other = await file(world, '5号楼门口积水')
    expect((await api(world.officer.token, 'GET', `/requests/${other}/photos/${photoId}`)).status).toBe(404)

    const browser = new Browser(app)
    const form = await browser.open('/console/login')
    await browser.post(form, '/console/login', { token: world.officer.token })
    const page = await browser.open(`/console/requests/${number}`)
    const src = `/console/requests/${number}/photos/${photoId}`
    expect(page.html).toContain(`src="${src}"`)
    const image = await browser.open(src)
    expect(image).toMatchObject({ status: 200, type: 'image/png' })
    expect((await new Browser(app).open(src)).status).not.toBe(200)
  })

  describe('voice, stickers and group state', () => {
    it('asks for text instead of voice, ignores a sticker in a group, hints at it in private', async () => {
      const world = await makeWorld(deps)
      const voice = await say(world, { kind: 'voice' }, 'private')
      expect(voice.outcome).toBe('voice:hint')
      expect(voice.reply).toContain('暂时听不了语音')
      const sticker = await say(world, { kind: 'other', text: '[表情]' })
      expect(sticker).toMatchObject({ outcome: 'ignored', written: [] })
      const [row] = await deps.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.messageId, sticker.inbound.id))
      expect(row).toMatchObject({ kind: 'other', outcome: 'ignored' })
      expect((await say(world, { kind: 'other' }, 'private')).outcome).toBe('other:hint')
    })

    it('a group no longer active is silent, and messages stamp the group to the minute', async () => {
      const world = await makeWorld(deps)
      const stampOf = async () =>
        (await deps.db.select().from(chatGroups).where(eq(chatGroups.roomId, world.roomId)))[0]!.lastMessageAt
      deps.clock.advance(60_000)
      await say(world, { text: '大家好' })
      const first = deps.clock.now()
      expect(await stampOf()).toEqual(first)
      // Within the minute the row is left alone (a busy group's messages do not queue on it); after it,
      // the next message stamps it again.
      deps.clock.advance(30_000)
      await say(world, { text: '有人吗' })
      expect(await stampOf()).toEqual(first)
      deps.clock.advance(30_000)
      await say(world, { text: '在吗' })
      expect(await stampOf()).toEqual(deps.clock.now())
      await deps.db.update(chatGroups).set({ state: 'unbound' }).where(eq(chatGroups.roomId, world.roomId))
      const silent = await say(world, { text: '@改造助手 楼道灯坏了' })
      expect(silent).toMatchObject({ outcome: 'unbound-room', written: [] })
      const filed = await deps.db
        .select()
        .from(requests)
        .where(and(eq(requests.residentId, world.resident.id), eq(requests.groupId, world.group.id)))
      expect(filed).toEqual([])
    })
  })
})
