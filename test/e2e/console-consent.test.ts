import { createHash } from 'node:crypto'
import { and, asc, eq, like } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { advanceCampaigns } from '../../core/consent/campaigns'
import { legalRule } from '../../core/consent/rules'
import { auditLog, ballots, campaigns, outbox, residentHouseholds } from '../../db/schema'
import { say } from '../support/chat'
import { makeResident, twoBuildingsCsv } from '../support/consent'
import { Browser, type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

/** Every name a resident or owner has in these tests: none may appear on a campaign page or its export. */
const names = ['王大爷', '王大妈', '李阿姨', '赵叔叔', '孙老师', '周师傅']

/** A paper ballot for 3号楼1单元104 (赵叔叔's), 同意: each test varies what it needs. */
const paperBallot = { building: '3', unit: '1', room: '104', choice: '同意', channel: 'paper' }

describe.each(drivers)('console: consent campaigns and household claims on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  const api = async (token: string, path: string, body: unknown, type = 'application/json') => {
    const res = await app.request(`/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    expect(res.status, text).toBeLessThan(300)
    return JSON.parse(text)
  }

  let seq = 0
  const chat = async (from: { wechatId: string; name: string }, text: string) => {
    const sentAt = new Date(deps.clock.now().getTime() + ++seq)
    return (await say(deps, { senderId: from.wechatId, senderName: from.name, text, sentAt })).reply
  }

  const resident = (name: string) => makeResident(deps, name)

  /** A xiaoqu with 3号楼 1单元 101–104 and 5号楼 1单元 101–102, imported with areas and owners. */
  async function setup() {
    const world = await makeWorld(deps)
    const imported = await api(
      world.officer.token,
      `/xiaoqu/${world.xiaoqu.id}/households.csv`,
      twoBuildingsCsv,
      'text/csv',
    )
    expect(imported.imported).toBe(6)
    return world
  }

  const claimsOf = (residentId: number) =>
    deps.db.select().from(residentHouseholds).where(eq(residentHouseholds.residentId, residentId))

  /** The fields of the form deciding a claim. */
  const decide = (
    claim: { residentId: number; householdId: number },
    decision: 'approve' | 'reject',
    note?: string,
  ) => ({
    residentId: String(claim.residentId),
    householdId: String(claim.householdId),
    decision,
    ...(note === undefined ? {} : { note }),
  })

  /** A resident who claimed a room in WeChat (not yet verified). */
  async function claimant(world: Awaited<ReturnType<typeof setup>>, name: string, room: string) {
    const who = await resident(name)
    expect(await chat(who, `认证 ${world.xiaoqu.name} ${room}`)).toContain('已提交认证')
    return who
  }

  /** A claim verified through the API, so the resident can vote. */
  async function voter(world: Awaited<ReturnType<typeof setup>>, name: string, rooms: string[]) {
    const who = await resident(name)
    for (const room of rooms) {
      expect(await chat(who, `认证 ${world.xiaoqu.name} ${room}`)).toContain('已提交认证')
      const claims = await claimsOf(who.id)
      for (const claim of claims.filter((cl) => !cl.verifiedAt)) {
        await api(world.officer.token, '/claims/decide', {
          residentId: who.id,
          householdId: claim.householdId,
          approve: true,
        })
      }
    }
    return who
  }

  /** A 3号楼 vote on 加装电梯 (3/4 to pass), open from now until Thursday 18:00. */
  async function openCampaign(world: Awaited<ReturnType<typeof setup>>) {
    const created = await api(world.officer.token, '/campaigns', {
      xiaoquId: world.xiaoqu.id,
      building: '3',
      matter: 'rebuild',
      question: '是否同意3号楼加装电梯',
      opensAt: '2026-03-02T10:00:00+08:00',
      closesAt: '2026-03-05T18:00:00+08:00',
    })
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    return created.number as string
  }

  /** The set-up world with a campaign open, and its page as the world's officer sees it. */
  async function onCampaignPage() {
    const world = await setup()
    const z = await openCampaign(world)
    const browser = await login(world.officer.token)
    const page = await browser.open(`/console/campaigns/${z}`)
    return { world, z, browser, page }
  }

  const close = async () => {
    deps.clock.set(shanghai('2026-03-05T18:00:00'))
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
  }

  const campaignRow = async (number: string) =>
    (await deps.db.select().from(campaigns).where(eq(campaigns.number, number)))[0]!

  const ballotsOf = async (number: string) =>
    deps.db
      .select()
      .from(ballots)
      .where(eq(ballots.campaignId, (await campaignRow(number)).id))
      .orderBy(asc(ballots.id))

  /** No resident's or owner's name anywhere on the page. */
  const nameless = (html: string) => {
    for (const name of names) expect(html, name).not.toContain(name)
  }

  // -------------------------------------------------------------------------------------------------------

  it('lists campaigns in scope and shows the live turnout and conflicts, with no names beside choices', async () => {
    const world = await setup()
    const wangWife = await voter(world, '王大妈', ['3号楼1单元101'])
    const wang = await voter(world, '王大爷', ['3号楼1单元101', '3号楼1单元102'])
    const li = await voter(world, '李阿姨', ['3号楼1单元103'])
    const z = await openCampaign(world)
    expect(await chat(wangWife, `反对 ${z}`)).toContain('反对')
    expect(await chat(wang, `同意 ${z}`)).toContain('同意')
    expect(await chat(li, `反对 ${z}`)).toContain('反对')

    const browser = await login(world.officer.token)
    const list = await browser.open('/console/campaigns')
    expect(list.status).toBe(200)
    expect(list.html).toContain('征询表决')
    expect(list.html).toContain('房屋认证')
    expect(list.html).toContain(`href="/console/campaigns/${z}"`)
    expect(list.html).toContain(`${world.xiaoqu.name} 3号楼`)
    expect(list.html).toContain('（七）改建、重建建筑物及其附属设施（如加装电梯）')
    expect(list.html).toContain('投票中')
    expect(list.html).toContain('2026-03-05 18:00')
    expect(list.html).not.toContain('<script')

    const page = await browser.open(`/console/campaigns/${z}`)
    expect(page.status).toBe(200)
    expect(page.html).toContain('是否同意3号楼加装电梯')
    expect(page.html).toContain('参与表决的专有部分面积达总面积的2/3以上')
    expect(page.html).toContain('同意的专有部分面积达参与表决面积的3/4以上')
    expect(page.html).toContain('名册 4 户，已收到 4 张票')
    // 王 (101+102, 120.00㎡, his own 同意 is his last word) and 李 (103, 80.50㎡, 反对) take part:
    // 200.50㎡ of 240.75㎡ (2/3 is 160.50㎡) and 2 of 3 owners; 120.00㎡ and 1 agree.
    expect(page.html).toContain('200.50㎡')
    expect(page.html).toContain('总面积 240.75㎡')
    expect(page.html).toContain('160.50㎡')
    expect(page.html).toContain('业主总人数 3 人')
    expect(page.html).toContain('120.00㎡')
    // 3/4 of 200.50㎡ is 150.375㎡: at least 150.38㎡, rounded up in integers.
    expect(page.html).toContain('150.38㎡')
    // 101: the wife's 反对 and the husband's 同意, as choices only.
    expect(page.html).toContain('意见不一致的房屋（1 户）')
    expect(page.html).toMatch(
      /<td data-label="房屋">3号楼1单元101<\/td><td data-label="各票（按投票先后）">反对（微信，[^<]*） → 同意（微信，[^<]*）<\/td>/,
    )
    nameless(page.html)
    expect(page.html).not.toContain('<script')

    // A number not in the form of Z7, and one that does not exist.
    expect((await browser.open('/console/campaigns/abc')).status).toBe(404)
    const missing = await browser.open('/console/campaigns/Z999999')
    expect(missing.status).toBe(404)
    expect(missing.html).toContain('没有找到征询 Z999999')
  })

  it('enters a paper ballot through the form (with CSRF), refusing a bad one on the page; none without CSRF', async () => {
    const { world, z, browser, page } = await onCampaignPage()
    const action = `/console/campaigns/${z}/ballots`
    expect(page.html).toContain(`action="${action}"`)

    const without = await browser.open(action, {
      form: paperBallot,
    })
    expect(without.status).toBe(403)
    expect(without.html).toContain('页面已过期或来源不明')
    const forged = await browser.open(action, {
      form: { _csrf: 'x'.repeat(43), ...paperBallot },
    })
    expect(forged.status).toBe(403)
    expect(await ballotsOf(z)).toHaveLength(0)

    const noChoice = await browser.post(page, action, {
      building: '3',
      unit: '1',
      room: '104',
      channel: 'paper',
    })
    expect(noChoice.status).toBe(400)
    expect(noChoice.html).toContain('请选择同意、反对或弃权')
    expect(noChoice.html).toContain('name="room" required="" maxlength="30" value="104"')
    const outside = await browser.post(page, action, { ...paperBallot, building: '5', room: '101' })
    expect(outside.status).toBe(403)
    expect(outside.html).toContain(`5号楼1单元101 不在征询 ${z} 的范围`)
    expect(await ballotsOf(z)).toHaveLength(0)

    const entered = await browser.post(page, action, { ...paperBallot, note: '纸质票第 12 号' })
    expect(entered.status).toBe(303)
    expect(entered.location).toBe(`/console/campaigns/${z}?ok=ballot`)
    const [ballot] = await ballotsOf(z)
    expect(ballot).toMatchObject({
      choice: '同意',
      channel: 'paper',
      enteredBy: world.officer.staff.id,
      note: '纸质票第 12 号',
      residentId: null,
    })
    const after = await browser.open(entered.location!)
    expect(after.html).toContain('已录入，这一户以最后一张票为准')
    expect(after.html).toContain('名册 4 户，已收到 1 张票')
    // 赵 (104, 40.25㎡) takes part and agrees: 1 of 3 owners.
    expect(after.html).toContain('<td data-label="目前" class="num">40.25㎡</td>')
    expect(after.html).toContain('<td data-label="目前" class="num">1 人</td>')
    nameless(after.html)
  })

  it('after the close shows every figure, the outcome, reasons and digest; the console CSV hashes to it', async () => {
    const { z, browser, page } = await onCampaignPage()
    const action = `/console/campaigns/${z}/ballots`
    for (const [room, choice] of [
      ['101', '同意'],
      ['103', '反对'],
      ['104', '同意'],
      ['103', '同意'], // 李 changes her mind on paper: the later ballot counts
    ] as const) {
      const done = await browser.post(page, action, {
        building: '3号楼',
        unit: '1单元',
        room,
        choice,
        channel: 'onsite',
      })
      expect(done.status, done.html).toBe(303)
    }
    await close()
    const row = await campaignRow(z)
    expect(row.status).toBe('closed')
    expect(row.result).toMatchObject({ passed: true, participatingAreaCenti: 24_075, agreeingHeads: 3 })

    const closed = await browser.open(`/console/campaigns/${z}`)
    expect(closed.status).toBe(200)
    expect(closed.html).toContain('表决结果：通过')
    expect(closed.html).toContain('总 240.75㎡，参与 240.75㎡，同意 240.75㎡')
    expect(closed.html).toContain('总 3 人，参与 3 人，同意 3 人')
    for (const reason of row.result!.reasons) expect(closed.html).toContain(reason)
    expect(closed.html).toContain(row.ballotsDigest!)
    expect(closed.html).toContain('计票校验码（SHA-256）')
    const href = `/console/campaigns/${z}/ballots.csv`
    expect(closed.html).toContain(`href="${href}"`)
    // No more ballots and no cancelling once closed.
    expect(closed.html).not.toContain(`action="${action}"`)
    expect(closed.html).not.toContain(`action="/console/campaigns/${z}/cancel"`)
    const late = await browser.post(page, action, { ...paperBallot, room: '102' })
    expect(late.status).toBe(409)
    expect(late.html).toContain('不能再投票')

    const csv = await browser.open(href)
    expect(csv.status).toBe(200)
    expect(csv.type).toBe('text/csv; charset=utf-8')
    expect(createHash('sha256').update(csv.html, 'utf8').digest('hex')).toBe(row.ballotsDigest)
    expect(csv.html.split('\n').filter(Boolean)).toHaveLength(1 + 4)
    expect(csv.html).toContain('3号楼1单元103,同意,onsite')
    nameless(csv.html)
    nameless(closed.html)

    const list = await browser.open('/console/campaigns')
    expect(list.html).toContain('已截止')
    expect(list.html).toContain('通过')
  })

  it('cancels a campaign only with the confirmation ticked', async () => {
    const { z, browser, page } = await onCampaignPage()
    const action = `/console/campaigns/${z}/cancel`
    const unticked = await browser.post(page, action)
    expect(unticked.status).toBe(400)
    expect(unticked.html).toContain('请勾选确认后再取消征询')
    expect((await campaignRow(z)).status).toBe('open')
    const done = await browser.post(page, action, { confirm: 'yes' })
    expect(done.status).toBe(303)
    expect(done.location).toBe(`/console/campaigns/${z}?ok=cancelled`)
    expect((await campaignRow(z)).status).toBe('cancelled')
    const after = await browser.open(done.location!)
    expect(after.html).toContain('征询已取消')
    expect(after.html).toContain('已取消')
    expect(after.html).not.toContain(`action="${action}"`)
    const posted = await deps.db
      .select()
      .from(outbox)
      .where(like(outbox.dedupeKey, `campaign:${z}:cancel:%`))
    expect(posted).toHaveLength(1)
  })

  it('refuses an officer of another street: 403 on the page, the CSV and the forms, and lists nothing', async () => {
    const world = await setup()
    const z = await openCampaign(world)
    const elsewhere = await makeWorld(deps)
    const outsider = await login(elsewhere.officer.token)
    const list = await outsider.open('/console/campaigns')
    expect(list.status).toBe(200)
    // Not a bare substring: the page's random CSRF tokens may hold "Z5" by chance.
    expect(list.html).not.toContain(`/console/campaigns/${z}"`)
    expect(list.html).not.toContain(`>${z}<`)
    const page = await outsider.open(`/console/campaigns/${z}`)
    expect(page.status).toBe(403)
    expect(page.html).toContain('不在您的管辖范围内')
    expect(page.html).toContain('征询表决') // still inside the layout
    const csv = await outsider.open(`/console/campaigns/${z}/ballots.csv`)
    expect(csv.status).toBe(403)
    expect(csv.html).not.toContain('ballot,household')
    const csrf = csrfOf(list.html, '/console/logout')
    const post = await outsider.open(`/console/campaigns/${z}/ballots`, {
      form: { _csrf: csrf, ...paperBallot, choice: '反对' },
    })
    expect(post.status).toBe(403)
    const cancel = await outsider.open(`/console/campaigns/${z}/cancel`, {
      form: { _csrf: csrf, confirm: 'yes' },
    })
    expect(cancel.status).toBe(403)
    expect(await ballotsOf(z)).toHaveLength(0)
    expect((await campaignRow(z)).status).toBe('open')
  })

  it('approves a claim through the console (verified, the resident told) and rejects one with a note', async () => {
    const world = await setup()
    const li = await claimant(world, '李小姐', '3号楼1单元103')
    const stranger = await claimant(world, '路人甲', '3号楼1单元104')
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/claims')
    expect(page.status).toBe(200)
    expect(page.html).toContain('待核实的房屋认证')
    expect(page.html).toContain('李小姐')
    expect(page.html).toContain('李阿姨') // the registered owner beside the claimant
    expect(page.html).toContain('3号楼1单元103')
    expect(page.html).toContain('138****0002')
    expect(page.html).not.toContain('13800000002')
    expect(page.html).not.toContain('<script')

    const action = '/console/claims/decide'
    const without = await browser.open(action, { form: { residentId: String(li.id), decision: 'approve' } })
    expect(without.status).toBe(403)
    const [household103] = await claimsOf(li.id)
    expect(household103!.verifiedAt).toBeNull()

    const approved = await browser.post(page, action, decide(household103!, 'approve'))
    expect(approved.status).toBe(303)
    expect(approved.location).toBe('/console/claims?ok=approved')
    const [verified] = await claimsOf(li.id)
    expect(verified!.verifiedAt).not.toBeNull()
    expect(verified!.verifiedBy).toBe(world.officer.staff.id)
    const told = await deps.db.select().from(outbox).where(eq(outbox.conversationId, li.wechatId))
    expect(told.some((m) => m.text.includes('已通过核实'))).toBe(true)
    const after = await browser.open(approved.location!)
    expect(after.html).toContain('已通过认证')
    expect(after.html).not.toContain('李小姐')

    // Twice is a 409 on the page.
    const twice = await browser.post(after, action, decide(household103!, 'approve'))
    expect(twice.status).toBe(409)
    expect(twice.html).toContain('已经认证过')

    const [claim104] = await claimsOf(stranger.id)
    const rejected = await browser.post(after, action, decide(claim104!, 'reject', '与登记业主不符'))
    expect(rejected.status).toBe(303)
    expect(
      await deps.db
        .select()
        .from(residentHouseholds)
        .where(
          and(
            eq(residentHouseholds.residentId, stranger.id),
            eq(residentHouseholds.householdId, claim104!.householdId),
          ),
        ),
    ).toHaveLength(0)
    const toldNo = await deps.db.select().from(outbox).where(eq(outbox.conversationId, stranger.wechatId))
    expect(toldNo.some((m) => m.text.includes('未通过核实：与登记业主不符'))).toBe(true)

    const bad = await browser.post(after, action, { residentId: 'x', householdId: '1', decision: 'approve' })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('请刷新页面后重试')
  })

  it("keeps claims to officers in scope: another street's officer sees none and cannot decide; property staff are refused", async () => {
    const world = await setup()
    const who = await claimant(world, '钱先生', '5号楼1单元102')
    const [claim] = await claimsOf(who.id)
    const elsewhere = await makeWorld(deps)
    const outsider = await login(elsewhere.officer.token)
    const page = await outsider.open('/console/claims')
    expect(page.status).toBe(200)
    expect(page.html).not.toContain('钱先生')
    const refused = await outsider.open('/console/claims/decide', {
      form: { _csrf: csrfOf(page.html, '/console/logout'), ...decide(claim!, 'approve') },
    })
    expect(refused.status).toBe(403)
    expect(refused.html).toContain('不在您的管辖范围内')
    const [still] = await claimsOf(who.id)
    expect(still!.verifiedAt).toBeNull()

    const theirs = await (await loginPropertyStaff(world.xiaoqu.id)).open('/console/claims')
    expect(theirs.status).toBe(403)
    expect(theirs.html).not.toContain('钱先生')
  })

  /** The creation form's fields for a 3号楼 vote on 加装电梯, open now until Thursday 18:00. */
  const newCampaign = (xiaoquId: number) => ({
    xiaoquId: String(xiaoquId),
    building: '3',
    unit: '',
    matter: 'rebuild',
    question: '是否同意3号楼加装电梯（控制台发起）',
    opensAt: '2026-03-02T10:00',
    closesAt: '2026-03-05T18:00',
    projectNumber: '',
  })

  it('creates a campaign from the console with the matter’s rule; it opens and takes a paper ballot', async () => {
    const world = await setup()
    const browser = await login(world.officer.token)
    const list = await browser.open('/console/campaigns')
    expect(list.html).toContain('发起征询')
    expect(list.html).toContain(`<option value="${world.xiaoqu.id}">${world.xiaoqu.name}`)
    expect(list.html).toContain('（七）改建、重建建筑物及其附属设施（如加装电梯）</option>')

    const created = await browser.post(list, '/console/campaigns', newCampaign(world.xiaoqu.id))
    expect(created.status, created.html).toBe(303)
    const z = /^\/console\/campaigns\/(Z\d+)\?ok=created$/.exec(created.location ?? '')?.[1]
    expect(z, created.location ?? '').toBeDefined()
    const row = await campaignRow(z!)
    expect(row).toMatchObject({
      xiaoquId: world.xiaoqu.id,
      scopeName: `${world.xiaoqu.name} 3号楼`,
      matter: 'rebuild',
      question: '是否同意3号楼加装电梯（控制台发起）',
      localRule: null,
      createdBy: world.officer.staff.id,
      status: 'scheduled',
    })
    // 加装电梯 is item (七): three quarters of the participating area and owners, with a 2/3 quorum.
    expect(row.rule).toEqual(legalRule('rebuild'))
    expect(row.rule.passArea).toEqual({ num: 3, den: 4, inclusive: true })
    expect(row.opensAt).toEqual(shanghai('2026-03-02T10:00:00'))
    expect(row.closesAt).toEqual(shanghai('2026-03-05T18:00:00'))
    const audits = await deps.db.select().from(auditLog).where(eq(auditLog.entityId, z!))
    expect(audits.map((a) => a.action)).toContain('campaign.create')
    const page = await browser.open(created.location!)
    expect(page.html).toContain('征询已创建')
    expect(page.html).toContain('同意的专有部分面积达参与表决面积的3/4以上')

    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    expect((await campaignRow(z!)).status).toBe('open')
    const open = await browser.open(`/console/campaigns/${z}`)
    const entered = await browser.post(open, `/console/campaigns/${z}/ballots`, paperBallot)
    expect(entered.status, entered.html).toBe(303)
    const [ballot] = await ballotsOf(z!)
    expect(ballot).toMatchObject({ choice: '同意', channel: 'paper', enteredBy: world.officer.staff.id })
  })

  it('refuses a bad campaign on the form with the reason, keeping what was typed, creating nothing', async () => {
    const world = await setup()
    const browser = await login(world.officer.token)
    const list = await browser.open('/console/campaigns')
    const count = async () =>
      (await deps.db.select().from(campaigns).where(eq(campaigns.xiaoquId, world.xiaoqu.id))).length
    const base = newCampaign(world.xiaoqu.id)
    for (const [fields, status, message] of [
      [{ matter: '' }, 400, '请选择表决事项'],
      [{ matter: 'whatever' }, 400, '请选择表决事项'],
      [{ xiaoquId: '' }, 400, '请选择小区'],
      [{ question: ' ' }, 400, '请填写征询事项'],
      [{ opensAt: '下周一' }, 400, '请填写开始投票时间'],
      [{ closesAt: '2026-03-01T18:00' }, 400, '截止时间必须晚于开始时间'],
      [{ unit: '1', building: '' }, 400, '按单元征询时请同时给出楼栋'],
      [{ building: '9' }, 404, '没有9号楼'],
      [{ projectNumber: 'abc' }, 400, '项目编号形如 P101'],
      [{ localRule: '更严' }, 400, '的本地规则。可选'],
    ] as const) {
      const refused = await browser.post(list, '/console/campaigns', { ...base, ...fields })
      expect(refused.status, JSON.stringify(fields)).toBe(status)
      expect(refused.html).toContain(message)
      // What was typed stays in the form.
      if (!('question' in fields)) {
        expect(refused.html).toContain('是否同意3号楼加装电梯（控制台发起）</textarea>')
      }
    }
    expect(await count()).toBe(0)

    // A xiaoqu outside the officer's scope.
    const elsewhere = await makeWorld(deps)
    const outside = await browser.post(list, '/console/campaigns', {
      ...base,
      xiaoquId: String(elsewhere.xiaoqu.id),
    })
    expect(outside.status).toBe(403)
    expect(outside.html).toContain('不在您的管辖范围内')
    // Property staff see no form and cannot post one.
    const property = await loginPropertyStaff(world.xiaoqu.id)
    const theirs = await property.open('/console/campaigns')
    expect(theirs.html).not.toContain('发起征询')
    const posted = await property.open('/console/campaigns', {
      form: { _csrf: csrfOf(theirs.html, '/console/logout'), ...base },
    })
    expect(posted.status).toBe(403)
    expect(await count()).toBe(0)
  })

  it('puts each claim in a card with 通过 and 不通过 inside it (a phone reaches both)', async () => {
    const world = await setup()
    const who = await claimant(world, '孙先生', '5号楼1单元101')
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/claims')
    expect(page.html).toContain('<table class="cards" aria-label="待核实的房屋认证">')
    const cell = /<td data-label="核实" class="wide">([\s\S]*?)<\/td>/.exec(page.html)?.[1] ?? ''
    expect(cell).toContain('>通过</button>')
    expect(cell).toContain('>不通过</button>')
    expect(cell).toContain('name="note"')
    expect(page.html).toContain('<td data-label="申请人">孙先生</td>')
    const [claim] = await claimsOf(who.id)
    const done = await browser.post(page, '/console/claims/decide', decide(claim!, 'approve'))
    expect(done.status).toBe(303)
  })

  it('sends the new pages to the login page without a session', async () => {
    const anonymous = new Browser(app)
    for (const path of ['/console/campaigns', '/console/campaigns/Z1', '/console/claims']) {
      const page = await anonymous.open(path)
      expect(page.status, path).toBe(303)
      expect(page.location, path).toMatch(/^\/console\/login/)
    }
    const csv = await anonymous.open('/console/campaigns/Z1/ballots.csv')
    expect(csv.status).toBe(303)
  })
})
