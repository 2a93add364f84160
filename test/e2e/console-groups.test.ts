import { and, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import type { BotStatus } from '../../bot/bot'
import { auditLog, chatGroups, identityIssues, outbox, staff } from '../../db/schema'
import { Browser, type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('console: groups and the bot on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  const groupRow = async (id: number) =>
    (await deps.db.select().from(chatGroups).where(eq(chatGroups.id, id)))[0]!

  it('lists the groups in scope; an officer unbinds (reason required) and re-enables; a worker only reads', async () => {
    const world = await makeWorld(deps)
    const elsewhere = await makeWorld(deps)
    await deps.db
      .update(chatGroups)
      .set({ topic: uniqueId('本小区群') })
      .where(eq(chatGroups.id, world.group.id))
    await deps.db
      .update(chatGroups)
      .set({ topic: uniqueId('别处的群') })
      .where(eq(chatGroups.id, elsewhere.group.id))
    const mine = await groupRow(world.group.id)
    const theirs = await groupRow(elsewhere.group.id)

    const browser = await login(world.officer.token)
    const page = await browser.open('/console/groups')
    expect(page.status).toBe(200)
    expect(page.html).toContain(mine.topic)
    expect(page.html).not.toContain(theirs.topic)
    expect(page.html).toContain('群管理')

    const action = `/console/groups/${world.group.id}/unbind`
    const blank = await browser.post(page, action, { reason: '  ' })
    expect(blank.status).toBe(400)
    expect(blank.html).toContain('解绑须写明原因')
    expect((await groupRow(world.group.id)).state).toBe('active')

    const done = await browser.post(page, action, { reason: '群已停用' })
    expect(done.status).toBe(303)
    expect(done.location).toBe('/console/groups?ok=unbound')
    expect((await groupRow(world.group.id)).state).toBe('unbound')
    const [audit] = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'group.unbind'), eq(auditLog.entityId, String(world.group.id))))
    expect(audit).toMatchObject({ via: 'console', actorStaffId: world.officer.staff.id })

    const filtered = await browser.open('/console/groups?state=unbound')
    expect(filtered.html).toContain(mine.topic)
    expect(filtered.html).toContain('重新启用')
    const again = await browser.post(filtered, `/console/groups/${world.group.id}/rebind`)
    expect(again.status).toBe(303)
    expect((await groupRow(world.group.id)).state).toBe('active')

    // Someone else's group: refused, with the reason on the page.
    const outside = await browser.open(`/console/groups/${elsewhere.group.id}/unbind`, {
      form: { _csrf: csrfOf(page.html), reason: 'x' },
    })
    expect(outside.status).toBe(403)

    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    const reader = await login(worker.token)
    const readOnly = await reader.open('/console/groups')
    expect(readOnly.html).toContain(mine.topic)
    expect(readOnly.html).not.toContain(`action="${action}"`)
    expect(readOnly.html).not.toContain('待确认的身份')
  })

  it('shows admins the open identity issues; choosing a candidate moves the staff member', async () => {
    const world = await makeWorld(deps)
    const [issue] = await deps.db
      .insert(identityIssues)
      .values({
        kind: 'staff',
        subjectId: world.officer.staff.id,
        oldWechatId: world.officer.staff.wechatId!,
        candidates: [
          { id: 'wx_cand_1', name: '李红' },
          { id: 'wx_cand_2', name: '李红' },
        ],
        createdAt: deps.clock.now(),
      })
      .returning()
    const admin = await login(deps.adminToken)
    const page = await admin.open('/console/groups')
    expect(page.html).toContain('待确认的身份')
    expect(page.html).toContain('wx_cand_2')
    const action = `/console/identity-issues/${issue!.id}/resolve`
    const empty = await admin.post(page, action, {})
    expect(empty.status).toBe(400)
    const chosen = await admin.post(page, action, { wechatId: 'wx_cand_2' })
    expect(chosen.status).toBe(303)
    const [moved] = await deps.db.select().from(staff).where(eq(staff.id, world.officer.staff.id))
    expect(moved!.wechatId).toBe('wx_cand_2')
    expect((await admin.open('/console/groups')).html).not.toContain('wx_cand_1')
  })

  it('shows what each group is bound to, as cards on a phone', async () => {
    const world = await makeWorld(deps)
    const page = await (await login(deps.adminToken)).open('/console/groups')
    expect(page.html).toContain('<table class="cards"')
    expect(page.html).toContain('绑定到')
    expect(page.html).toContain(world.xiaoqu.name)
    // The officers' group serves the street.
    expect(page.html).toContain(world.street.name)
  })

  describe('the bot', () => {
    const status: BotStatus = {
      account: 'default',
      puppet: 'wechaty-puppet-wechat4u',
      state: 'scan',
      since: '2026-12-01T07:20:00Z',
      loggedIn: false,
      qr: { value: 'https://login.weixin.qq.com/l/abc', imageUrl: 'https://example.invalid/qr', status: '2' },
    }
    const botApp = (current: () => BotStatus) => createApi(deps, { bot: { status: current } })
    const loginTo = async (target: ConsoleApp, token: string) => {
      const browser = new Browser(target)
      const form = await browser.open('/console/login')
      expect((await browser.post(form, '/console/login', { token })).status).toBe(303)
      return browser
    }

    it('shows a banner on every page while a real bot is down, none when online or in the sandbox', async () => {
      let current = status
      const target = botApp(() => current)
      const world = await makeWorld(deps)
      const browser = await loginTo(target, world.officer.token)
      for (const path of ['/console', '/console/groups', '/console/tasks', '/console/requests/Q999999']) {
        const page = await browser.open(path)
        expect(page.html, path).toContain('机器人未连接（自 12-01 15:20 起')
        expect(page.html, path).toContain('消息暂存待发，恢复后按顺序发出。')
      }
      current = { ...status, state: 'online', loggedIn: true, qr: undefined }
      expect((await browser.open('/console')).html).not.toContain('机器人未连接')
      current = { ...status, puppet: 'sandbox' }
      expect((await browser.open('/console')).html).not.toContain('机器人未连接')
      expect((await (await loginTo(app, world.officer.token)).open('/console')).html).not.toContain(
        '机器人未连接',
      )
    })

    it('gives admins a 机器人 page with the login QR as inline SVG; others are refused', async () => {
      const target = botApp(() => status)
      const admin = await loginTo(target, deps.adminToken)
      const page = await admin.open('/console/bot')
      expect(page.status).toBe(200)
      expect(page.html).toContain('等待扫码登录')
      expect(page.html).toMatch(/<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      expect(page.html).not.toContain('<script')
      const online = botApp(() => ({
        ...status,
        state: 'online',
        loggedIn: true,
        qr: undefined,
        self: { id: 'b', name: '改造助手' },
      }))
      const onlinePage = await (await loginTo(online, deps.adminToken)).open('/console/bot')
      expect(onlinePage.html).not.toContain('<svg')
      expect(onlinePage.html).toContain('改造助手')
      const world = await makeWorld(deps)
      const officer = await loginTo(target, world.officer.token)
      const refused = await officer.open('/console/bot')
      expect(refused.status).toBe(403)
      expect(refused.html).not.toContain('<svg')
      expect((await officer.open('/console/groups')).html).not.toContain('href="/console/bot"')
    })

    it('lists the recent alerts on the 机器人 page: groups left, messages stuck', async () => {
      const world = await makeWorld(deps)
      const topic = uniqueId('被移出的群')
      await deps.db
        .update(chatGroups)
        .set({ topic, state: 'left', stateChangedAt: deps.clock.now() })
        .where(eq(chatGroups.id, world.group.id))
      await deps.db.insert(outbox).values({
        conversationId: world.officersRoomId,
        isRoom: 1,
        text: '通知',
        status: 'uncertain',
        lastError: '发送超时，结果不明',
        createdAt: deps.clock.now(),
      })
      const page = await (
        await loginTo(
          botApp(() => status),
          deps.adminToken,
        )
      ).open('/console/bot')
      expect(page.status).toBe(200)
      expect(page.html).toContain('最近的提醒')
      expect(page.html).toContain('机器人被移出群')
      expect(page.html).toContain(topic)
      expect(page.html).toContain('消息是否送达不明')
      expect(page.html).toContain('发送超时，结果不明')
      expect(page.html).toContain('未配置（ALERT_WEBHOOK_URL）')
    })
  })
})
