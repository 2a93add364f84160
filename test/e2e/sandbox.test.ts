import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { type Bot, createBot } from '../../bot/bot'
import { createSandboxWorld } from '../../bot/sandbox/sandbox-world'
import { demoOfficersRoom, demoXiaoqu } from '../../core/demo/demo.data'
import { seedDemoCommunity } from '../../core/demo/demo.seed'
import { advanceNotices } from '../../core/notices/lifecycle'
import { inboundMessages, requests } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { drivers } from '../support/test-db'

interface Entry {
  seq: number
  from: string
  fromId: string
  text: string
  mentions: string[]
}

/** The whole product through the sandbox's JSON endpoints, over wechaty-puppet-mock. */
describe.each(drivers)('sandbox end to end on %s', (driver) => {
  let deps: TestDeps
  let bot: Bot
  let app: ReturnType<typeof createApi>
  const residentsRoom = demoXiaoqu[0]!.topic
  const officersRoom = demoOfficersRoom.topic

  beforeAll(async () => {
    deps = await createTestDeps(driver)
    await seedDemoCommunity(deps.db, deps.clock.now())
    const world = createSandboxWorld(deps.config.botName)
    bot = await createBot(deps, { sandbox: world })
    app = createApi(deps, { bot, sandbox: world })
  })
  afterAll(async () => {
    await bot.stop()
    await deps.database.close()
  })

  const say = async (body: Record<string, unknown>) => {
    const res = await app.request('/sandbox/api/say', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return res
  }
  const transcript = async (query: string): Promise<Entry[]> => {
    const res = await app.request(`/sandbox/api/transcript?${query}`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { messages: Entry[] }).messages
  }
  /** Waits until the bot has said something matching `match` in the conversation after `after`. */
  const botReply = async (query: string, after: number, match: (text: string) => boolean) => {
    for (let i = 0; i < 600; i++) {
      const found = (await transcript(`${query}&after=${after}`)).find(
        (m) => m.fromId === bot.status().self?.id && match(m.text),
      )
      if (found) return found
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`no bot reply matching in ${query}`)
  }
  const lastSeq = async (query: string) => (await transcript(query)).at(-1)?.seq ?? 0
  /** An admin API call that must succeed; `api` reads its JSON answer. */
  const adminApi = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${deps.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
    return res
  }
  const api = async (method: string, path: string, body?: unknown) =>
    (await adminApi(method, path, body)).json() as Promise<Record<string, unknown>>
  const xiaoquIdOf = async (name: string) =>
    ((await api('GET', '/api/v1/xiaoqu')) as { items: { id: number; name: string }[] }).items.find(
      (x) => x.name === name,
    )!.id
  /** An instant `ms` from the fake clock's now, as the API takes it. */
  const at = (ms: number) => new Date(deps.clock.now().getTime() + ms).toISOString()
  /** Moves the fake clock and runs the notices' tick, as the minute job would. */
  const tick = async (ms: number) => {
    deps.clock.advance(ms)
    await advanceNotices(deps)
    deps.outboxSignal.notify()
  }
  const roomQuery = (topic: string) => `room=${encodeURIComponent(topic)}`

  it('exposes the demo community in /sandbox/api/state', async () => {
    const res = await app.request('/sandbox/api/state')
    const state = (await res.json()) as {
      rooms: { id: string; topic: string; xiaoqu: string | null }[]
      contacts: { id: string; name: string; role: string }[]
      bot: { id: string; name: string }
    }
    expect(state.rooms.filter((r) => r.xiaoqu).map((r) => r.xiaoqu)).toEqual(demoXiaoqu.map((x) => x.name))
    expect(state.rooms.every((r) => r.id.includes('@'))).toBe(true)
    expect(state.contacts.filter((c) => c.role === 'resident').length).toBeGreaterThanOrEqual(30)
    expect(state.contacts.filter((c) => c.role === 'officer')).toHaveLength(3)
    expect(state.contacts.filter((c) => c.role === 'community_worker')).toHaveLength(1)
    expect(state.bot).toEqual({ id: bot.status().self?.id, name: '改造助手' })
  })

  it('files, resolves and rates a request through the groups', async () => {
    const room = roomQuery(residentsRoom)
    const start = await lastSeq(room)
    expect(
      (
        await say({
          room: residentsRoom,
          from: '张桂兰',
          text: '3号楼2单元楼道灯坏了，晚上黑乎乎的',
          mentionBot: true,
        })
      ).status,
    ).toBe(202)
    const filed = await botReply(room, start, (t) => t.includes('已收到您的诉求'))
    expect(filed.text.startsWith('@张桂兰')).toBe(true)
    expect(filed.mentions).toContain('张桂兰')
    const number = /编号 (Q\d+)/.exec(filed.text)?.[1]
    expect(number).toBeDefined()
    expect(filed.text).toContain('照明')

    // The officers' group hears of it, and an officer resolves it from there.
    const officers = roomQuery(officersRoom)
    await botReply(officers, 0, (t) => t.includes(`新诉求 ${number}`))
    const officersSeq = await lastSeq(officers)
    await say({ room: officersRoom, from: '李红', text: `办结 ${number} 已更换楼道灯` })
    await botReply(officers, officersSeq, (t) => t.includes(`已办结 ${number}`))

    const told = await botReply(room, filed.seq, (t) => t.includes(`${number}`) && t.includes('已办结'))
    expect(told.text.startsWith('@张桂兰')).toBe(true)
    expect(told.text).toContain(`满意 ${number}`)

    // Someone else cannot rate it; the author can.
    const beforeRating = await lastSeq(room)
    await say({ room: residentsRoom, from: '刘建华', text: `满意 ${number}` })
    await botReply(room, beforeRating, (t) => t.startsWith('@刘建华') && t.includes('只有'))
    const beforeAuthor = await lastSeq(room)
    await say({ room: residentsRoom, from: '张桂兰', text: `满意 ${number}` })
    await botReply(room, beforeAuthor, (t) => t.startsWith('@张桂兰') && t.includes('感谢评价'))
    const [stored] = await deps.db.select().from(requests).where(eq(requests.number, number!))
    expect(stored).toMatchObject({ status: 'closed', rating: 'satisfied' })
  })

  it('stays silent in an unbound group and in chatter without a mention', async () => {
    const chitchat = roomQuery('楼下闲聊群')
    await say({ room: '楼下闲聊群', from: '张桂兰', text: '楼道灯坏了', mentionBot: true })
    await say({ room: residentsRoom, from: '王秀英', text: '今天天气不错啊' })
    // A message that does get an answer, sent after the silent ones: once it is answered, they were handled.
    const room = roomQuery(residentsRoom)
    const seq = await lastSeq(room)
    await say({ room: residentsRoom, from: '王秀英', text: '帮助' })
    await botReply(room, seq, (t) => t.includes('可以这样和我说'))
    // Conversations are handled side by side, so the unbound group's message is waited for on its own:
    // once it is stored as unbound, it was handled, and any answer would already be in its transcript.
    let unbound: unknown[] = []
    for (let i = 0; i < 600 && unbound.length === 0; i++) {
      unbound = await deps.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.outcome, 'unbound-room'))
      if (unbound.length === 0) await new Promise((r) => setTimeout(r, 25))
    }
    expect(unbound.length).toBeGreaterThan(0)
    const chatter = await transcript(chitchat)
    expect(chatter.filter((m) => m.fromId === bot.status().self?.id)).toHaveLength(0)
    const all = await transcript(room)
    expect(
      all.filter(
        (m) =>
          m.fromId === bot.status().self?.id &&
          m.text.includes('王秀英') &&
          !m.text.includes('可以这样和我说'),
      ),
    ).toHaveLength(0)
  })

  it('answers a private chat, with a hint when it does not understand', async () => {
    await say({ to: 'bot', from: '刘建华', text: '你好' })
    const greeting = await botReply('with=刘建华', 0, (t) => t.startsWith('您好'))
    expect(greeting.text).toContain('报事')
    await say({ to: 'bot', from: '刘建华', text: '今天天气怎么样' })
    const hint = await botReply('with=刘建华', 0, (t) => t.includes('没听懂'))
    expect(hint.text).toContain('报事')
    await say({ to: 'bot', from: '王建国', text: '待办' })
    await botReply('with=王建国', 0, (t) => t.includes('待办'))
  })

  it('lets a newcomer speak under a new name, and rejects bad input with 400/404', async () => {
    const room = roomQuery(residentsRoom)
    const seq = await lastSeq(room)
    await say({ room: residentsRoom, from: '新住户小王', text: '报事 5号楼门口地锁太多，车停不进去' })
    const reply = await botReply(room, seq, (t) => t.startsWith('@新住户小王'))
    expect(reply.text).toContain('已收到您的诉求')
    expect((await say({ from: '张桂兰', text: 'x' })).status).toBe(400)
    expect((await say({ room: '不存在的群', from: '张桂兰', text: 'x' })).status).toBe(404)
    expect((await app.request('/sandbox/api/transcript')).status).toBe(400)
  })

  it("lets the community worker broadcast to her community's groups after 确认", async () => {
    await say({ to: 'bot', from: '陈静', text: '公告 本周六上午9点在社区广场开居民议事会，欢迎参加' })
    const draft = await botReply('with=陈静', 0, (t) => t.includes('公告草稿'))
    expect(draft.text).toContain('农光里社区的 2 个居民群')
    await say({ to: 'bot', from: '陈静', text: '确认' })
    await botReply('with=陈静', draft.seq, (t) => t.includes('已开始发送到 2 个群'))
    for (const place of demoXiaoqu.filter((x) => x.community === '农光里社区')) {
      await botReply(roomQuery(place.topic), 0, (t) => t.startsWith('【公告】本周六上午9点'))
    }
    const other = demoXiaoqu.find((x) => x.community !== '农光里社区')!
    expect((await transcript(roomQuery(other.topic))).some((m) => m.text.includes('居民议事会'))).toBe(false)
  })

  it('delivers a notice with a PDF through the mock puppet as a file', async () => {
    const token = deps.adminToken
    const pdf = Buffer.from('%PDF-1.4\n% 设计图\n')
    const uploaded = await app.request('/api/v1/attachments?name=design.pdf', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf' },
      body: new Uint8Array(pdf),
    })
    const file = (await uploaded.json()) as { id: number }
    const place = demoXiaoqu[2]!
    const xiaoquId = await xiaoquIdOf(place.name)
    const room = roomQuery(place.topic)
    const seq = await lastSeq(room)
    const res = await app.request('/api/v1/notices/broadcasts', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '设计图见下方文件', xiaoquId, attachmentIds: [file.id] }),
    })
    expect(res.status).toBe(201)
    const text = await botReply(room, seq, (t) => t.startsWith('【公告】设计图见下方文件'))
    const sent = await botReply(room, text.seq, (t) => t === '[文件] design.pdf')
    expect(sent.seq).toBeGreaterThan(text.seq)
  })

  it('runs a design publicity, a construction schedule and a fee notice through the groups with the clock', async () => {
    const place = demoXiaoqu[1]!
    const xiaoquId = await xiaoquIdOf(place.name)
    const room = roomQuery(place.topic)
    const day = 86_400_000

    const publicity = (await api('POST', '/api/v1/publicities', {
      xiaoquId,
      title: '综合整治设计方案',
      body: '增设电梯，改造雨污管线。',
      opensAt: at(60_000),
      closesAt: at(60_000 + 7 * day),
      review: { reviewedBy: '李规划师' },
    })) as { number: string }
    await api('POST', `/api/v1/publicities/${publicity.number}/publish`)
    const before = await lastSeq(room)
    await tick(60_000)
    await botReply(room, before, (t) => t.startsWith(`【设计方案公示 ${publicity.number}】`))
    const mark = await lastSeq(room)
    await say({ room: place.topic, from: '陈凤英', text: `意见 ${publicity.number} 电梯井别占了绿地` })
    await botReply(room, mark, (t) => t.startsWith('@陈凤英') && t.includes('已收到您对公示'))
    await tick(7 * day)
    const summary = await botReply(room, mark, (t) => t.startsWith(`【公示结束 ${publicity.number}】`))
    expect(summary.text).toContain('共收到 1 条意见')

    const schedule = (await api('POST', '/api/v1/schedules', {
      xiaoquId,
      title: '管线改造',
      phases: [
        {
          name: '雨污分流',
          buildings: ['6号楼'],
          impacts: ['停水'],
          startsAt: at(3 * day),
          endsAt: at(5 * day),
        },
      ],
    })) as { number: string }
    await api('POST', `/api/v1/schedules/${schedule.number}/publish`, {})
    await tick(60_000)
    const plan = await botReply(room, summary.seq, (t) => t.startsWith(`【施工计划 ${schedule.number}】`))
    await tick(2 * day + 12 * 3_600_000)
    await botReply(
      room,
      plan.seq,
      (t) => t.startsWith(`【施工提醒 ${schedule.number}】`) && t.includes('停水'),
    )

    const fee = (await api('POST', '/api/v1/fees', {
      xiaoquId,
      period: '2026年度',
      standardYuanPerM2Month: 1.2,
      deadline: at(10 * day),
      howToPay: '物业服务中心',
      contact: '010-87654321',
    })) as { number: string }
    const feePosted = await botReply(room, plan.seq, (t) => t.startsWith(`【物业费缴纳通知 ${fee.number}】`))
    expect(feePosted.text).toContain('1.20 元/㎡/月')
    await tick(3 * day + 3_600_000)
    await botReply(
      room,
      feePosted.seq,
      (t) => t.startsWith(`【缴费提醒 ${fee.number}】`) && t.includes('还有 7 天'),
    )
  })

  it("runs a unit's elevator vote from open to the posted result", async () => {
    const place = demoXiaoqu[0]!
    const xiaoquId = await xiaoquIdOf(place.name)
    const room = roomQuery(place.topic)
    const campaign = (await (
      await adminApi('POST', '/api/v1/campaigns', {
        xiaoquId,
        building: '1号楼',
        unit: '1单元',
        matter: 'rebuild',
        question: '1号楼1单元是否同意加装电梯',
        opensAt: at(60_000),
        closesAt: at(7 * 86_400_000),
      })
    ).json()) as { number: string }
    const z = campaign.number
    const before = await lastSeq(room)
    await tick(60_000)
    const opened = await botReply(room, before, (t) => t.startsWith(`【征询 ${z}】`))
    expect(opened.text).toContain('本次共 12 户')
    // Two verified owners of the unit vote in private chat; 张桂兰 (101) for, 周玉梅 (401) against.
    for (const [name, choice] of [
      ['张桂兰', '同意'],
      ['周玉梅', '反对'],
    ] as const) {
      const mark = await lastSeq(`with=${encodeURIComponent(name)}`)
      await say({ to: 'bot', from: name, text: `${choice} ${z}` })
      const reply = await botReply(`with=${encodeURIComponent(name)}`, mark, (t) => t.includes(`征询 ${z}`))
      expect(reply.text).toContain(`已记录您对征询 ${z} 的意见：${choice}`)
    }
    // The rest come in on paper.
    for (const r of ['102', '201', '202', '301', '302', '402', '501', '502', '601', '602']) {
      await adminApi('POST', `/api/v1/campaigns/${z}/ballots`, {
        building: '1号楼',
        unit: '1单元',
        room: r,
        choice: '同意',
        channel: 'paper',
      })
    }
    await tick(7 * 86_400_000)
    const result = await botReply(room, opened.seq, (t) => t.startsWith(`【征询结果 ${z}】`))
    expect(result.text).toContain('通过')
    expect(result.text).not.toContain('未通过')
    expect(result.text).toMatch(/业主人数：总 12，参与 12，同意 11/)
    const csv = await (await adminApi('GET', `/api/v1/campaigns/${z}/ballots.csv`)).text()
    const { createHash } = await import('node:crypto')
    expect(result.text).toContain(createHash('sha256').update(csv, 'utf8').digest('hex'))
  })

  it('serves the sandbox page, its script allowed by its hash and a link to the console', async () => {
    const res = await app.request('/sandbox')
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(page).toContain('/sandbox/api/say')
    expect(page).toContain('<a href="/console">')
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!
    const { createHash } = await import('node:crypto')
    const hash = createHash('sha256').update(script, 'utf8').digest('base64')
    expect(res.headers.get('content-security-policy')).toContain(`script-src 'sha256-${hash}'`)
  })
})
