import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import {
  advancePublicities,
  createPublicity,
  findPublicity,
  publishPublicity,
  recordReview,
} from '../../core/notices/publicity.usecases'
import { outbox } from '../../db/schema'
import { say as chat } from '../support/chat'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const day = 86_400_000

describe.each(drivers)('design publicity on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const posts = (number: string, stage: string) =>
    deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.batch, `publicity:${number}:${stage}`))
  const say = (senderId: string, text: string, roomId?: string) =>
    chat(deps, { senderId, senderName: '居民', text, roomId })

  it('refuses a period shorter than the minimum or closing before it opens, naming the field', async () => {
    const world = await makeWorld(deps)
    const opensAt = new Date(deps.clock.now().getTime() + day)
    const base = { xiaoquId: world.xiaoqu.id, title: '方案', body: '内容', opensAt }
    await expect(
      createPublicity(deps, world.officer.actor, {
        ...base,
        closesAt: new Date(opensAt.getTime() + 6 * day),
      }),
    ).rejects.toMatchObject({
      code: 'publicity.too_short',
      details: { fields: ['closesAt'] },
    })
    await expect(
      createPublicity(deps, world.officer.actor, { ...base, closesAt: new Date(opensAt.getTime() - 1) }),
    ).rejects.toMatchObject({
      code: 'publicity.close_before_open',
    })
  })

  it('runs a publicity from review to summary, each post once, feedback only while open', async () => {
    const world = await makeWorld(deps)
    const start = deps.clock.now()
    const opensAt = new Date(start.getTime() + day)
    const closesAt = new Date(opensAt.getTime() + 8 * day)
    const draft = await createPublicity(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '综合整治设计方案',
      body: '外墙保温、增设电梯、雨污分流。',
      opensAt,
      closesAt,
    })
    expect(draft.number).toMatch(/^G\d+$/)
    await expect(publishPublicity(deps, world.officer.actor, draft.number)).rejects.toMatchObject({
      code: 'publicity.review_required',
    })
    await recordReview(deps, world.officer.actor, draft.number, { reviewedBy: '王规划师' })
    expect((await publishPublicity(deps, world.officer.actor, draft.number)).status).toBe('scheduled')

    const resident = world.resident.wechatId!
    expect((await say(resident, `意见 ${draft.number} 太早了`, world.roomId)).reply).toContain('将于')
    expect((await say(resident, '意见 G999999 没有这个', world.roomId)).reply).toContain(
      '没有找到公示 G999999',
    )

    await advancePublicities(deps)
    expect(await posts(draft.number, 'open')).toHaveLength(0)
    deps.clock.set(opensAt)
    await advancePublicities(deps)
    await advancePublicities(deps)
    const opened = await posts(draft.number, 'open')
    expect(opened.map((p) => p.conversationId)).toEqual([world.roomId])
    expect(opened[0]!.text).toContain('王规划师')

    const group = await say(resident, `意见 ${draft.number} 电梯最好装在北侧，别挡采光`, world.roomId)
    expect(group.reply).toContain('已收到您对公示')
    const other = uniqueId('wxid_other')
    expect((await say(other, `意见 ${draft.number} 外墙保温要用防火材料`)).reply).toContain('共 2 条')
    expect((await say(other, `意见 ${draft.number}`)).reply).toContain('请写上您的意见')

    deps.clock.set(new Date(opensAt.getTime() + 4 * day))
    await advancePublicities(deps)
    await advancePublicities(deps)
    const halfway = await posts(draft.number, 'halfway')
    expect(halfway).toHaveLength(1)
    expect(halfway[0]!.text).toContain('已收到 2 条意见')

    deps.clock.set(closesAt)
    await advancePublicities(deps)
    await advancePublicities(deps)
    const closed = await findPublicity(deps.db, draft.number)
    expect(closed.status).toBe('closed')
    expect(closed.summary?.count).toBe(2)
    expect(closed.summary?.themes.map((t) => t.category).sort()).toEqual(['外墙保温', '电梯'].sort())
    const summary = await posts(draft.number, 'close')
    expect(summary).toHaveLength(1)
    expect(summary[0]!.text).toContain('共收到 2 条意见')
    expect((await say(resident, `意见 ${draft.number} 晚了`, world.roomId)).reply).toMatch(/已于 .+ 结束/)

    const app = createApi(deps)
    const csv = await app.request(`/api/v1/publicities/${draft.number}/feedback?format=csv`, {
      headers: { authorization: `Bearer ${world.officer.token}` },
    })
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const lines = (await csv.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(lines[0]).toBe('序号,居民,类别,意见,时间')
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain('电梯最好装在北侧')
  })
})
