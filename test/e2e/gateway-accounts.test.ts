import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBotStatus } from '../../core/accounts/status'
import { botAccounts } from '../../db/schema'
import { freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { bindWorld } from '../support/gateway-world'
import { createTestDatabase } from '../support/test-db'

type World = Awaited<ReturnType<typeof bindWorld>>

/**
 * One Gaizao process runs two bot accounts (a and b, each on its own gRPC gateway, each named in
 * bot_accounts with its token in an env variable) and a third whose token variable is unset. Each account
 * logs in, reports itself in bot_status, and answers in its own groups through its own gateway; the third
 * is `misconfigured` and nobody else minds. A second process with the same accounts waits for their leases
 * and takes each over when the first dies (SIGKILL). The single-account take-over is gateway-lease.test.ts.
 * Needs PostgreSQL (TEST_DATABASE_URL): several processes share it.
 */
describe.runIf(Boolean(process.env.TEST_DATABASE_URL))(
  'several bot accounts in one process (needs PostgreSQL)',
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>
    const gateways: Record<'a' | 'b', Gateway> = {} as never
    const processes: GaizaoProcess[] = []
    let env: Record<string, string>
    let first: GaizaoProcess
    const worlds: Partial<Record<'a' | 'b', World>> = {}

    const statuses = async () =>
      Object.fromEntries((await readBotStatus(database.db)).map((row) => [row.account, row]))
    const holderOf = (p: GaizaoProcess) => `:${p.child.pid}:`

    beforeAll(async () => {
      database = await createTestDatabase('postgres')
      // Two WeChat accounts, as two real ones are: their own ids and names (a mention names the one meant).
      gateways.a = await startGateway({
        port: await freePort(),
        botId: 'wxid_bot_account_a',
        botName: '改造助手东一',
      })
      gateways.b = await startGateway({
        port: await freePort(),
        botId: 'wxid_bot_account_b',
        botName: '改造助手东二',
      })
      await database.db.insert(botAccounts).values([
        {
          name: 'a',
          label: '东城一号',
          puppet: 'wechaty-puppet-service',
          endpoint: gateways.a.endpoint,
          tokenEnv: 'GAIZAO_ACCOUNT_A_TOKEN',
        },
        {
          name: 'b',
          label: '东城二号',
          puppet: 'wechaty-puppet-service',
          endpoint: gateways.b.endpoint,
          tokenEnv: 'GAIZAO_ACCOUNT_B_TOKEN',
        },
        {
          name: 'c',
          label: '东城三号',
          puppet: 'wechaty-puppet-service',
          endpoint: '127.0.0.1:1',
          tokenEnv: 'GAIZAO_ACCOUNT_C_TOKEN',
        },
      ])
      env = {
        DATABASE_URL: database.url!,
        WECHATY_PUPPET: 'wechaty-puppet-service',
        // The env's own account is not run (every account here has a row); the setting requires a token.
        WECHATY_PUPPET_SERVICE_TOKEN: 'insecure_not-used',
        WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true',
        BOT_ACCOUNTS: 'a,b,c',
        GAIZAO_ACCOUNT_A_TOKEN: gateways.a.token,
        GAIZAO_ACCOUNT_B_TOKEN: gateways.b.token,
        BOT_LEASE_SECONDS: '6',
      }
      first = await startGaizaoProcess(env)
      processes.push(first)
    }, 120_000)

    afterAll(async () => {
      for (const p of processes) await p.cleanup()
      await gateways.a?.close()
      await gateways.b?.close()
      await database?.close()
      if (process.env.GATEWAY_E2E_LOG)
        for (const p of processes) process.stdout.write(`${p.lines.join('\n')}\n`)
    })

    it('logs both accounts in, each reporting online in bot_status', async () => {
      await first.until(
        async () => {
          const rows = await statuses()
          return rows.a?.state === 'online' && rows.b?.state === 'online'
        },
        'accounts a and b online in bot_status',
        90_000,
      )
      const rows = await statuses()
      expect(rows.a).toMatchObject({ selfId: 'wxid_bot_account_a', detail: null })
      expect(rows.b).toMatchObject({ selfId: 'wxid_bot_account_b', detail: null })
      for (const row of [rows.a!, rows.b!]) expect(row.holder).toContain(holderOf(first))
      // The first account is the process's own status.
      expect((await first.readyz()).status).toBe(200)
    }, 120_000)

    it('says an account whose token variable is unset is misconfigured, once, and runs the others', async () => {
      await first.until(
        async () => (await statuses()).c?.state === 'misconfigured',
        'c misconfigured',
        30_000,
      )
      const c = (await statuses()).c!
      expect(c.detail).toContain('GAIZAO_ACCOUNT_C_TOKEN')
      const told = first.lines.filter((l) => l.includes('bot account not run') && l.includes('"account":"c"'))
      expect(told).toHaveLength(1)
      expect(told[0]).toContain('GAIZAO_ACCOUNT_C_TOKEN')
      // Not a crash, and not a reason to stop the others.
      expect(first.child.exitCode).toBeNull()
      expect((await statuses()).a?.state).toBe('online')
    }, 60_000)

    it("answers in each account's groups through that account's gateway only", async () => {
      worlds.a = await bindWorld(first, gateways.a)
      worlds.b = await bindWorld(first, gateways.b)
      for (const [name, other] of [
        ['a', 'b'],
        ['b', 'a'],
      ] as const) {
        const world = worlds[name]!
        const after = Date.now()
        gateways[name].say(world.resident, `${name} 区3号楼楼道灯坏了，晚上黑乎乎的`, {
          room: world.residentsRoom,
          mention: true,
        })
        const reply = await gateways[name].waitForSaid(
          (m) => m.roomId === world.residentsRoom.id && /Q\d+/.test(m.text),
          { after },
        )
        world.number = /Q\d+/.exec(reply.text)![0]
        const elsewhere = gateways[other].said().filter((m) => m.roomId === world.residentsRoom.id)
        expect(elsewhere, `account ${other} spoke in ${name}'s group`).toEqual([])
      }
      // Nothing failed for want of the right account.
      for (const status of ['failed', 'uncertain']) {
        const rows = await first.api('GET', `/outbox?status=${status}`)
        expect(rows.body.items, `${status} rows`).toEqual([])
      }
    }, 120_000)

    it('keeps a second process waiting for both leases, and lets it take each over when the first dies', async () => {
      const second = await startGaizaoProcess(env)
      processes.push(second)
      const waiting = (account: string) =>
        second.lines.some(
          (l) => l.includes('another process holds this bot account') && l.includes(`"account":"${account}"`),
        )
      await second.until(() => waiting('a') && waiting('b'), 'the second process waiting for a and b', 90_000)
      expect((await second.readyz()).body.bot?.state).toBe('waiting_lease')
      // The standby does not hide the state of the process serving the accounts.
      const before = await statuses()
      expect(before.a).toMatchObject({ state: 'online' })
      expect(before.a?.holder).toContain(holderOf(first))
      expect(before.b?.holder).toContain(holderOf(first))

      await first.stop('SIGKILL')
      const tookOver = await second.until(
        async () => {
          const rows = await statuses()
          return (['a', 'b'] as const).every(
            (name) => rows[name]?.state === 'online' && rows[name]?.holder.includes(holderOf(second)),
          )
        },
        'the second process online with a and b',
        60_000,
      )
      process.stdout.write(`both leases taken over ${tookOver} ms after the holder was killed\n`)
      // A 6 s lease checked every 2 s: each account is taken over within about 8 s of the death, plus the login.
      expect(tookOver).toBeLessThan(20_000)
      expect(second.lines.filter((l) => l.includes('lease taken over')).length).toBeGreaterThanOrEqual(2)

      // And it speaks for each account, through each account's own gateway.
      for (const name of ['a', 'b'] as const) {
        const world = worlds[name]!
        const after = Date.now()
        gateways[name].say(world.resident, `进度 ${world.number}`, {
          room: world.residentsRoom,
          mention: true,
        })
        await gateways[name].waitForSaid(
          (m) => m.roomId === world.residentsRoom.id && m.text.includes(world.number),
          { after, timeoutMs: 30_000 },
        )
      }
    }, 180_000)
  },
)
