import { and, asc, eq, like } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { addRooms } from '../../core/areas/areas.usecases'
import { storeAttachment } from '../../core/notices/attachments'
import { createBroadcast } from '../../core/notices/broadcast.usecases'
import { advanceNotices } from '../../core/notices/lifecycle'
import {
  attachments,
  chatGroups,
  constructionPhases,
  constructionSchedules,
  feeNotices,
  notices,
  outbox,
  publicities,
} from '../../db/schema'
import { say } from '../support/chat'
import { type Browser, type ConsoleApp, consoleSuite, csrfOf, type Page } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const png = () =>
  new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])], '改造图纸.png', {
    type: 'image/png',
  })
const pdf = () =>
  new File([new TextEncoder().encode('%PDF-1.4\n%test\n')], '设计说明.pdf', { type: 'application/pdf' })

describe.each(drivers)('console: notices on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  /** A world whose xiaoqu has three bound groups (two residents', one building), 1号楼 and 2号楼, a community worker. */
  async function setup() {
    const world = await makeWorld(deps)
    await deps.db.insert(chatGroups).values(
      [
        ['二群', 'residents'],
        ['1号楼群', 'building'],
      ].map(([topic, kind]) => ({
        roomId: `${uniqueId('room')}@chatroom`,
        topic: topic!,
        kind: kind as 'residents' | 'building',
        xiaoquId: world.xiaoqu.id,
        scopePath: world.xiaoqu.path,
        createdAt: deps.clock.now(),
      })),
    )
    await addRooms(
      deps.db,
      world.admin,
      world.xiaoqu.id,
      [
        { building: '1号楼', unit: '1单元', room: '101' },
        { building: '2号楼', unit: '1单元', room: '101' },
      ],
      deps.clock.now(),
    )
    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    return { ...world, worker }
  }

  /** A multipart form with repeated fields (several attachment ids), as a browser posts it. */
  async function multipart(browser: Browser, page: Page, action: string, entries: [string, string | File][]) {
    const data = new FormData()
    data.append('_csrf', csrfOf(page.html, action))
    for (const [name, value] of entries) data.append(name, value)
    const res = await app.request(`http://localhost${action}`, {
      method: 'POST',
      headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: data,
    })
    return { status: res.status, location: res.headers.get('location'), html: await res.text() } as Page
  }

  const batchRows = (batch: string) =>
    deps.db.select().from(outbox).where(eq(outbox.batch, batch)).orderBy(asc(outbox.id))
  const numberOf = (location: string | null) => /\/console\/notices\/([BGSF]\d+)\?/.exec(location ?? '')![1]!

  // -------------------------------------------------------------------------------------------------------

  it('a community worker previews a broadcast with a PNG and a PDF, then sends it to every group in scope', async () => {
    const world = await setup()
    const browser = await login(world.worker.token)
    const list = await browser.open('/console/notices')
    expect(list.status).toBe(200)
    expect(list.html).toContain('href="/console/notices/broadcast/new"')
    expect(list.html).not.toContain('href="/console/notices/fee/new"')

    const form = await browser.open('/console/notices/broadcast/new')
    expect(form.status).toBe(200)
    expect(form.html).toContain(`value="a${world.community.id}"`)
    expect(form.html).toContain(`value="x${world.xiaoqu.id}"`)
    expect(form.html).not.toContain(`value="a${world.street.id}"`)
    expect(form.html).toContain('enctype="multipart/form-data"')
    const action = '/console/notices/broadcast/upload'
    const text = '周六上午9点至12点停水，请提前储水。'

    const first = await browser.upload(form, action, {
      target: `a${world.community.id}`,
      text,
      publishAt: '',
      action: 'preview',
      files: png(),
    })
    expect(first.status, first.html).toBe(200)
    expect(first.html).toContain(`<div class="preview">【公告】${text}\n——${world.community.name}</div>`)
    expect(first.html).toMatch(/将发到 <strong>[^<]+<\/strong> 的 <strong>3<\/strong> 个居民群/)
    const [stored] = await deps.db
      .select()
      .from(attachments)
      .where(and(eq(attachments.uploadedBy, world.worker.staff.id), eq(attachments.fileName, '改造图纸.png')))
    expect(stored!.mediaType).toBe('image/png')
    expect(first.html).toContain(`name="attachmentIds" value="${stored!.id}" checked`)
    // Nothing is queued by a preview.
    expect(await deps.db.select().from(notices).where(eq(notices.body, text))).toHaveLength(0)

    const second = await multipart(browser, first, action, [
      ['target', `a${world.community.id}`],
      ['text', text],
      ['action', 'preview'],
      ['attachmentIds', String(stored!.id)],
      ['files', pdf()],
    ])
    expect(second.status, second.html).toBe(200)
    const [drawing] = await deps.db
      .select()
      .from(attachments)
      .where(and(eq(attachments.uploadedBy, world.worker.staff.id), eq(attachments.fileName, '设计说明.pdf')))
    expect(drawing!.mediaType).toBe('application/pdf')
    expect(second.html).toContain('另有 2 个附件在文字之后发出')

    const sent = await multipart(browser, second, action, [
      ['target', `a${world.community.id}`],
      ['text', text],
      ['action', 'send'],
      ['attachmentIds', String(stored!.id)],
      ['attachmentIds', String(drawing!.id)],
    ])
    expect(sent.status, sent.html).toBe(303)
    const number = numberOf(sent.location)
    expect(sent.location).toBe(`/console/notices/${number}?ok=sent`)
    const [notice] = await deps.db.select().from(notices).where(eq(notices.number, number))
    expect(notice).toMatchObject({
      status: 'published',
      groupCount: 3,
      attachmentIds: [stored!.id, drawing!.id],
    })
    const rows = await batchRows(`notice:${number}`)
    const groups = await deps.db.select().from(chatGroups).where(eq(chatGroups.xiaoquId, world.xiaoqu.id))
    const rooms = groups.filter((g) => g.kind !== 'officers').map((g) => g.roomId)
    expect(rows).toHaveLength(9)
    for (const room of rooms) {
      const own = rows.filter((r) => r.conversationId === room)
      expect(own.map((r) => r.attachmentId)).toEqual([null, stored!.id, drawing!.id])
      expect(own[0]!.text).toBe(`【公告】${text}\n——${world.community.name}`)
    }

    const detail = await browser.open(sent.location!)
    expect(detail.status).toBe(200)
    expect(detail.html).toContain('已开始发送')
    expect(detail.html).toContain('已发 0 / 共 9')
    for (const topic of ['居民群', '二群', '1号楼群'])
      expect(detail.html).toContain(`<td data-label="群">${topic}</td>`)
    expect(detail.html).toContain(`href="/console/notices/attachments/${drawing!.id}"`)
    // A worker has no resend/drop: only admins settle messages.
    expect(detail.html).not.toContain('/resend')
    const file = await browser.open(`/console/notices/attachments/${drawing!.id}`)
    expect(file.status).toBe(200)
    expect(file.type).toBe('application/pdf')
    const listed = await browser.open('/console/notices')
    expect(listed.html).toContain(`href="/console/notices/${number}"`)
    expect(listed.html).toContain('已发 0 / 共 9')
  })

  it("refuses another street's attachment with a 403 page and queues nothing; bad input is a 400 on the form", async () => {
    const world = await setup()
    const other = await makeWorld(deps)
    const foreign = await storeAttachment(
      deps.db,
      other.officer.actor,
      { fileName: '别处图纸.png', data: Buffer.from(await png().arrayBuffer()) },
      deps.config.attachmentMaxBytes,
      deps.clock.now(),
    )
    const browser = await login(world.worker.token)
    const form = await browser.open('/console/notices/broadcast/new')
    const action = '/console/notices/broadcast/upload'
    const text = '这条公告带着别处的附件'
    for (const step of ['preview', 'send']) {
      const refused = await browser.upload(form, action, {
        target: `x${world.xiaoqu.id}`,
        text,
        action: step,
        attachmentIds: String(foreign.id),
      })
      expect(refused.status).toBe(403)
      expect(refused.html).toContain(`附件 ${foreign.id} 不在您的管辖范围内`)
      expect(refused.html).not.toContain('别处图纸.png')
      expect(refused.html).toContain(text)
    }
    expect(await deps.db.select().from(notices).where(eq(notices.body, text))).toHaveLength(0)
    expect(await deps.db.select().from(outbox).where(eq(outbox.attachmentId, foreign.id))).toHaveLength(0)

    const empty = await browser.upload(form, action, {
      target: `x${world.xiaoqu.id}`,
      text: ' ',
      action: 'send',
    })
    expect(empty.status).toBe(400)
    expect(empty.html).toContain('请填写公告内容')
    const long = await browser.upload(form, action, {
      target: `x${world.xiaoqu.id}`,
      text: '水'.repeat(2_001),
      action: 'preview',
    })
    expect(long.status).toBe(400)
    expect(long.html).toContain('不超过 2000 字')
    const nowhere = await browser.upload(form, action, { target: '', text, action: 'send' })
    expect(nowhere.status).toBe(400)
    expect(nowhere.html).toContain('请选择发到哪个社区、街道或小区')
    const badTime = await browser.upload(form, action, {
      target: `x${world.xiaoqu.id}`,
      text,
      publishAt: '明天',
      action: 'send',
    })
    expect(badTime.status).toBe(400)
    expect(badTime.html).toContain('定时发送时间的格式不对')
    const elsewhere = await browser.upload(form, action, {
      target: `x${other.xiaoqu.id}`,
      text,
      action: 'send',
    })
    expect(elsewhere.status).toBe(403)

    // Scheduled: stored, nothing queued until it is due.
    const later = await browser.upload(form, action, {
      target: `x${world.xiaoqu.id}`,
      text: '定时公告',
      publishAt: '2026-03-03T08:30',
      action: 'send',
    })
    expect(later.status, later.html).toBe(303)
    const number = numberOf(later.location)
    expect(later.location).toContain('?ok=scheduled')
    const [row] = await deps.db.select().from(notices).where(eq(notices.number, number))
    expect(row!.publishAt.toISOString()).toBe('2026-03-03T00:30:00.000Z')
    expect(await batchRows(`notice:${number}`)).toHaveLength(0)
    const page = await browser.open(`/console/notices/${number}`)
    expect(page.html).toContain('定时待发')
    const cancelled = await browser.post(page, `/console/notices/${number}/cancel`)
    expect(cancelled.status).toBe(303)
    expect((await deps.db.select().from(notices).where(eq(notices.number, number)))[0]!.status).toBe(
      'cancelled',
    )
  })

  it('a design publicity: preview, save with a PDF, review, publish; feedback shown, names hidden from property staff', async () => {
    const world = await setup()
    const browser = await login(world.officer.token)
    const form = await browser.open('/console/notices/publicity/new')
    expect(form.status).toBe(200)
    const action = '/console/notices/publicity/upload'
    const fields = {
      xiaoquId: String(world.xiaoqu.id),
      title: '综合整治设计方案',
      body: '外墙保温、增设电梯、雨污分流。',
      opensAt: '2026-03-03T09:00',
      closesAt: '2026-03-11T18:00',
    }
    const preview = await browser.upload(form, action, { ...fields, action: 'preview', files: pdf() })
    expect(preview.status, preview.html).toBe(200)
    expect(preview.html).toContain(`【设计方案公示 G…】${world.xiaoqu.name}：综合整治设计方案`)
    expect(preview.html).toContain('公示期：3月3日 09:00 至 3月11日 18:00')
    expect(preview.html).toMatch(/<strong>3<\/strong> 个居民群/)
    const [file] = await deps.db
      .select()
      .from(attachments)
      .where(
        and(eq(attachments.uploadedBy, world.officer.staff.id), eq(attachments.fileName, '设计说明.pdf')),
      )
    const short = await browser.upload(preview, action, {
      ...fields,
      closesAt: '2026-03-05T18:00',
      action: 'send',
    })
    expect(short.status).toBe(400)
    expect(short.html).toContain('公示期不少于')

    const saved = await browser.upload(preview, action, {
      ...fields,
      action: 'send',
      attachmentIds: String(file!.id),
    })
    expect(saved.status, saved.html).toBe(303)
    const number = numberOf(saved.location)
    const draft = await browser.open(saved.location!)
    expect(draft.html).toContain('草稿已保存')
    expect(draft.html).toContain(`【设计方案公示 ${number}】`)
    expect(draft.html).toContain('尚未记录')
    const refused = await browser.post(draft, `/console/notices/${number}/publish`)
    expect(refused.status).toBe(409)
    expect(refused.html).toContain('还没有责任规划师的审查记录')
    const reviewed = await browser.post(draft, `/console/notices/${number}/review`, {
      reviewedBy: '王规划师',
    })
    expect(reviewed.status, reviewed.html).toBe(303)
    const published = await browser.post(draft, `/console/notices/${number}/publish`)
    expect(published.status).toBe(303)
    const [row] = await deps.db.select().from(publicities).where(eq(publicities.number, number))
    expect(row).toMatchObject({ status: 'scheduled', reviewedBy: '王规划师', attachmentIds: [file!.id] })

    deps.clock.set(new Date('2026-03-03T09:00:00+08:00'))
    await advanceNotices(deps)
    const opened = await batchRows(`publicity:${number}:open`)
    expect(opened).toHaveLength(6)
    expect(opened.filter((r) => r.attachmentId === file!.id)).toHaveLength(3)
    const { reply } = await say(deps, {
      senderId: world.resident.wechatId!,
      senderName: '张桂兰',
      text: `意见 ${number} 希望保留楼下的晾衣架`,
      roomId: world.roomId,
    })
    expect(reply).toContain('已收到')

    const page = await browser.open(`/console/notices/${number}`)
    expect(page.html).toContain('公示中')
    expect(page.html).toContain('希望保留楼下的晾衣架')
    expect(page.html).toContain('张桂兰')
    expect(page.html).toContain('公示开始：')
    const property = await loginPropertyStaff(world.xiaoqu.id)
    const seen = await property.open(`/console/notices/${number}`)
    expect(seen.status).toBe(200)
    expect(seen.html).toContain('希望保留楼下的晾衣架')
    expect(seen.html).not.toContain('张桂兰')
    expect(seen.html).not.toContain(`/console/notices/${number}/review`)
  })

  it('a construction schedule in two phases: add a phase slot, preview, save, publish, move a phase', async () => {
    const world = await setup()
    const browser = await login(world.worker.token)
    const form = await browser.open('/console/notices/schedule/new')
    expect(form.status).toBe(200)
    expect(form.html).toContain('name="phase1.name"')
    expect(form.html).not.toContain('name="phase2.name"')
    const action = '/console/notices/schedule'
    const fields = {
      xiaoquId: String(world.xiaoqu.id),
      title: '综合整治施工安排',
      phaseCount: '2',
      'phase0.name': '外墙保温',
      'phase0.buildings': '1号楼',
      'phase0.impacts': '噪音',
      'phase0.startsAt': '2026-03-10T08:00',
      'phase0.endsAt': '2026-03-20T18:00',
      'phase1.name': '屋面防水',
      'phase1.buildings': '1号楼、2号楼',
      'phase1.startsAt': '2026-03-21T08:00',
      'phase1.endsAt': '2026-03-28T18:00',
    }
    const more = await browser.post(form, action, { ...fields, action: 'more' })
    expect(more.status).toBe(200)
    expect(more.html).toContain('name="phase2.name"')
    expect(more.html).toContain('value="外墙保温"')
    const preview = await browser.post(more, action, { ...fields, phaseCount: '3', action: 'preview' })
    expect(preview.status, preview.html).toBe(200)
    expect(preview.html).toContain(`【施工计划 S…】${world.xiaoqu.name}：综合整治施工安排`)
    expect(preview.html).toContain('1. 外墙保温（1号楼）3月10日 08:00 至 3月20日 18:00，影响：噪音')
    expect(preview.html).toContain('2. 屋面防水（1号楼、2号楼）')
    const unknown = await browser.post(preview, action, {
      ...fields,
      'phase1.buildings': '9号楼',
      action: 'send',
    })
    expect(unknown.status).toBe(400)
    expect(unknown.html).toContain('小区里没有这些楼：9号楼')

    const saved = await browser.post(preview, action, { ...fields, action: 'send' })
    expect(saved.status, saved.html).toBe(303)
    const number = numberOf(saved.location)
    const [schedule] = await deps.db
      .select()
      .from(constructionSchedules)
      .where(eq(constructionSchedules.number, number))
    const phases = () =>
      deps.db
        .select()
        .from(constructionPhases)
        .where(eq(constructionPhases.scheduleId, schedule!.id))
        .orderBy(asc(constructionPhases.seq))
    expect((await phases()).map((p) => p.name)).toEqual(['外墙保温', '屋面防水'])
    const draft = await browser.open(saved.location!)
    expect(draft.html).toContain(`【施工计划 ${number}】`)
    const published = await browser.post(draft, `/console/notices/${number}/publish`, { publishAt: '' })
    expect(published.status).toBe(303)
    expect(await batchRows(`schedule:${number}:publish`)).toHaveLength(3)

    const page = await browser.open(`/console/notices/${number}`)
    const moved = await browser.post(page, `/console/notices/${number}/phases/2`, {
      name: '屋面防水',
      startsAt: '2026-03-23T08:00',
      endsAt: '2026-03-30T18:00',
      note: '',
    })
    expect(moved.status, moved.html).toBe(303)
    expect((await phases())[1]!.startsAt.toISOString()).toBe('2026-03-23T00:00:00.000Z')
    const change = await deps.db
      .select()
      .from(outbox)
      .where(like(outbox.batch, `schedule:${number}:change`))
    expect(change.length).toBeGreaterThan(0)
    expect(change[0]!.text).toContain(
      '第 2 阶段"屋面防水"由 3月21日 08:00 至 3月28日 18:00 改为 3月23日 08:00',
    )
    const backwards = await browser.post(page, `/console/notices/${number}/phases/1`, {
      name: '外墙保温',
      startsAt: '2026-03-20T08:00',
      endsAt: '2026-03-10T18:00',
    })
    expect(backwards.status).toBe(400)
    expect(backwards.html).toContain('结束时间必须晚于开始时间')
  })

  it('property staff send a fee notice for their xiaoqu and see only fee notices; others may not', async () => {
    const world = await setup()
    await createBroadcast(deps, world.officer.actor, { text: '办公室的公告', xiaoquId: world.xiaoqu.id })
    const property = await loginPropertyStaff(world.xiaoqu.id)
    expect((await property.open('/console/notices/broadcast/new')).status).toBe(403)
    const form = await property.open('/console/notices/fee/new')
    expect(form.status).toBe(200)
    const action = '/console/notices/fee'
    const fields = {
      xiaoquId: String(world.xiaoqu.id),
      period: '2026年度',
      standard: '1.5',
      deadline: '2026-03-31T18:00',
      howToPay: '物业服务中心现场缴纳或扫码缴纳',
      contact: '物业前台 010-12345678',
    }
    const bad = await property.post(form, action, { ...fields, standard: '1.555', action: 'preview' })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('最多两位小数')
    const preview = await property.post(form, action, { ...fields, action: 'preview' })
    expect(preview.status, preview.html).toBe(200)
    expect(preview.html).toContain(
      `【物业费缴纳通知 F…】${world.xiaoqu.name} 2026年度\n收费标准：1.50 元/㎡/月`,
    )
    expect(preview.html).toMatch(/<strong>3<\/strong> 个居民群/)
    const sent = await property.post(preview, action, { ...fields, action: 'send' })
    expect(sent.status, sent.html).toBe(303)
    const number = numberOf(sent.location)
    const [fee] = await deps.db.select().from(feeNotices).where(eq(feeNotices.number, number))
    expect(fee).toMatchObject({ standardFen: 150, status: 'published', period: '2026年度' })
    const rows = await batchRows(`fee:${number}:publish`)
    expect(rows).toHaveLength(3)
    expect(rows[0]!.text).toContain('联系方式：物业前台 010-12345678')

    const list = await property.open('/console/notices')
    expect(list.html).toContain(`href="/console/notices/${number}"`)
    expect(list.html).not.toContain('办公室的公告')
    expect(list.html).not.toContain('/console/notices/broadcast/new')
    const worker = await login(world.worker.token)
    expect((await worker.open('/console/notices/fee/new')).status).toBe(403)
    expect((await worker.open('/console/notices')).html).toContain('办公室的公告')
    const page = await property.open(`/console/notices/${number}`)
    const cancelled = await property.post(page, `/console/notices/${number}/cancel`)
    expect(cancelled.status).toBe(303)
    expect((await deps.db.select().from(feeNotices).where(eq(feeNotices.number, number)))[0]!.status).toBe(
      'cancelled',
    )
  })

  it('shows per-group progress; an admin resends an uncertain message and drops a failed one', async () => {
    const world = await setup()
    const notice = await createBroadcast(deps, world.officer.actor, {
      text: '电梯检修',
      xiaoquId: world.xiaoqu.id,
    })
    const [first, second, third] = await batchRows(`notice:${notice.number}`)
    await deps.db
      .update(outbox)
      .set({ status: 'sent', sentAt: deps.clock.now() })
      .where(eq(outbox.id, first!.id))
    await deps.db
      .update(outbox)
      .set({ status: 'uncertain', attempts: 1, lastError: '发送途中中断' })
      .where(eq(outbox.id, second!.id))
    await deps.db
      .update(outbox)
      .set({ status: 'failed', attempts: 5, lastError: '群不存在' })
      .where(eq(outbox.id, third!.id))

    const officer = await login(world.officer.token)
    const seen = await officer.open(`/console/notices/${notice.number}`)
    expect(seen.html).toContain('已发 1 / 共 3')
    expect(seen.html).toContain('待处理 2')
    expect(seen.html).toContain('发送途中中断')
    expect(seen.html).toContain('请联系管理员重发或放弃')
    expect(seen.html).not.toContain(`/console/notices/outbox/${second!.id}/resend`)
    const forged = await officer.open(`/console/notices/outbox/${second!.id}/resend`, {
      form: { _csrf: csrfOf(seen.html), back: notice.number },
    })
    expect(forged.status).toBe(403)
    const status = async (id: number) =>
      (await deps.db.select().from(outbox).where(eq(outbox.id, id)))[0]!.status

    expect(await status(second!.id)).toBe('uncertain')

    const admin = await login(deps.adminToken)
    const page = await admin.open(`/console/notices/${notice.number}`)
    expect(page.status).toBe(200)
    expect(page.html).toContain('<span class="badge late">未确定</span>')
    const resent = await admin.post(page, `/console/notices/outbox/${second!.id}/resend`, {
      back: notice.number,
    })
    expect(resent.status).toBe(303)
    expect(resent.location).toBe(`/console/notices/${notice.number}?ok=resent`)
    expect(await status(second!.id)).toBe('pending')
    const dropped = await admin.post(page, `/console/notices/outbox/${third!.id}/drop`, {
      back: notice.number,
    })
    expect(dropped.status).toBe(303)
    expect(await status(third!.id)).toBe('dropped')
    const again = await admin.post(page, `/console/notices/outbox/${third!.id}/resend`, {
      back: notice.number,
    })
    expect(again.status).toBe(409)
    expect(again.html).toContain('不能重发')
    const after = await admin.open(`/console/notices/${notice.number}`)
    expect(after.html).toContain('已发 1 / 共 3 · 待发 1 · 已放弃 1')
    expect(after.html).not.toContain('待处理')
  })

  it("an officer of another street gets 403 on this street's notices and does not see them listed", async () => {
    const world = await setup()
    const notice = await createBroadcast(deps, world.officer.actor, {
      text: '本街道公告',
      xiaoquId: world.xiaoqu.id,
    })
    const other = await makeWorld(deps)
    const browser = await login(other.officer.token)
    for (const path of [
      `/console/notices/${notice.number}`,
      `/console/notices/${notice.number.toLowerCase()}`,
    ]) {
      const refused = await browser.open(path)
      expect(refused.status).toBe(403)
      expect(refused.html).not.toContain('本街道公告')
    }
    const page = await browser.open('/console/notices')
    expect(page.html).not.toContain('本街道公告')
    expect((await browser.open('/console/notices/B999999999')).status).toBe(404)
    expect((await browser.open('/console/notices/X1')).status).toBe(404)
    const cancel = await browser.open(`/console/notices/${notice.number}/cancel`, {
      form: { _csrf: csrfOf(page.html) },
    })
    expect(cancel.status).toBe(403)
    expect((await deps.db.select().from(notices).where(eq(notices.number, notice.number)))[0]!.status).toBe(
      'published',
    )
  })
})
