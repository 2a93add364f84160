import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAlerts } from '../../bot/alerts'
import { type BotStatus, createBot } from '../../bot/bot'
import { type AccountRow, planAccounts } from '../../bot/fleet'
import { loadConfig } from '../../config'
import { acquireLease } from '../../core/accounts/lease'
import { readBotStatus, reportBotStatus } from '../../core/accounts/status'
import { botAccounts } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { freePort } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { drivers } from '../support/test-db'

const row = (name: string, change: Partial<AccountRow> = {}): AccountRow => ({
  name,
  label: name,
  puppet: 'wechaty-puppet-service',
  endpoint: `10.0.0.1:${name.length}`,
  tokenEnv: `TOKEN_${name.toUpperCase()}`,
  enabled: true,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...change,
})

describe('which accounts a bot process runs, and how', () => {
  const service = {
    WECHATY_PUPPET: 'wechaty-puppet-service',
    WECHATY_PUPPET_SERVICE_TOKEN: 'env-token',
    WECHATY_PUPPET_SERVICE_ENDPOINT: '10.0.0.9:8788',
    DATA_DIR: '/var/gaizao',
  }

  it('runs a one-account deployment on the env, with no row and its old session file', () => {
    const [plan] = planAccounts(loadConfig(service), [], {})
    expect(plan).toMatchObject({
      name: 'default',
      kind: 'run',
      puppet: {
        puppet: 'wechaty-puppet-service',
        token: 'env-token',
        endpoint: '10.0.0.9:8788',
        sessionName: '/var/gaizao/wechaty-session',
      },
    })
  })

  it('runs listed accounts by their rows, each token from its variable, each with its own session', () => {
    const config = loadConfig({ ...service, BOT_ACCOUNTS: 'a,b' })
    const plans = planAccounts(config, [row('a'), row('b', { endpoint: null })], {
      TOKEN_A: 'ta',
      TOKEN_B: ' tb ',
    })
    expect(plans).toMatchObject([
      {
        name: 'a',
        kind: 'run',
        puppet: { token: 'ta', endpoint: '10.0.0.1:1', sessionName: '/var/gaizao/wechaty-session-a' },
      },
      // No endpoint on the row: the env's.
      { name: 'b', kind: 'run', puppet: { token: 'tb', endpoint: '10.0.0.9:8788' } },
    ])
  })

  it('says in words what is wrong with an account it cannot run, and runs the rest', () => {
    const config = loadConfig({ ...service, BOT_ACCOUNTS: 'a,b,c,d,e,f' })
    const plans = planAccounts(
      config,
      [
        row('a'),
        row('b'),
        row('c', { tokenEnv: null }),
        row('d', { puppet: 'wechaty-puppet-mock' }),
        row('e', { enabled: false }),
      ],
      { TOKEN_A: 'ta', TOKEN_B: '  ' },
    )
    const by = Object.fromEntries(plans.map((p) => [p.name, p]))
    expect(by.a).toMatchObject({ kind: 'run' })
    expect(by.b).toMatchObject({
      kind: 'idle',
      state: 'misconfigured',
      detail: expect.stringContaining('TOKEN_B 未设置'),
    })
    expect(by.c).toMatchObject({ state: 'misconfigured', detail: expect.stringContaining('环境变量名') })
    expect(by.d).toMatchObject({
      state: 'misconfigured',
      detail: expect.stringContaining('wechaty-puppet-mock'),
    })
    expect(by.e).toMatchObject({ state: 'stopped', detail: expect.stringContaining('已停用') })
    // Two names and no row for f: it cannot be the env's one account.
    expect(by.f).toMatchObject({
      state: 'misconfigured',
      detail: expect.stringContaining('不在机器人账号表'),
    })
  })

  it('runs every enabled row for *, and a changed token restarts the account (its signature changes)', () => {
    const config = loadConfig({ ...service, BOT_ACCOUNTS: '*' })
    const rows = [row('b'), row('a'), row('z', { enabled: false })]
    const plans = planAccounts(config, rows, { TOKEN_A: 'ta', TOKEN_B: 'tb' })
    expect(plans.map((p) => p.name)).toEqual(['b', 'a'])
    const again = planAccounts(config, rows, { TOKEN_A: 'ta2', TOKEN_B: 'tb' })
    expect(again[0]!.signature).toBe(plans[0]!.signature)
    expect(again[1]!.signature).not.toBe(plans[1]!.signature)
  })
})

describe('operator alerts with several accounts', () => {
  it('alerts once per account that is down, naming it, and once when it is back', async () => {
    const deps = await createTestDeps('pglite')
    try {
      const config = {
        ...deps.config,
        alerts: { webhookUrl: 'http://127.0.0.1:1/hook', afterMs: 5 * 60_000 },
      }
      const posted: string[] = []
      const since = deps.clock.now().toISOString()
      const statuses: BotStatus[] = [
        { account: 'a', puppet: 'p', state: 'online', since, loggedIn: true },
        { account: 'b', puppet: 'p', state: 'connecting', since, detail: '连接中断', loggedIn: false },
        {
          account: 'c',
          puppet: 'p',
          state: 'misconfigured',
          since,
          detail: '环境变量 TOKEN_C 未设置',
          loggedIn: false,
        },
      ]
      const alerts = startAlerts(
        { ...deps, config },
        { status: () => statuses[0]!, accounts: () => statuses },
        {
          checkMs: 3_600_000,
          post: async (body) => {
            posted.push((body as { text: { content: string } }).text.content)
          },
        },
      )
      deps.clock.advance(5 * 60_000)
      await alerts.check()
      await alerts.check()
      expect(posted).toHaveLength(2)
      expect(posted[0]).toContain('机器人账号 b 未连接已 5 分钟')
      expect(posted[1]).toContain('机器人账号 c 配置有误已 5 分钟')
      expect(posted[1]).toContain('TOKEN_C')
      statuses[1] = {
        ...statuses[1]!,
        state: 'online',
        since: deps.clock.now().toISOString(),
        loggedIn: true,
      }
      await alerts.check()
      expect(posted).toHaveLength(3)
      expect(posted[2]).toContain('机器人账号 b 已恢复在线')
      alerts.stop()
    } finally {
      await deps.database.close()
    }
  })
})

describe.each(drivers)('bot_status on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const status = (holder: string, state: string) => ({
    account: 'acct',
    holder,
    state,
    stateSince: new Date(),
    detail: null,
  })

  it("is written by the lease's holder, never overwritten by a standby, and taken over once the lease lapses", async () => {
    expect(await acquireLease(deps.db, 'acct', 'p1', 60_000)).toEqual({ held: true })
    expect(await reportBotStatus(deps.db, status('p1', 'online'))).toBe(true)
    // A standby waiting for the lease, or a misconfigured process, does not hide the serving one.
    expect(await reportBotStatus(deps.db, status('p2', 'waiting_lease'))).toBe(false)
    expect(await reportBotStatus(deps.db, status('p3', 'misconfigured'))).toBe(false)
    const [kept] = await readBotStatus(deps.db)
    expect(kept).toMatchObject({ account: 'acct', holder: 'p1', state: 'online' })
    // The holder's own changes always land.
    expect(await reportBotStatus(deps.db, status('p1', 'connecting'))).toBe(true)
    // Its lease lapses (it died): the next process's word counts.
    expect(await acquireLease(deps.db, 'acct', 'p1', 1)).toEqual({ held: true })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await reportBotStatus(deps.db, status('p2', 'waiting_lease'))).toBe(true)
    expect(await acquireLease(deps.db, 'acct', 'p2', 60_000)).toEqual({ held: true })
    expect(await reportBotStatus(deps.db, status('p2', 'online'))).toBe(true)
    const [now] = await readBotStatus(deps.db)
    expect(now).toMatchObject({ holder: 'p2', state: 'online' })
    // Each report refreshes reported_at.
    const before = now!.reportedAt.getTime()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await reportBotStatus(deps.db, status('p2', 'online'))
    const [after] = await readBotStatus(deps.db)
    expect(after!.reportedAt.getTime()).toBeGreaterThan(before)
  })
})

/**
 * The fleet in one process, over a real gRPC gateway: `*` runs every enabled row and follows the table as
 * it changes (a new account starts, a disabled one stops and says so), with a misconfigured one beside.
 */
describe('a bot process running every account of bot_accounts', () => {
  let deps: TestDeps
  let gateway: Gateway
  let dataDir: string
  beforeAll(async () => {
    gateway = await startGateway({ port: await freePort(), botId: 'wxid_fleet_bot', heartbeatMs: 2_000 })
    dataDir = mkdtempSync(join(tmpdir(), 'gaizao-fleet-'))
    deps = await createTestDeps('pglite', {
      env: {
        ...gateway.env,
        BOT_ACCOUNTS: '*',
        DATA_DIR: dataDir,
        BOT_LEASE_SECONDS: '5',
        QUIET_HOURS: 'off',
      },
    })
  }, 60_000)
  afterAll(async () => {
    await gateway?.close()
    await deps?.database.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const until = async (condition: () => Promise<boolean> | boolean, what: string, ms = 30_000) => {
    const deadline = Date.now() + ms
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const reported = async (account: string) =>
    (await readBotStatus(deps.db)).find((r) => r.account === account)?.state

  it('starts new rows, stops disabled ones, and reports each', async () => {
    await deps.db.insert(botAccounts).values([
      {
        name: 'one',
        label: '一号',
        puppet: 'wechaty-puppet-service',
        endpoint: gateway.endpoint,
        tokenEnv: 'FLEET_ONE_TOKEN',
      },
      { name: 'two', label: '二号', puppet: 'wechaty-puppet-service', tokenEnv: 'FLEET_TWO_TOKEN' },
    ])
    const bot = await createBot(deps, {
      env: { FLEET_ONE_TOKEN: gateway.token },
      rereadMs: 200,
      exit: () => {
        throw new Error('the bot must not exit')
      },
    })
    try {
      await until(() => bot.status().state === 'online', 'account one online')
      expect(bot.accounts().map((s) => [s.account, s.state])).toEqual([
        ['one', 'online'],
        ['two', 'misconfigured'],
      ])
      expect(bot.accounts()[1]!.detail).toContain('FLEET_TWO_TOKEN')
      await until(async () => (await reported('one')) === 'online', 'one reported online')
      expect(await reported('two')).toBe('misconfigured')

      // A new row: taken up at the next read (here without its token, so said to be misconfigured).
      await deps.db
        .insert(botAccounts)
        .values({ name: 'three', label: '三号', puppet: 'wechaty-puppet-wechat4u', enabled: false })
      await deps.db
        .update(botAccounts)
        .set({ enabled: true, puppet: 'wechaty-puppet-service', tokenEnv: 'FLEET_THREE_TOKEN' })
        .where(eq(botAccounts.name, 'three'))
      await until(() => bot.accounts().some((s) => s.account === 'three'), 'account three taken up')
      expect(bot.accounts().find((s) => s.account === 'three')).toMatchObject({ state: 'misconfigured' })
      expect(bot.status().state).toBe('online')

      // Disabled: stopped within a re-read, and reported so.
      await deps.db.update(botAccounts).set({ enabled: false }).where(eq(botAccounts.name, 'one'))
      await until(() => !bot.accounts().some((s) => s.account === 'one'), 'account one stopped')
      await until(async () => (await reported('one')) === 'stopped', 'one reported stopped')
      // Enabled again: started again.
      await deps.db.update(botAccounts).set({ enabled: true }).where(eq(botAccounts.name, 'one'))
      await until(
        () => bot.accounts().find((s) => s.account === 'one')?.state === 'online',
        'one online again',
      )
    } finally {
      await bot.stop()
    }
    expect(await reported('one')).toBe('stopped')
    expect(await reported('two')).toBe('stopped')
    expect(await reported('three')).toBe('stopped')
  }, 90_000)
})
