import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { botAccounts, botLeases, botStatus, chatGroups, outbox } from '../../db/schema'
import { uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'
import { appForSuite, chromiumForFile, viewports } from './support/harness'
import { expectNoHorizontalOverflow, login, open, screenshot } from './support/pages'

const chromium = chromiumForFile()
const slow = { timeout: 300_000 }

/** The 机器人 page with several accounts, one waiting for a scan and groups no account reaches, on a phone. */
describe.each(drivers)('browser: the bot accounts page on %s', (driver) => {
  const app = appForSuite(driver)

  describe.each(viewports)('at $name size', (viewport) => {
    it('fits the accounts, a login QR and the unreachable groups on the screen', slow, async () => {
      const { base, deps } = app()
      const now = deps.clock.now()
      const names = [uniqueId('dongcheng-long-account-name'), uniqueId('xicheng')]
      await deps.db.insert(botAccounts).values(
        names.map((name, i) => ({
          name,
          label: i === 0 ? '东城区第一街道机器人账号' : '西城',
          puppet: 'wechaty-puppet-service',
          endpoint: 'gateway-of-a-rather-long-host-name.example.cn:8788',
          tokenEnv: `GAIZAO_ACCOUNT_${'X'.repeat(40)}_TOKEN_${i}`,
          createdAt: now,
        })),
      )
      await deps.db.insert(botStatus).values([
        {
          account: names[0]!,
          holder: 'a-container-host-name-that-is-long:12345:abcdef',
          state: 'misconfigured',
          stateSince: now,
          detail: `环境变量 GAIZAO_ACCOUNT_${'X'.repeat(40)}_TOKEN_0 未设置：请在机器人进程中设置它`,
          reportedAt: sql`now()`,
        },
        {
          account: names[1]!,
          holder: 'host-b:2:abc',
          state: 'scan',
          stateSince: now,
          qr: 'https://login.weixin.qq.com/l/phone-check',
          reportedAt: sql`now()`,
        },
      ])
      await deps.db.insert(botLeases).values({
        account: names[1]!,
        holder: 'host-b:2:abc',
        expiresAt: sql`now() + interval '30 seconds'`,
        acquiredAt: sql`now()`,
      })
      const room = `${uniqueId('room-with-a-long-identifier')}@chatroom`
      await deps.db.insert(chatGroups).values({
        roomId: room,
        topic: '没有任何账号在其中的居民群（测试）',
        kind: 'residents',
        createdAt: now,
      })
      await deps.db.insert(outbox).values({ conversationId: room, isRoom: 1, text: '通知', createdAt: now })

      const context = await chromium.context(viewport)
      try {
        const page = await login(context, base, deps.adminToken)
        expect(await open(page, base, '/console/bot')).toBe(200)
        expect(await page.isVisible('text=扫码登录：西城')).toBe(true)
        expect(await page.isVisible('text=没有任何账号在其中的居民群（测试）')).toBe(true)
        await expectNoHorizontalOverflow(page, '/console/bot')
        await screenshot(page, viewport, 'bot-accounts')
      } finally {
        await context.close()
      }
    })
  })
})
