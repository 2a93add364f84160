import { createHash } from 'node:crypto'
import { and, asc, eq, isNull, like } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { advanceCampaigns } from '../../core/consent/campaigns'
import * as projects from '../../core/projects/projects.usecases'
import { ballots, households, outbox, residentHouseholds } from '../../db/schema'
import { say } from '../support/chat'
import { makeResident, twoBuildingsCsv } from '../support/consent'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

describe.each(drivers)('consent campaigns on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  beforeAll(async () => {
    deps = await createTestDeps(driver, {
      env: {
        CONSENT_LOCAL_RULES: '{"加装电梯":{"passArea":"4/5","passHeads":"4/5"},"宽松":{"passArea":">1/2"}}',
      },
    })
    app = createApi(deps)
  })
  afterAll(async () => {
    await deps.database.close()
  })
  beforeEach(() => {
    deps.clock.set(shanghai('2026-03-02T10:00:00'))
  })

  const call = apiCaller(() => app)

  const chat = (from: { wechatId: string; name: string }, text: string, roomId?: string) =>
    say(deps, {
      senderId: from.wechatId,
      senderName: from.name,
      text,
      roomId,
      roomTopic: roomId ? '居民群' : undefined,
    })

  /** A xiaoqu with 3号楼 (1单元: 101–104) and 5号楼 (1单元: 101–102) imported with areas and owners. */
  async function setup() {
    const world = await makeWorld(deps)
    const imported = await call(
      world.officer.token,
      'POST',
      `/xiaoqu/${world.xiaoqu.id}/households.csv`,
      twoBuildingsCsv,
      'text/csv',
    )
    expect(imported.status, imported.text).toBe(200)
    expect(imported.body.imported).toBe(6)
    return world
  }

  const resident = (name: string) => makeResident(deps, name)

  async function verify(
    world: Awaited<ReturnType<typeof setup>>,
    who: { id: number; wechatId: string; name: string },
    room: string,
  ) {
    const claimed = await chat(who, `认证 ${world.xiaoqu.name} ${room}`)
    expect(claimed.reply).toContain('已提交认证')
    const [claim] = await deps.db
      .select()
      .from(residentHouseholds)
      .where(and(eq(residentHouseholds.residentId, who.id), isNull(residentHouseholds.verifiedAt)))
    const decided = await call(world.officer.token, 'POST', '/claims/decide', {
      residentId: who.id,
      householdId: claim!.householdId,
      approve: true,
    })
    expect(decided.status, decided.text).toBe(200)
  }

  it('imports households all or nothing, listing every rejected row and why', async () => {
    const world = await makeWorld(deps)
    const bad = [
      '楼栋,单元,房号,面积,业主,电话',
      '1,1,101,55.5,甲,13800000011',
      '1,1,102,abc,乙,13800000012',
      '1,1,101,60,丙,13800000013',
      '1,1,103,55.555,丁,',
      '1,1,104,-3,戊,',
      '1,1,105,50,己,12345',
    ].join('\n')
    const refused = await call(
      world.officer.token,
      'POST',
      `/xiaoqu/${world.xiaoqu.id}/households.csv`,
      bad,
      'text/csv',
    )
    expect(refused.status).toBe(400)
    expect(refused.body.error.message).toContain('整个文件未导入')
    expect(refused.body.error.details.rejected.map((r: { line: number }) => r.line)).toEqual([3, 4, 5, 6, 7])
    expect(refused.body.error.details.rejected[1].reasons).toEqual(['与第 2 行房号重复'])
    expect(
      await deps.db.select().from(households).where(eq(households.xiaoquId, world.xiaoqu.id)),
    ).toHaveLength(0)
    const noHeader = await call(
      world.officer.token,
      'POST',
      `/xiaoqu/${world.xiaoqu.id}/households.csv`,
      '1,1,101,50',
      'text/csv',
    )
    expect(noHeader.status).toBe(400)
    expect(noHeader.body.error.message).toContain('表头缺少')
    // A room named twice is caught even when the first of the two is also wrong.
    const twice = await call(
      world.officer.token,
      'POST',
      `/xiaoqu/${world.xiaoqu.id}/households.csv`,
      '楼栋,单元,房号,面积\n1,1,201,abc\n1,1,201,50\n',
      'text/csv',
    )
    expect(twice.status).toBe(400)
    expect(
      twice.body.error.details.rejected.map((r: { line: number; reasons: string[] }) => [r.line, r.reasons]),
    ).toEqual([
      [2, ['面积应为平方米数，最多两位小数，如 56.78']],
      [3, ['与第 2 行房号重复']],
    ])
    // With a BOM, English headers and quoted cells it goes in.
    const good = '\uFEFFbuilding,unit,room,area,owner,phone\r\n"1","1","101","55.50","甲","13800000011"\r\n'
    const ok = await call(
      world.officer.token,
      'POST',
      `/xiaoqu/${world.xiaoqu.id}/households.csv`,
      good,
      'text/csv',
    )
    expect(ok.body).toEqual({ imported: 1, rejected: [] })
    const [row] = await deps.db.select().from(households).where(eq(households.xiaoquId, world.xiaoqu.id))
    expect(row).toMatchObject({
      room: '101',
      exclusiveAreaCenti: 5_550,
      ownerName: '甲',
      ownerKey: 'tel:13800000011',
    })
  })

  it('runs a building vote: refusals say why, votes change until the close, paper counts later, the result is posted with its digest', async () => {
    const world = await setup()
    const officer = world.officer.token
    const wang = await resident('王大爷')
    const wangWife = await resident('王大妈')
    const li = await resident('李阿姨')
    const stranger = await resident('路人')
    const sun = await resident('孙老师')
    await verify(world, wang, '3号楼1单元101')
    await verify(world, wang, '3号楼1单元102')
    await verify(world, wangWife, '3号楼1单元101')
    await verify(world, li, '3号楼1单元103')
    await verify(world, sun, '5号楼1单元101')
    const pending = await chat(stranger, `认证 ${world.xiaoqu.name} 3号楼1单元104`)
    expect(pending.reply).toContain('已提交认证')

    const looser = await call(officer, 'POST', '/campaigns', {
      xiaoquId: world.xiaoqu.id,
      building: '3号楼',
      matter: 'rebuild',
      localRule: '宽松',
      question: '是否同意加装电梯',
      opensAt: '2026-03-03T09:00:00+08:00',
      closesAt: '2026-03-10T18:00:00+08:00',
    })
    expect(looser.status).toBe(400)
    expect(looser.body.error.message).toContain('低于民法典第二百七十八条')
    const created = await call(officer, 'POST', '/campaigns', {
      xiaoquId: world.xiaoqu.id,
      building: '3',
      matter: 'rebuild',
      question: '是否同意3号楼加装电梯',
      opensAt: '2026-03-03T09:00:00+08:00',
      closesAt: '2026-03-10T18:00:00+08:00',
    })
    expect(created.status, created.text).toBe(201)
    const z = created.body.number as string
    expect(created.body.rule.passArea).toEqual({ num: 3, den: 4, inclusive: true })

    expect((await chat(wang, `同意 ${z}`)).reply).toContain('还没有开始')
    deps.clock.set(shanghai('2026-03-03T09:00:00'))
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    const posted = await deps.db
      .select()
      .from(outbox)
      .where(like(outbox.dedupeKey, `campaign:${z}:open:%`))
    expect(posted.map((p) => p.conversationId)).toEqual([world.roomId])
    expect(posted[0]!.text).toContain('本次共 4 户')

    expect((await chat(stranger, `同意 ${z}`)).reply).toContain('等待社区工作人员核实')
    expect((await chat(await resident('新人'), `同意 ${z}`)).reply).toContain('认证 3号楼2单元301')
    expect((await chat(sun, `同意 ${z}`)).reply).toContain('不在本次征询的范围')
    const inGroup = await chat(wang, `同意 ${z}`, world.roomId)
    expect(inGroup.reply).toContain('请私聊')
    // A ballot in everyday words without the number casts nothing: the answer names the campaign and how.
    const bare = await chat(li, '我不同意！')
    expect(bare.reply).toContain(`反对 ${z}`)
    expect(bare.reply).toContain('是否同意3号楼加装电梯')
    expect((await chat(sun, '同意')).reply).toContain('没有可以投票的征询')
    expect((await chat(li, '@改造助手 赞成', world.roomId)).reply).toContain('请私聊')
    expect((await chat(wang, `同意 ${z}`)).reply).toContain('3号楼1单元101、3号楼1单元102')
    expect((await chat(li, `反对 ${z}`)).reply).toContain('反对')
    // Li changes her mind; the last counts.
    expect((await chat(li, `同意 ${z}`)).reply).toContain('同意')
    // Wang's wife disagrees with him for 101: the household counts once, and officers see the conflict.
    await chat(wangWife, `反对 ${z}`)
    // 104 on paper; then a paper ballot for 103, which already voted in WeChat: the later counts.
    const paper = await call(officer, 'POST', `/campaigns/${z}/ballots`, {
      building: '3号楼',
      unit: '1单元',
      room: '104',
      choice: '同意',
      channel: 'paper',
    })
    expect(paper.status, paper.text).toBe(201)
    await call(officer, 'POST', `/campaigns/${z}/ballots`, {
      building: '3',
      unit: '1',
      room: '103',
      choice: '弃权',
      channel: 'onsite',
    })
    const outside = await call(officer, 'POST', `/campaigns/${z}/ballots`, {
      building: '5',
      unit: '1',
      room: '101',
      choice: '同意',
      channel: 'paper',
    })
    expect(outside.status).toBe(403)

    const live = await call(officer, 'GET', `/campaigns/${z}`)
    expect(live.body.conflicts.map((c: { household: string }) => c.household)).toEqual(['3号楼1单元101'])
    // Owners: 王 (101+102, 120.00㎡; his household's last word is his wife's 反对), 李 (103, 弃权), 赵 (104, 同意).
    expect(live.body.turnout).toMatchObject({
      totalAreaCenti: 24_075,
      totalHeads: 3,
      participatingAreaCenti: 24_075,
      participatingHeads: 3,
      agreeingAreaCenti: 4_025,
      agreeingHeads: 1,
      passed: false,
    })
    // A resident sees the count, and their own choice, never others'.
    const status = await chat(li, `征询 ${z}`)
    expect(status.reply).toContain('已有 3 位业主参与')
    expect(status.reply).toContain('您的选择：弃权')
    expect(status.reply).not.toContain('王')

    // Wang votes again after his wife: his 同意 is now the last word for 101 and 102.
    await chat(wang, `同意 ${z}`)
    deps.clock.set(shanghai('2026-03-10T18:00:00'))
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    expect((await chat(wang, `反对 ${z}`)).reply).toContain('已于')
    const closed = await call(officer, 'GET', `/campaigns/${z}`)
    // Participating 240.75㎡ and 3 heads (quorum met); agreeing 王 120.00 + 赵 40.25 = 160.25㎡ (66.6% < 3/4), 2 of 3 heads.
    expect(closed.body.result).toMatchObject({
      participatingAreaCenti: 24_075,
      agreeingAreaCenti: 16_025,
      agreeingHeads: 2,
      quorumMet: true,
      passed: false,
    })
    const csv = await call(officer, 'GET', `/campaigns/${z}/ballots.csv`)
    expect(createHash('sha256').update(csv.text, 'utf8').digest('hex')).toBe(closed.body.ballotsDigest)
    expect(csv.text.split('\n').filter(Boolean)).toHaveLength(1 + 9) // every ballot kept
    expect(csv.text).not.toContain('王')
    const [result] = await deps.db
      .select()
      .from(outbox)
      .where(like(outbox.dedupeKey, `campaign:${z}:result:%`))
    expect(result!.text).toContain('未通过')
    expect(result!.text).toContain('同意 160.25㎡')
    expect(result!.text).toContain(closed.body.ballotsDigest)
    // Property staff see neither turnout nor claims: a vote may be about hiring them.
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    expect((await call(property.token, 'GET', `/campaigns/${z}`)).status).toBe(403)
    expect((await call(property.token, 'GET', '/claims')).status).toBe(403)
    expect((await call(property.token, 'POST', `/campaigns/${z}/cancel`)).status).toBe(403)
    const all = await deps.db.select().from(ballots).orderBy(asc(ballots.id))
    expect(
      all.filter((b) => b.channel !== 'wechat').every((b) => b.enteredBy === world.officer.staff.id),
    ).toBe(true)
  })

  it('lets a passed property-service consent linked to a project open the 治理 gate', async () => {
    const world = await setup()
    const project = await projects.createProject(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      year: 2026,
      title: '综合整治',
      responsibleStaffId: world.officer.staff.id,
    })
    const created = await call(world.officer.token, 'POST', '/campaigns', {
      xiaoquId: world.xiaoqu.id,
      matter: 'property_manager',
      question: '是否同意引入物业服务，收费标准 1.20 元/㎡/月',
      opensAt: '2026-03-02T10:00:00+08:00',
      closesAt: '2026-03-05T18:00:00+08:00',
      projectNumber: project.number,
    })
    expect(created.status, created.text).toBe(201)
    const z = created.body.number as string
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    for (const room of [
      '3号楼1单元101',
      '3号楼1单元103',
      '3号楼1单元104',
      '5号楼1单元101',
      '5号楼1单元102',
    ]) {
      const m = /^(\d)号楼(\d)单元(\d+)$/.exec(room)!
      const r = await call(world.officer.token, 'POST', `/campaigns/${z}/ballots`, {
        building: m[1],
        unit: m[2],
        room: m[3],
        choice: '同意',
        channel: 'paper',
      })
      expect(r.status).toBe(201)
    }
    deps.clock.set(shanghai('2026-03-05T18:00:00'))
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    const detail = await call(world.officer.token, 'GET', `/campaigns/${z}`)
    expect(detail.body.result).toMatchObject({ totalHeads: 5, participatingHeads: 5, passed: true })
    const facts = await projects.nextGates(deps.db, { ...project, stage: '物业签约' })
    expect(facts.failures.map((f) => f.gate)).not.toContain('property_agreement')
  })

  it('refuses a campaign whose households lack areas, naming them', async () => {
    const world = await makeWorld(deps)
    await call(world.officer.token, 'POST', `/xiaoqu/${world.xiaoqu.id}/rooms`, {
      rooms: [{ building: '1号楼', unit: '1单元', room: '101' }],
    })
    const refused = await call(world.officer.token, 'POST', '/campaigns', {
      xiaoquId: world.xiaoqu.id,
      matter: 'other',
      question: '是否同意设置快递柜',
      opensAt: '2026-03-03T09:00:00+08:00',
      closesAt: '2026-03-10T18:00:00+08:00',
    })
    expect(refused.status).toBe(400)
    expect(refused.body.error.message).toContain('1号楼1单元101')
    const [h] = await deps.db
      .select()
      .from(households)
      .where(and(eq(households.xiaoquId, world.xiaoqu.id)))
    expect(h!.exclusiveAreaCenti).toBeNull()
  })
})
