import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAlerts } from '../../bot/alerts'
import type { BotStatus } from '../../bot/bot'
import { createCollapsedLog } from '../../bot/collapsed-log'
import { acquireLease, releaseLease } from '../../core/accounts/lease'
import { createLog } from '../../core/shared/log'
import { createTestDeps, type TestDeps } from '../support/deps'
import { freePort } from '../support/gaizao-process'
import { drivers } from '../support/test-db'

describe.each(drivers)('bot account lease on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it('lets one holder at a time have an account, renews it, and hands it over when it lapses or is released', async () => {
    expect(await acquireLease(deps.db, 'acct-a', 'host-1', 60_000)).toEqual({ held: true })
    const refused = await acquireLease(deps.db, 'acct-a', 'host-2', 60_000)
    expect(refused).toMatchObject({ held: false, holder: 'host-1' })
    if (!refused.held) expect(refused.expiresAt.getTime()).toBeGreaterThan(Date.now())
    // Renewing is taking it again as the same holder.
    expect(await acquireLease(deps.db, 'acct-a', 'host-1', 60_000)).toEqual({ held: true })
    // Another account is independent.
    expect(await acquireLease(deps.db, 'acct-b', 'host-2', 60_000)).toEqual({ held: true })
    // A lapsed lease is taken over.
    expect(await acquireLease(deps.db, 'acct-c', 'host-1', 1)).toEqual({ held: true })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await acquireLease(deps.db, 'acct-c', 'host-2', 60_000)).toEqual({ held: true })
    expect(await acquireLease(deps.db, 'acct-c', 'host-1', 60_000)).toMatchObject({
      held: false,
      holder: 'host-2',
    })
    // Released at a clean stop: the successor need not wait.
    await releaseLease(deps.db, 'acct-a', 'host-1')
    expect(await acquireLease(deps.db, 'acct-a', 'host-2', 60_000)).toEqual({ held: true })
    // Releasing someone else's lease does nothing.
    await releaseLease(deps.db, 'acct-a', 'host-1')
    expect(await acquireLease(deps.db, 'acct-a', 'host-3', 60_000)).toMatchObject({
      held: false,
      holder: 'host-2',
    })
  })
})

describe('operator alerts', () => {
  it('posts one WeCom-format alert after the bot has been down long enough, and one when it is back', async () => {
    const deps = await createTestDeps('pglite', { env: {} })
    const port = await freePort()
    const received: unknown[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.end('{"errcode":0}')
      })
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    try {
      const config = {
        ...deps.config,
        alerts: { webhookUrl: `http://127.0.0.1:${port}/hook`, afterMs: 5 * 60_000 },
      }
      let status: BotStatus = {
        account: 'default',
        puppet: 'wechaty-puppet-service',
        state: 'connecting',
        since: deps.clock.now().toISOString(),
        detail: '连接中断',
        loggedIn: false,
      }
      const alerts = startAlerts({ ...deps, config }, { status: () => status }, { checkMs: 3_600_000 })
      deps.clock.advance(4 * 60_000)
      await alerts.check()
      expect(received).toEqual([])
      deps.clock.advance(60_000)
      await alerts.check()
      await alerts.check()
      expect(received).toHaveLength(1)
      expect(received[0]).toMatchObject({
        msgtype: 'text',
        text: { content: expect.stringContaining('机器人未连接已 5 分钟') },
      })
      status = { ...status, state: 'online', since: deps.clock.now().toISOString(), loggedIn: true }
      await alerts.check()
      await alerts.check()
      expect(received).toHaveLength(2)
      expect(received[1]).toMatchObject({ text: { content: expect.stringContaining('已恢复在线') } })
      // Waiting for another process's lease is not an outage of ours.
      status = { ...status, state: 'waiting_lease', since: deps.clock.now().toISOString(), loggedIn: false }
      deps.clock.advance(60 * 60_000)
      await alerts.check()
      expect(received).toHaveLength(2)
      alerts.stop()
    } finally {
      server.close()
      await deps.database.close()
    }
  })

  it('collapses a repeated error into one line and a count, with the stack only at debug', async () => {
    const lines: string[] = []
    const collapsed = createCollapsedLog(
      createLog('info', (line) => lines.push(line)),
      60_000,
    )
    for (let i = 0; i < 15; i++)
      collapsed.report('wechaty error', new Error(`connect ECONNREFUSED 127.0.0.1:${40000 + i}`))
    collapsed.report('wechaty error', new Error('something else'))
    collapsed.close()
    const messages = lines.map((l) => JSON.parse(l) as { msg: string; stack?: string })
    expect(messages).toHaveLength(3)
    expect(messages[0]!.msg).toBe('wechaty error')
    expect(messages.some((m) => m.msg.includes('repeated 14 times'))).toBe(true)
    expect(messages.every((m) => m.stack === undefined)).toBe(true)
  })
})
