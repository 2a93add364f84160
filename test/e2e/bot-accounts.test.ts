import { and, desc, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import type { BotStatus } from '../../bot/bot'
import { tokenInVariableMessage } from '../../core/accounts/accounts.usecases'
import {
  auditLog,
  botAccounts,
  botLeases,
  botStatus,
  chatGroups,
  conversationReach,
  conversationRoutes,
  outbox,
} from '../../db/schema'
import { Browser, type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

describe.each(drivers)(
  'bot accounts: managed by admins, seen in the API, console and metrics on %s',
  (driver) => {
    let deps: TestDeps
    let app: ConsoleApp
    const { login } = consoleSuite(driver, (made) => {
      deps = made.deps
      app = made.app
    })
    const call = apiCaller(() => app)
    const accountName = () => uniqueId('acct').replace(/_/g, '-')

    const audits = (name: string) =>
      deps.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entity, 'bot_account'), eq(auditLog.entityId, name)))
        .orderBy(desc(auditLog.id))

    const overview = async (token = deps.adminToken) => {
      const res = await call(token, 'GET', '/bot/accounts')
      expect(res.status, res.text).toBe(200)
      return res.body as {
        items: {
          name: string
          label: string
          enabled: boolean
          registered: boolean
          up: boolean
          credentials: string
          lease: { holder: string; expired: boolean } | null
          status: { state: string; stale: boolean; selfName: string | null; detail: string | null } | null
          qr?: { value: string; imageUrl: string }
          reach: { groups: number; conversations: number }
          routed: { groups: number; conversations: number }
          pending: number
        }[]
        unreachable: { total: number; items: { conversationId: string; pending: number; isRoom: boolean }[] }
      }
    }

    /** A status row as a bot process writes it; `ageSeconds` back from the database's now(). */
    const report = (
      account: string,
      state: string,
      extra: Partial<typeof botStatus.$inferInsert> = {},
      ageSeconds = 0,
    ) =>
      deps.db.insert(botStatus).values({
        account,
        holder: `host-a:${account}:1`,
        state,
        stateSince: new Date('2026-03-02T01:00:00Z'),
        reportedAt: sql`now() - ${ageSeconds}::int * interval '1 second'`,
        ...extra,
      })

    it('lets an admin add, change and disable an account, audited; others are refused', async () => {
      const world = await makeWorld(deps)
      const name = accountName()
      const created = await call(deps.adminToken, 'POST', '/bot/accounts', {
        name,
        label: '东城一号',
        puppet: 'wechaty-puppet-service',
        endpoint: 'gateway.example.cn:8788',
        tokenEnv: 'GAIZAO_ACCOUNT_A_TOKEN',
      })
      expect(created.status, created.text).toBe(201)
      expect(created.body).toMatchObject({
        name,
        label: '东城一号',
        enabled: true,
        tokenEnv: 'GAIZAO_ACCOUNT_A_TOKEN',
      })
      const [createAudit] = await audits(name)
      expect(createAudit).toMatchObject({
        action: 'bot_account.create',
        via: 'api',
        before: null,
        after: {
          label: '东城一号',
          puppet: 'wechaty-puppet-service',
          tokenEnv: 'GAIZAO_ACCOUNT_A_TOKEN',
          enabled: true,
        },
      })

      const again = await call(deps.adminToken, 'POST', '/bot/accounts', {
        name,
        label: '重复',
        puppet: 'wechaty-puppet-service',
      })
      expect(again.status).toBe(409)
      expect(again.body.error.message).toContain('已存在')

      const changed = await call(deps.adminToken, 'PATCH', `/bot/accounts/${name}`, {
        label: '东城一号（新）',
        endpoint: null,
        tokenEnv: 'GAIZAO_ACCOUNT_B_TOKEN',
      })
      expect(changed.status, changed.text).toBe(200)
      expect(changed.body).toMatchObject({
        label: '东城一号（新）',
        endpoint: null,
        tokenEnv: 'GAIZAO_ACCOUNT_B_TOKEN',
      })
      const disabled = await call(deps.adminToken, 'PATCH', `/bot/accounts/${name}`, { enabled: false })
      expect(disabled.status).toBe(200)
      expect(disabled.body.enabled).toBe(false)
      const [disableAudit, updateAudit] = await audits(name)
      expect(updateAudit).toMatchObject({
        action: 'bot_account.update',
        before: {
          label: '东城一号',
          endpoint: 'gateway.example.cn:8788',
          tokenEnv: 'GAIZAO_ACCOUNT_A_TOKEN',
        },
        after: { label: '东城一号（新）', endpoint: null, tokenEnv: 'GAIZAO_ACCOUNT_B_TOKEN' },
      })
      expect(disableAudit).toMatchObject({
        action: 'bot_account.disable',
        before: { enabled: true },
        after: { enabled: false },
      })

      // Officers see the overview, but change nothing.
      for (const [method, path, body] of [
        ['POST', '/bot/accounts', { name: accountName(), label: '西城', puppet: 'wechaty-puppet-service' }],
        ['PATCH', `/bot/accounts/${name}`, { enabled: true }],
        ['DELETE', `/bot/accounts/${name}`, undefined],
      ] as const) {
        const refused = await call(world.officer.token, method, path, body)
        expect(refused.status, `${method} ${path}`).toBe(403)
      }
      expect((await overview(world.officer.token)).items.find((a) => a.name === name)?.enabled).toBe(false)
      const [row] = await deps.db.select().from(botAccounts).where(eq(botAccounts.name, name))
      expect(row?.enabled).toBe(false)
      expect(await audits(name)).toHaveLength(3)

      const missing = await call(deps.adminToken, 'PATCH', '/bot/accounts/no-such-account', { enabled: true })
      expect(missing.status).toBe(404)
    })

    it('refuses a token where the variable name belongs, saying so in Chinese, and stores nothing', async () => {
      const name = accountName()
      const tokens = [
        'insecure_3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f',
        'puppet_paimon_0123456789abcdef',
        'ABCDEF0123456789ABCDEF0123456789',
        `GAIZAO_${'A'.repeat(80)}`,
      ]
      for (const token of tokens) {
        const res = await call(deps.adminToken, 'POST', '/bot/accounts', {
          name,
          label: '东城二号',
          puppet: 'wechaty-puppet-service',
          tokenEnv: token,
        })
        expect(res.status, token).toBe(400)
        expect(res.body.error.message).toBe(tokenInVariableMessage)
        expect(res.text).not.toContain(token)
      }
      const badName = await call(deps.adminToken, 'POST', '/bot/accounts', {
        name,
        label: '东城二号',
        puppet: 'wechaty-puppet-service',
        tokenEnv: '1TOKEN',
      })
      expect(badName.status).toBe(400)
      expect(badName.body.error.message).toContain('大写字母、数字和下划线')
      const sandbox = await call(deps.adminToken, 'POST', '/bot/accounts', {
        name,
        label: '沙盒',
        puppet: 'sandbox',
      })
      expect(sandbox.status).toBe(400)
      expect(sandbox.text).toContain('接入方式应为以下之一')
      const spaced = await call(deps.adminToken, 'POST', '/bot/accounts', {
        name: 'bad name!',
        label: '东城二号',
        puppet: 'wechaty-puppet-wechat4u',
      })
      expect(spaced.status).toBe(400)
      expect(spaced.body.error.message).toContain('账号标识只能用字母、数字和 _ . -')
      expect(await deps.db.select().from(botAccounts).where(eq(botAccounts.name, name))).toHaveLength(0)
      expect(await audits(name)).toHaveLength(0)

      // And on a change: the stored variable stays.
      expect(
        (
          await call(deps.adminToken, 'POST', '/bot/accounts', {
            name,
            label: '东城二号',
            puppet: 'wechaty-puppet-service',
            tokenEnv: 'GAIZAO_B',
          })
        ).status,
      ).toBe(201)
      const patch = await call(deps.adminToken, 'PATCH', `/bot/accounts/${name}`, { tokenEnv: tokens[0] })
      expect(patch.status).toBe(400)
      expect(patch.body.error.message).toBe(tokenInVariableMessage)
      const [row] = await deps.db.select().from(botAccounts).where(eq(botAccounts.name, name))
      expect(row?.tokenEnv).toBe('GAIZAO_B')
    })

    it('deletes only an account nothing depends on: one with routes or sent messages is to be disabled', async () => {
      const routed = accountName()
      const sent = accountName()
      const unused = accountName()
      for (const name of [routed, sent, unused]) {
        const res = await call(deps.adminToken, 'POST', '/bot/accounts', {
          name,
          label: name,
          puppet: 'wechaty-puppet-wechat4u',
        })
        expect(res.status).toBe(201)
      }
      await deps.db.insert(conversationRoutes).values({
        conversationId: uniqueId('room'),
        account: routed,
        reason: 'learnt',
        since: deps.clock.now(),
      })
      await deps.db.insert(outbox).values({
        conversationId: uniqueId('room'),
        isRoom: 1,
        text: '已发',
        status: 'sent',
        sentAt: deps.clock.now(),
        sentBy: sent,
      })
      for (const name of [routed, sent]) {
        const refused = await call(deps.adminToken, 'DELETE', `/bot/accounts/${name}`)
        expect(refused.status, name).toBe(409)
        expect(refused.body.error.message).toContain('不能删除')
        expect(refused.body.error.message).toContain('请改为停用')
      }
      await deps.db.insert(conversationReach).values({
        conversationId: uniqueId('room'),
        account: unused,
        isRoom: true,
        seenAt: deps.clock.now(),
      })
      const deleted = await call(deps.adminToken, 'DELETE', `/bot/accounts/${unused}`)
      expect(deleted.status, deleted.text).toBe(200)
      expect(await deps.db.select().from(botAccounts).where(eq(botAccounts.name, unused))).toHaveLength(0)
      expect(
        await deps.db.select().from(conversationReach).where(eq(conversationReach.account, unused)),
      ).toHaveLength(0)
      expect((await audits(unused))[0]).toMatchObject({ action: 'bot_account.delete', after: null })
      expect(await deps.db.select().from(botAccounts).where(eq(botAccounts.name, routed))).toHaveLength(1)
    })

    it('shows each account: reported state (stale as no process), lease, reach, routes, waiting messages, unreachable groups', async () => {
      const online = accountName()
      const scanning = accountName()
      const stale = accountName()
      const broken = accountName()
      const disabled = accountName()
      for (const [name, tokenEnv] of [
        [online, 'TOKEN_ONLINE'],
        [scanning, null],
        [stale, 'TOKEN_STALE'],
        [broken, 'TOKEN_BROKEN'],
        [disabled, null],
      ] as const) {
        const res = await call(deps.adminToken, 'POST', '/bot/accounts', {
          name,
          label: `标签 ${name}`,
          puppet: 'wechaty-puppet-service',
          tokenEnv,
        })
        expect(res.status, res.text).toBe(201)
      }
      expect(
        (await call(deps.adminToken, 'PATCH', `/bot/accounts/${disabled}`, { enabled: false })).status,
      ).toBe(200)
      await report(online, 'online', { selfId: 'wxid_bot', selfName: '改造助手一号' })
      await report(scanning, 'scan', { qr: 'https://login.weixin.qq.com/l/scan-me' })
      await report(stale, 'online', {}, 3600)
      await report(broken, 'misconfigured', { detail: '环境变量 TOKEN_BROKEN 未设置' })
      await deps.db.insert(botLeases).values({
        account: online,
        holder: 'host-a:1:abc',
        expiresAt: sql`now() + interval '30 seconds'`,
        acquiredAt: sql`now()`,
      })
      await deps.db.insert(botLeases).values({
        account: stale,
        holder: 'host-b:2:def',
        expiresAt: sql`now() - interval '50 minutes'`,
        acquiredAt: sql`now() - interval '60 minutes'`,
      })

      const now = deps.clock.now()
      const rooms = Array.from({ length: 5 }, () => `${uniqueId('room')}@chatroom`)
      const person = uniqueId('wxid_person')
      const lonely = `${uniqueId('lonely')}@chatroom`
      const disabledOnly = `${uniqueId('disabled')}@chatroom`
      // online reaches rooms 0-3 and a person; stale reaches rooms 3-4; the disabled account alone is in one.
      await deps.db
        .insert(conversationReach)
        .values([
          ...rooms
            .slice(0, 4)
            .map((id) => ({ conversationId: id, account: online, isRoom: true, seenAt: now })),
          { conversationId: person, account: online, isRoom: false, seenAt: now },
          ...rooms.slice(3).map((id) => ({ conversationId: id, account: stale, isRoom: true, seenAt: now })),
          { conversationId: disabledOnly, account: disabled, isRoom: true, seenAt: now },
        ])
      await deps.db
        .insert(conversationRoutes)
        .values([
          ...rooms
            .slice(0, 3)
            .map((id) => ({ conversationId: id, account: online, reason: 'learnt', since: now })),
          { conversationId: person, account: online, reason: 'learnt', since: now },
          ...rooms
            .slice(3)
            .map((id) => ({ conversationId: id, account: stale, reason: 'learnt', since: now })),
        ])
      await deps.db
        .insert(chatGroups)
        .values({ roomId: lonely, topic: '没人能到的群', kind: 'residents', createdAt: now })
      const message = (conversationId: string, status: 'pending' | 'sending' | 'sent', isRoom = 1) => ({
        conversationId,
        isRoom,
        text: '通知',
        status,
        sentAt: status === 'sent' ? now : null,
        sentBy: status === 'sent' ? online : null,
      })
      await deps.db
        .insert(outbox)
        .values([
          message(rooms[0]!, 'pending'),
          message(rooms[0]!, 'pending'),
          message(rooms[1]!, 'sending'),
          message(rooms[2]!, 'sent'),
          message(person, 'pending', 0),
          message(rooms[4]!, 'pending'),
          message(lonely, 'pending'),
          message(lonely, 'pending'),
          message(lonely, 'pending'),
          message(disabledOnly, 'pending'),
          message(disabledOnly, 'sent'),
        ])

      const { items, unreachable } = await overview()
      const of = (name: string) => items.find((a) => a.name === name)!
      expect(of(online)).toMatchObject({
        up: true,
        credentials: 'ok',
        lease: { holder: 'host-a:1:abc', expired: false },
        status: { state: 'online', stale: false, selfName: '改造助手一号' },
        reach: { groups: 4, conversations: 5 },
        routed: { groups: 3, conversations: 4 },
        // rooms 0 (2) and 1 (1 sending) and the person; the sent one is not waiting.
        pending: 4,
      })
      expect(of(stale)).toMatchObject({
        up: false,
        credentials: 'unknown',
        lease: { expired: true },
        status: { state: 'online', stale: true },
        reach: { groups: 2, conversations: 2 },
        routed: { groups: 2, conversations: 2 },
        pending: 1,
      })
      expect(of(broken)).toMatchObject({
        up: false,
        credentials: 'missing',
        status: { state: 'misconfigured', detail: '环境变量 TOKEN_BROKEN 未设置' },
        pending: 0,
      })
      expect(of(scanning)).toMatchObject({ up: false, credentials: 'none', status: { state: 'scan' } })
      expect(of(scanning).qr).toEqual({
        value: 'https://login.weixin.qq.com/l/scan-me',
        imageUrl: `/api/v1/bot/accounts/${scanning}/qr.svg`,
      })
      expect(of(disabled)).toMatchObject({ enabled: false, status: null, reach: { groups: 1 } })
      // Reached by no enabled account: the lonely group, and the one only the disabled account is in.
      const lost = new Map(unreachable.items.map((u) => [u.conversationId, u]))
      expect(lost.get(lonely)).toMatchObject({ pending: 3, isRoom: true })
      expect(lost.get(disabledOnly)).toMatchObject({ pending: 1 })
      for (const reached of [...rooms, person]) expect(lost.has(reached)).toBe(false)
      expect(unreachable.total).toBeGreaterThanOrEqual(2)

      // The QR goes to admins only.
      const world = await makeWorld(deps)
      await deps.db.insert(outbox).values(message(world.roomId, 'pending'))
      const asOfficer = await overview(world.officer.token)
      const seen = asOfficer.items.find((a) => a.name === scanning)!
      expect(seen.qr).toBeUndefined()
      expect(seen.status?.state).toBe('scan')
      // An officer sees the unreachable groups of their own scope only.
      expect(asOfficer.unreachable.items.map((u) => u.conversationId)).toEqual([world.roomId])
      expect(asOfficer.unreachable.total).toBe(1)
      const everything = (await overview()).unreachable
      expect(everything.items.map((u) => u.conversationId)).toContain(world.roomId)
      expect(everything.total).toBe(unreachable.total + 1)
      const svg = await app.request(`/api/v1/bot/accounts/${scanning}/qr.svg`, {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      expect(svg.status).toBe(200)
      expect(svg.headers.get('content-type')).toContain('image/svg+xml')
      expect(await svg.text()).toContain('<svg')
      const officerSvg = await call(world.officer.token, 'GET', `/bot/accounts/${scanning}/qr.svg`)
      expect(officerSvg.status).toBe(403)
      const noQr = await call(deps.adminToken, 'GET', `/bot/accounts/${online}/qr.svg`)
      expect(noQr.status).toBe(404)
      expect(noQr.body.error.message).toContain('已登录')

      // /metrics reads the same, whichever process runs the accounts.
      const metrics = await (await app.request('/metrics')).text()
      expect(metrics).toMatch(new RegExp(`^gaizao_bot_account_up\\{account="${online}"\\} 1$`, 'm'))
      expect(metrics).toMatch(new RegExp(`^gaizao_bot_account_up\\{account="${stale}"\\} 0$`, 'm'))
      expect(metrics).toMatch(new RegExp(`^gaizao_bot_account_pending\\{account="${online}"\\} 4$`, 'm'))
      const count = Number(/^gaizao_unreachable_conversations (\d+)$/m.exec(metrics)?.[1])
      expect(count).toBe(everything.total)

      // The console shows the same to admins, on a page a phone can read (a card per account).
      const admin = await login(deps.adminToken)
      const page = await admin.open('/console/bot')
      expect(page.status).toBe(200)
      for (const head of ['状态', '自', '原因', '租约持有进程', '可达群数', '分配群数', '待发消息']) {
        expect(page.html).toContain(`data-label="${head}"`)
      }
      expect(page.html).toContain(`标签 ${online}`)
      expect(page.html).toContain('改造助手一号')
      expect(page.html).toContain('host-a:1:abc')
      expect(page.html).toContain('无进程报告')
      expect(page.html).toContain('环境变量 TOKEN_BROKEN 未设置')
      expect(page.html).toContain(`扫码登录：标签 ${scanning}`)
      expect(page.html).toMatch(/<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      expect(page.html).toContain('没人能到的群')
      expect(page.html).not.toContain('<script')
    })

    it('answers GET /bot from bot_status when this process runs no bot; a stale row is "no process"', async () => {
      // BOT_ACCOUNT's default name: the first account of this (bot-less) process's configuration.
      // Other accounts are registered by now: the first account is one of them, BOT_ACCOUNTS' first when it is.
      const registered = await call(deps.adminToken, 'POST', '/bot/accounts', {
        name: 'default',
        label: '默认账号',
        puppet: 'wechaty-puppet-wechat4u',
      })
      expect(registered.status).toBe(201)
      await report('default', 'scan', { qr: 'https://login.weixin.qq.com/l/first', selfName: null })
      const world = await makeWorld(deps)
      const asAdmin = await call(deps.adminToken, 'GET', '/bot')
      expect(asAdmin.status).toBe(200)
      expect(asAdmin.body).toMatchObject({
        account: 'default',
        state: 'scan',
        loggedIn: false,
        qr: { value: 'https://login.weixin.qq.com/l/first', imageUrl: '/api/v1/bot/accounts/default/qr.svg' },
      })
      const asOfficer = await call(world.officer.token, 'GET', '/bot')
      expect(asOfficer.body.state).toBe('scan')
      expect(asOfficer.text).not.toContain('l/first')
      expect(
        (await app.request('/api/v1/bot/qr.svg', { headers: { authorization: `Bearer ${deps.adminToken}` } }))
          .status,
      ).toBe(200)

      await deps.db
        .update(botStatus)
        .set({ reportedAt: sql`now() - interval '10 minutes'` })
        .where(eq(botStatus.account, 'default'))
      const stale = await call(deps.adminToken, 'GET', '/bot')
      expect(stale.body).toMatchObject({ state: 'stopped', stale: true, loggedIn: false })
      expect(stale.body.detail).toContain('无进程报告')
      expect(stale.body.qr).toBeUndefined()

      await deps.db
        .update(botStatus)
        .set({ state: 'misconfigured', detail: '未设置 GAIZAO_TOKEN', qr: null, reportedAt: sql`now()` })
        .where(eq(botStatus.account, 'default'))
      const misconfigured = await call(deps.adminToken, 'GET', '/bot')
      expect(misconfigured.body).toMatchObject({ state: 'misconfigured', detail: '未设置 GAIZAO_TOKEN' })
      const noQr = await call(deps.adminToken, 'GET', '/bot/qr.svg')
      expect(noQr.status).toBe(404)
      expect(noQr.body.error.message).toContain('配置不完整')

      // The banner of every console page says so too (read from bot_status: a fresh app, no cached banner).
      const browser = new Browser(createApi(deps))
      const form = await browser.open('/console/login')
      expect((await browser.post(form, '/console/login', { token: world.officer.token })).status).toBe(303)
      expect((await browser.open('/console')).html).toContain('未连接')
      await deps.db.delete(botStatus).where(eq(botStatus.account, 'default'))
    })

    it('with its own bot, the process shows that status first (the sandbox), with the others from the table', async () => {
      const live: BotStatus = {
        account: 'default',
        puppet: 'sandbox',
        state: 'online',
        since: '2026-03-02T02:00:00Z',
        loggedIn: true,
        self: { id: 'bot', name: '沙盒助手' },
      }
      const withBot = createApi(deps, { bot: { status: () => live, accounts: () => [live] } })
      const res = await withBot.request('/api/v1/bot/accounts', {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      const body = (await res.json()) as Awaited<ReturnType<typeof overview>>
      expect(body.items.find((a) => a.name === 'default')).toMatchObject({
        up: true,
        status: { state: 'online', selfName: '沙盒助手', stale: false },
      })
      const own = await withBot.request('/api/v1/bot', {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      expect(await own.json()).toMatchObject({ account: 'default', puppet: 'sandbox', state: 'online' })
    })

    it('adds and changes accounts from the console (admins only); a pasted token is refused and not shown back', async () => {
      const admin = await login(deps.adminToken)
      const page = await admin.open('/console/bot')
      expect(page.html).toContain('添加账号')
      const name = accountName()
      const token = 'insecure_9c1e7b4d-4e8a-9c2f-1a2b3c4d5e6f'
      const refused = await admin.post(page, '/console/bot/accounts', {
        name,
        label: '朝阳一号',
        puppet: 'wechaty-puppet-service',
        tokenEnv: token,
      })
      expect(refused.status).toBe(400)
      expect(refused.html).toContain('不是令牌本身')
      expect(refused.html).not.toContain(token)
      expect(refused.html).toContain('value="朝阳一号"')

      const saved = await admin.post(refused, '/console/bot/accounts', {
        name,
        label: '朝阳一号',
        puppet: 'wechaty-puppet-service',
        tokenEnv: 'GAIZAO_CHAOYANG_TOKEN',
      })
      expect(saved.status, saved.html).toBe(303)
      expect(saved.location).toBe('/console/bot?ok=created')
      const [createAudit] = await audits(name)
      expect(createAudit).toMatchObject({ action: 'bot_account.create', via: 'console' })

      const edit = await admin.open(`/console/bot?edit=${name}`)
      expect(edit.html).toContain(`修改账号 ${name}`)
      expect(edit.html).toContain('value="GAIZAO_CHAOYANG_TOKEN"')
      const action = `/console/bot/accounts/${name}`
      // Unticked "启用": disabled.
      const disabled = await admin.post(edit, action, {
        label: '朝阳一号',
        puppet: 'wechaty-puppet-service',
        endpoint: '',
        tokenEnv: 'GAIZAO_CHAOYANG_TOKEN',
      })
      expect(disabled.status, disabled.html).toBe(303)
      expect(disabled.location).toBe('/console/bot?ok=disabled')
      const [row] = await deps.db.select().from(botAccounts).where(eq(botAccounts.name, name))
      expect(row).toMatchObject({ enabled: false, tokenEnv: 'GAIZAO_CHAOYANG_TOKEN' })
      expect((await audits(name))[0]).toMatchObject({ action: 'bot_account.disable', via: 'console' })
      const listed = await admin.open('/console/bot?ok=disabled')
      expect(listed.html).toContain('已停用')

      const world = await makeWorld(deps)
      const officer = await login(world.officer.token)
      expect((await officer.open('/console/bot')).status).toBe(403)
      const home = await officer.open('/console')
      const forged = await officer.open('/console/bot/accounts', {
        form: {
          _csrf: csrfOf(home.html),
          name: accountName(),
          label: '越权',
          puppet: 'wechaty-puppet-service',
        },
      })
      expect(forged.status).toBe(403)
      expect(await deps.db.select().from(botAccounts).where(eq(botAccounts.label, '越权'))).toHaveLength(0)
    })
  },
)
