import { and, eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createXiaoqu } from '../../core/areas/areas.usecases'
import * as repo from '../../core/requests/requests.repository'
import {
  acceptRequest,
  askWithdrawal,
  fileRequest,
  resolveRequest,
  urgeRequest,
} from '../../core/requests/requests.usecases'
import { auditLog, outbox, requestEvents, requests, residents } from '../../db/schema'
import { type Browser, type ConsoleApp, consoleSuite, csrfOf, type Page } from '../support/console'
import type { TestDeps } from '../support/deps'
import { fileIn as fileInWorld, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const shanghai = (local: string) => new Date(`${local}+08:00`)

describe.each(drivers)('console: inbox, filters, bulk assign and request actions on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  type World = Awaited<ReturnType<typeof makeWorld>>
  const fileIn = (world: World, text?: string) => fileInWorld(deps, world, text)
  const requestRow = async (number: string) =>
    (await deps.db.select().from(requests).where(eq(requests.number, number)))[0]!
  const auditOf = (action: string, numbers: string[]) =>
    deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, action), inArray(auditLog.entityId, numbers)))

  /** A form posted the way a browser sends checkboxes: one field name, many values. */
  async function postPairs(browser: Browser, page: Page, action: string, pairs: [string, string][]) {
    const body = new URLSearchParams([['_csrf', csrfOf(page.html, action)], ...pairs])
    const res = await app.request(`http://localhost${action}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
      body: body.toString(),
    })
    return { status: res.status, location: res.headers.get('location'), html: await res.text() }
  }

  /** The request numbers a page links to, in the order shown. */
  const linked = (html: string) => [
    ...new Set([...html.matchAll(/href="\/console\/requests\/(Q\d+)"/g)].map((m) => m[1]!)),
  ]
  /** The numbers of the filtered list: what follows its heading. */
  const listed = (html: string) => linked(html.slice(html.indexOf('aria-label="诉求列表"')))

  /** A street with two xiaoqu: 楼道灯 and 停车 in the first, a drain in the second; another street's 楼道灯. */
  async function setup() {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    const second = await createXiaoqu(
      deps.db,
      world.admin,
      { communityId: world.community.id, name: uniqueId('二小区') },
      deps.clock.now(),
    )
    const light = await fileIn(world, '3号楼楼道灯坏了')
    const parking = await fileIn(world, '小区停车位被外来车辆占用')
    const drain = await deps.db.transaction(async (tx) => {
      const filed = await fileRequest(
        { ...deps, db: tx },
        { text: '5号楼下水道堵了', xiaoquId: second.id, channel: 'wechat', resident: world.resident },
      )
      return filed.request
    })
    const theirs = await fileIn(elsewhere, '3号楼楼道灯坏了')
    return { world, elsewhere, second, light, parking, drain, theirs }
  }

  it('filters the inbox by keyword, number, category, xiaoqu, status, overdue and assignee, never past the scope', async () => {
    const s = await setup()
    await deps.db.transaction((tx) =>
      acceptRequest({ ...deps, db: tx }, s.world.officer.actor, s.parking.number),
    )
    const browser = await login(s.world.officer.token)
    const open = async (query: string) => {
      const page = await browser.open(`/console?${query}`)
      expect(page.status, page.html.slice(0, 300)).toBe(200)
      return page
    }
    const inbox = await open('')
    expect(listed(inbox.html).sort()).toEqual([s.light, s.parking, s.drain].map((r) => r.number).sort())
    expect(inbox.html).not.toContain(s.theirs.number)
    // The filter form offers this street's xiaoqu only, and 未分配 among the holders.
    const places = /<select name="xiaoquId">([\s\S]*?)<\/select>/.exec(inbox.html)?.[1] ?? ''
    expect(places).toContain(`<option value="${s.second.id}">`)
    expect(places).not.toContain(`<option value="${s.elsewhere.xiaoqu.id}">`)
    expect(inbox.html).toContain('<option value="none">未分配</option>')

    const q = (text: string) => `q=${encodeURIComponent(text)}`
    expect(listed((await open(q('楼道灯'))).html)).toEqual([s.light.number])
    expect(listed((await open(q(s.drain.number))).html)).toEqual([s.drain.number])
    expect(listed((await open(q(s.theirs.number))).html)).toEqual([])
    expect(listed((await open('category=%E7%85%A7%E6%98%8E')).html)).toEqual([s.light.number]) // 照明
    expect(listed((await open(`xiaoquId=${s.second.id}`)).html)).toEqual([s.drain.number])
    expect(listed((await open(`xiaoquId=${s.elsewhere.xiaoqu.id}`)).html)).toEqual([])
    expect(listed((await open('status=accepted')).html)).toEqual([s.parking.number])
    expect(listed((await open(`assignee=${s.world.officer.staff.id}`)).html)).toEqual([s.parking.number])
    expect(listed((await open('assignee=none')).html).sort()).toEqual([s.light.number, s.drain.number].sort())
    expect(listed((await open('overdue=true')).html)).toEqual([])
    // Combined: AND; blank fields (a form's 全部) are no filter.
    const both = await open(`${q('楼道灯')}&category=%E7%85%A7%E6%98%8E&status=&overdue=&assignee=none`)
    expect(listed(both.html)).toEqual([s.light.number])
    expect(both.html).toContain('value="楼道灯"')
    expect(listed((await open(`${q('楼道灯')}&xiaoquId=${s.second.id}`)).html)).toEqual([])

    deps.clock.advance(30 * 86_400_000)
    expect(listed((await open('overdue=true')).html).sort()).toEqual(
      [s.light, s.parking, s.drain].map((r) => r.number).sort(),
    )
    expect(listed((await open('overdue=false')).html)).toEqual([])

    const bad = await browser.open('/console?status=lost&category=%E7%81%AB%E6%98%9F')
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('筛选条件有误')
    expect(bad.html).toContain('分类应为')
  })

  it('filters the inbox and the API to what residents asked: 居民申请撤回 and 居民催办过', async () => {
    const s = await setup()
    const ask = (number: string, what: 'withdraw' | 'urge') =>
      deps.db.transaction(async (tx) => {
        const ctx = { ...deps, db: tx }
        const row = (await repo.findRequestByNumber(tx, number, true))!
        const context = await repo.loadRequestContext(tx, row)
        return what === 'withdraw'
          ? askWithdrawal(ctx, s.world.resident, row, context, '发错了')
          : urgeRequest(ctx, s.world.resident, row, context, '怎么还没修')
      })
    expect(await ask(s.light.number, 'withdraw')).toBe('asked')
    expect(await ask(s.drain.number, 'urge')).toBe('urged')
    const browser = await login(s.world.officer.token)
    const inbox = await browser.open('/console')
    const flags = /<select name="flag">([\s\S]*?)<\/select>/.exec(inbox.html)?.[1] ?? ''
    expect(flags).toContain('<option value="withdrawal">居民申请撤回</option>')
    expect(flags).toContain('<option value="urged">居民催办过</option>')
    expect(listed((await browser.open('/console?flag=withdrawal')).html)).toEqual([s.light.number])
    const urged = await browser.open('/console?flag=urged')
    expect(listed(urged.html)).toEqual([s.drain.number])
    // The choice stays selected, and the actions' forms come back to the same list.
    expect(urged.html).toContain('<option value="urged" selected="">居民催办过</option>')
    expect(urged.html).toContain('name="back" value="/console?flag=urged"')
    const bad = await browser.open('/console?flag=everything')
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('flag 应为 withdrawal（居民申请撤回）或 urged（居民催办过）')

    const api = async (query: string) => {
      const res = await app.request(`/api/v1/requests?${query}`, {
        headers: { authorization: `Bearer ${s.world.officer.token}` },
      })
      return { status: res.status, body: (await res.json()) as { items?: { number: string }[] } }
    }
    expect((await api('flag=withdrawal')).body.items?.map((i) => i.number)).toEqual([s.light.number])
    expect((await api('flag=urged&status=submitted')).body.items?.map((i) => i.number)).toEqual([
      s.drain.number,
    ])
    const wrong = await api('flag=everything')
    expect(wrong.status).toBe(400)
    expect(JSON.stringify(wrong.body)).toContain('flag 应为')
    // Once resolved, a request is no longer waiting on what was asked.
    await deps.db.transaction((tx) =>
      resolveRequest({ ...deps, db: tx }, s.world.officer.actor, s.light.number, '居民撤回'),
    )
    expect(listed((await browser.open('/console?flag=withdrawal')).html)).toEqual([])
  })

  it('pages back with the filters kept in the 更早 link', async () => {
    const world = await makeWorld(deps)
    const filed = [] as string[]
    for (let n = 1; n <= 32; n++) filed.push((await fileIn(world, `${n}号楼楼道灯坏了`)).number)
    await fileIn(world, '小区停车位被占用')
    const browser = await login(world.officer.token)
    const first = await browser.open(`/console?q=${encodeURIComponent('楼道灯')}`)
    expect(listed(first.html)).toHaveLength(30)
    const older = /href="(\/console\?[^"]*before=\d+[^"]*)">更早的诉求/.exec(first.html)?.[1]
    expect(older).toBeDefined()
    const href = older!.replaceAll('&amp;', '&')
    expect(new URL(href, 'http://x').searchParams.get('q')).toBe('楼道灯')
    // Both the link and the filter form land at the list, past the 待办 above it.
    expect(new URL(href, 'http://x').hash).toBe('#list')
    expect(first.html).toContain('<form method="get" action="/console#list"')
    expect(first.html).toContain('<h2 id="list">符合条件的诉求</h2>')
    const second = await browser.open(href)
    expect(listed(second.html)).toEqual([filed[1], filed[0]])
  })

  it('acts on a row from the inbox (受理, 办结, 转派) and comes back to the same filtered inbox', async () => {
    const world = await makeWorld(deps)
    const colleague = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      xiaoquId: world.xiaoqu.id,
    })
    const first = await fileIn(world, '3号楼楼道灯坏了')
    const second = await fileIn(world, '4号楼楼道灯也坏了')
    const browser = await login(world.officer.token)
    const here = `/console?q=${encodeURIComponent('楼道灯')}`
    const inbox = await browser.open(here)
    const back = '/console?q=%E6%A5%BC%E9%81%93%E7%81%AF'
    expect(inbox.html).toContain(`name="back" value="${back}"`)

    const accepted = await browser.post(inbox, `/console/requests/${first.number}/accept`, { back })
    expect(accepted.status).toBe(303)
    expect(accepted.location).toBe(`${back}&ok=accepted`)
    expect((await requestRow(first.number)).status).toBe('accepted')
    const after = await browser.open(accepted.location!)
    expect(after.html).toContain('已受理，已告知居民。')

    const resolved = await browser.post(after, `/console/requests/${first.number}/resolve`, {
      back,
      note: '已更换灯泡',
    })
    expect(resolved.location).toBe(`${back}&ok=resolved`)
    expect(await requestRow(first.number)).toMatchObject({ status: 'resolved', resolutionNote: '已更换灯泡' })

    // The row's 转派 offers whom assignmentTargets allows; a refusal shows on the inbox with the number.
    expect(after.html).toContain(`<option value="${colleague.staff.id}">`)
    const assigned = await browser.post(after, `/console/requests/${second.number}/assign`, {
      back,
      staffId: String(colleague.staff.id),
    })
    expect(assigned.location).toBe(`${back}&ok=assigned`)
    expect((await requestRow(second.number)).assigneeStaffId).toBe(colleague.staff.id)
    const again = await browser.post(after, `/console/requests/${first.number}/resolve`, {
      back,
      note: '再办',
    })
    expect(again.status).toBe(409)
    expect(again.html).toContain(`${first.number}：诉求 ${first.number} 当前状态为`)
    expect(again.html).toContain('aria-label="诉求列表"')

    // A `back` that is not the inbox is ignored: the answer is the request's page, never another site.
    const elsewhere = await browser.post(after, `/console/requests/${second.number}/accept`, {
      back: 'https://evil.example/console',
    })
    expect(elsewhere.location).toBe(`/console/requests/${second.number}?ok=accepted`)
  })

  it('bulk-assigns the checked requests through assignRequest, each audited, and names the ones it could not', async () => {
    const world = await makeWorld(deps)
    const colleague = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      xiaoquId: world.xiaoqu.id,
      wechat: true,
    })
    const three = [
      await fileIn(world, '3号楼楼道灯坏了'),
      await fileIn(world, '5号楼下水道堵了'),
      await fileIn(world, '小区停车位被占用'),
    ].map((r) => r.number)
    const browser = await login(world.officer.token)
    const inbox = await browser.open('/console')
    for (const n of three) expect(inbox.html).toContain(`name="number" value="${n}" form="bulk-assign"`)
    expect(inbox.html).toContain(`<option value="${colleague.staff.id}">`)

    const done = await postPairs(browser, inbox, '/console/requests/bulk-assign', [
      ...three.map((n): [string, string] => ['number', n]),
      ['staffId', String(colleague.staff.id)],
      ['back', '/console'],
    ])
    expect(done.status).toBe(303)
    expect(done.location).toBe('/console?ok=bulk_assigned')
    for (const n of three) expect((await requestRow(n)).assigneeStaffId).toBe(colleague.staff.id)
    expect(await auditOf('request.assign', three)).toHaveLength(3)
    const toColleague = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, colleague.staff.wechatId!))
    expect(toColleague).toHaveLength(3)

    // One resolved, one of another street: those two are named with why, the third is assigned.
    const elsewhere = await makeWorld(deps)
    const theirs = await fileIn(elsewhere)
    await deps.db.transaction((tx) =>
      resolveRequest({ ...deps, db: tx }, world.officer.actor, three[0]!, '已修好'),
    )
    const mixed = await postPairs(browser, inbox, '/console/requests/bulk-assign', [
      ['number', three[0]!],
      ['number', theirs.number],
      ['number', three[1]!],
      ['staffId', String(world.officer.staff.id)],
    ])
    expect(mixed.status).toBe(200)
    expect(mixed.html).toContain(`已转派 1 件：${three[1]}`)
    expect(mixed.html).toContain('以下 2 件未能转派')
    expect(mixed.html).toContain(`${three[0]}（诉求 ${three[0]} 当前状态为`)
    expect(mixed.html).toContain(`${theirs.number}（`)
    expect((await requestRow(three[1]!)).assigneeStaffId).toBe(world.officer.staff.id)
    expect((await requestRow(theirs.number)).assigneeStaffId).toBeNull()

    const none = await postPairs(browser, inbox, '/console/requests/bulk-assign', [
      ['staffId', String(colleague.staff.id)],
    ])
    expect(none.status).toBe(400)
    expect(none.html).toContain('请先在列表中勾选要转派的诉求')
  })

  it('files a request for a resident who phoned: channel phone, their name and phone, the officers told', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const inbox = await browser.open('/console')
    expect(inbox.html).toContain('href="/console/requests/new"')
    const form = await browser.open('/console/requests/new')
    expect(form.status).toBe(200)
    expect(form.html).toContain(`<option value="${world.xiaoqu.id}">`)

    const fields = {
      channel: 'phone',
      xiaoquId: String(world.xiaoqu.id),
      text: '2号楼电梯困人，已经十分钟了',
      location: '2号楼1单元',
      residentName: '刘奶奶',
      phone: '1380013',
    }
    const badPhone = await browser.post(form, '/console/requests/new', fields)
    expect(badPhone.status).toBe(400)
    expect(badPhone.html).toContain('联系电话应为 11 位手机号或座机号')
    expect(badPhone.html).toContain('2号楼电梯困人') // what was typed is kept
    const noPlace = await browser.post(form, '/console/requests/new', { ...fields, xiaoquId: '' })
    expect(noPlace.html).toContain('请选择小区')

    const filed = await browser.post(form, '/console/requests/new', { ...fields, phone: '13800138000' })
    expect(filed.status).toBe(303)
    const number = /\/console\/requests\/(Q\d+)\?ok=filed/.exec(filed.location ?? '')?.[1]
    expect(number).toBeDefined()
    const row = await requestRow(number!)
    expect(row).toMatchObject({
      channel: 'phone',
      xiaoquId: world.xiaoqu.id,
      location: '2号楼1单元',
      contactPhone: '13800138000',
      groupId: null,
    })
    const [resident] = await deps.db.select().from(residents).where(eq(residents.id, row.residentId!))
    expect(resident).toMatchObject({ name: '刘奶奶', phone: '13800138000' })
    expect(await auditOf('request.create', [number!])).toHaveLength(1)
    const toOfficers = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, world.officersRoomId))
    expect(toOfficers.some((m) => m.text.includes(number!))).toBe(true)
    const page = await browser.open(filed.location!)
    expect(page.html).toContain('已登记诉求')
    expect(page.html).toContain('电话')
    // Phoned in: nowhere to reply to.
    expect(page.html).not.toContain(`action="/console/requests/${number}/reply"`)

    // Out of scope: another street's xiaoqu is refused.
    const elsewhere = await makeWorld(deps)
    const theirs = await browser.post(form, '/console/requests/new', {
      ...fields,
      xiaoquId: String(elsewhere.xiaoqu.id),
      phone: '13800138001',
    })
    expect(theirs.status).toBe(403)
  })

  it('reclassifies and extends from the request page: the stored request changes, and both are audited', async () => {
    const world = await makeWorld(deps)
    const request = await fileIn(world, '3号楼楼道灯坏了')
    const browser = await login(world.officer.token)
    const path = `/console/requests/${request.number}`
    const page = await browser.open(path)
    expect(page.html).toContain(`action="${path}/reclassify"`)
    expect(page.html).toContain(`action="${path}/extend"`)

    const noReason = await browser.post(page, `${path}/reclassify`, { category: '电力', reason: '' })
    expect(noReason.status).toBe(400)
    expect(noReason.html).toContain('请写明重新分类的原因')
    const badCategory = await browser.post(page, `${path}/reclassify`, { category: '火星', reason: '错了' })
    expect(badCategory.status).toBe(400)
    expect(badCategory.html).toContain('分类应为')
    const reclassified = await browser.post(page, `${path}/reclassify`, {
      category: '电力',
      urgency: 'urgent',
      reason: '是整栋楼停电',
    })
    expect(reclassified.status).toBe(303)
    expect(reclassified.location).toBe(`${path}?ok=reclassified`)
    const changed = await requestRow(request.number)
    expect(changed).toMatchObject({ category: '电力', urgency: 'urgent' })
    expect(changed.resolutionDueAt.getTime()).toBeLessThan(request.resolutionDueAt.getTime())
    expect(await auditOf('request.reclassify', [request.number])).toHaveLength(1)

    const nothing = await browser.post(page, `${path}/extend`, { resolutionDueAt: '', reason: '等配件' })
    expect(nothing.status).toBe(400)
    expect(nothing.html).toContain('请填写新的办结时限')
    const extended = await browser.post(page, `${path}/extend`, {
      resolutionDueAt: '2026-03-20T18:00',
      reason: '等供电公司配件',
    })
    expect(extended.status).toBe(303)
    const moved = await requestRow(request.number)
    expect(moved.resolutionDueAt.toISOString()).toBe(shanghai('2026-03-20T18:00:00').toISOString())
    expect(await auditOf('request.extend', [request.number])).toHaveLength(1)
    const after = await browser.open(extended.location!)
    expect(after.html).toContain('已延期')
    expect(after.html).toContain('等供电公司配件')
    expect(after.html).toContain('重新分类')
  })

  it('replies to the group: one outbox row to the request’s group, an event and an audit row', async () => {
    const world = await makeWorld(deps)
    const request = await fileIn(world, '3号楼楼道灯坏了')
    const browser = await login(world.officer.token)
    const path = `/console/requests/${request.number}`
    const page = await browser.open(path)
    expect(page.html).toContain('发到该诉求所在的居民群')

    const empty = await browser.post(page, `${path}/reply`, { text: '  ' })
    expect(empty.status).toBe(400)
    expect(empty.html).toContain('请填写要回复居民的内容')
    const sent = await browser.post(page, `${path}/reply`, { text: '电工明天上午来修，请留意。' })
    expect(sent.status).toBe(303)
    expect(sent.location).toBe(`${path}?ok=replied`)
    const rows = await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.roomId))
    const replies = rows.filter((m) => m.text.includes('电工明天上午来修'))
    expect(replies).toHaveLength(1)
    expect(replies[0]).toMatchObject({ isRoom: 1 })
    expect(replies[0]!.text).toContain(request.number)
    expect(replies[0]!.text).toContain(world.officer.staff.name)
    expect(replies[0]!.mentions).toEqual([{ id: world.resident.wechatId, name: '张桂兰' }])
    const events = await deps.db.select().from(requestEvents).where(eq(requestEvents.requestId, request.id))
    expect(events.filter((e) => e.kind === ('replied' as never))).toHaveLength(1)
    expect(await auditOf('request.reply', [request.number])).toHaveLength(1)
    const after = await browser.open(sent.location!)
    expect(after.html).toContain('回复居民')
    expect(after.html).toContain('电工明天上午来修')

    // An officer of another street may neither see nor reply.
    const stranger = await login((await makeWorld(deps)).officer.token)
    const theirView = await stranger.open(path)
    expect(theirView.status).toBe(403)
    expect(theirView.html).toContain(`诉求 ${request.number} 不在您的管辖范围内`)
    const theirReply = await stranger.open(`${path}/reply`, {
      form: { _csrf: csrfOf(theirView.html, '/console/logout'), text: '越权回复' },
    })
    expect(theirReply.status).toBe(403)
    const after2 = await deps.db.select().from(outbox).where(eq(outbox.conversationId, world.roomId))
    expect(after2.some((m) => m.text.includes('越权回复'))).toBe(false)
  })

  it('shows property staff only what they hold, and 超时 as cards', async () => {
    const world = await makeWorld(deps)
    const held = await fileIn(world, '3号楼楼道灯坏了')
    const other = await fileIn(world, '3号楼楼道灯又坏了')
    const property = await loginPropertyStaff(world.xiaoqu.id)
    const officer = await login(world.officer.token)
    const inbox = await officer.open('/console')
    const propertyId = /<option value="(\d+)">物业_[^<]*（物业人员）<\/option>/.exec(inbox.html)?.[1]
    expect(propertyId).toBeDefined()
    const assigned = await officer.post(inbox, `/console/requests/${held.number}/assign`, {
      staffId: propertyId!,
      back: '/console',
    })
    expect(assigned.status).toBe(303)
    const theirs = await property.open(`/console?q=${encodeURIComponent('楼道灯')}`)
    expect(listed(theirs.html)).toEqual([held.number])
    expect(theirs.html).not.toContain(other.number)

    deps.clock.advance(30 * 86_400_000)
    const overdue = await officer.open('/console/overdue')
    expect(overdue.status).toBe(200)
    expect(overdue.html).toContain('<table class="cards" aria-label="超时诉求">')
    expect(overdue.html).toContain('<table class="cards" aria-label="超时任务">')
    expect(overdue.html).toContain(`data-label="承办人">物业_`)
    expect(overdue.html).toContain(`data-label="承办人">未指定`)
  })

  it('API: GET /api/v1/requests filters by q, category, xiaoqu and assignee; POST …/reply queues the answer', async () => {
    const s = await setup()
    const get = async (query: string, token = s.world.officer.token) => {
      const res = await app.request(`/api/v1/requests?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      return {
        status: res.status,
        body: (await res.json()) as { items?: { number: string }[]; error?: unknown },
      }
    }
    const numbers = (body: { items?: { number: string }[] }) => (body.items ?? []).map((i) => i.number).sort()
    const both = await get(`q=${encodeURIComponent('楼道灯')}&category=${encodeURIComponent('照明')}`)
    expect(both.status).toBe(200)
    expect(numbers(both.body)).toEqual([s.light.number])
    expect(numbers((await get(`q=${s.drain.number}`)).body)).toEqual([s.drain.number])
    expect(numbers((await get('assignee=none')).body)).toEqual(
      [s.light, s.parking, s.drain].map((r) => r.number).sort(),
    )
    expect(numbers((await get(`xiaoquId=${s.elsewhere.xiaoqu.id}`)).body)).toEqual([])
    expect(numbers((await get(`q=${encodeURIComponent('楼道灯')}`, s.elsewhere.officer.token)).body)).toEqual(
      [s.theirs.number],
    )
    const bad = await get(`category=${encodeURIComponent('火星')}&assignee=someone`)
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('分类应为')

    const reply = await app.request(`/api/v1/requests/${s.light.number}/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.world.officer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '已派电工' }),
    })
    expect(reply.status).toBe(200)
    expect(await reply.json()).toEqual({ number: s.light.number, sentTo: 'group' })
    const queued = await deps.db.select().from(outbox).where(eq(outbox.conversationId, s.world.roomId))
    expect(queued.filter((m) => m.text.includes('已派电工'))).toHaveLength(1)

    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>
    }
    const params = doc.paths['/api/v1/requests']?.get?.parameters?.map((p) => p.name) ?? []
    for (const name of ['q', 'category', 'xiaoquId', 'status', 'overdue', 'assignee', 'cursor']) {
      expect(params).toContain(name)
    }
  })
})
