import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseEnv, freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { bindWorld } from '../support/gateway-world'

/** A process without the API: no bot (api, jobs) needs no token, but a real puppet (the sandbox is one process). */
const noBot = { WECHATY_PUPPET: 'wechaty-puppet-service' }
/** So high that only a LISTEN/NOTIFY wake-up can make a bot process send soon after an enqueue elsewhere. */
const slowPoll = { OUTBOX_POLL_MS: '30000' }

async function get(gaizao: GaizaoProcess, path: string) {
  const res = await fetch(`${gaizao.base}${path}`, {
    headers: { authorization: 'Bearer gateway-e2e-admin-token-0123456789' },
  })
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {}
  return { status: res.status, body, text }
}

describe('process roles: a bad combination', () => {
  it('refuses to run the sandbox outside ROLE=all, saying why, before touching a database', async () => {
    const gaizao = await startGaizaoProcess({ ROLE: 'bot' })
    try {
      const exit = await gaizao.exited
      expect(exit.code).toBe(1)
      expect(gaizao.lines.join('\n')).toMatch(/ROLE: bot needs a real puppet .*ROLE=all only/)
    } finally {
      await gaizao.cleanup()
    }
  })
})

/**
 * The split deployment: an API process, a bot process and a jobs process against one PostgreSQL, the bot on
 * a real gRPC gateway. Each serves only its part; a request filed through the API process is sent by the bot
 * process, woken through LISTEN/NOTIFY long before its (30 s) poll. Needs PostgreSQL (TEST_DATABASE_URL).
 */
describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('process roles against one PostgreSQL', () => {
  let gateway: Gateway
  let api: GaizaoProcess
  let bot: GaizaoProcess
  let jobs: GaizaoProcess
  let sql: postgres.Sql
  let closeDatabase = async () => {}
  const measured: Record<string, number> = {}

  beforeAll(async () => {
    const database = await databaseEnv('postgres')
    closeDatabase = database.close
    sql = postgres(database.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
    gateway = await startGateway({ port: await freePort() })
    ;[api, bot, jobs] = await Promise.all([
      startGaizaoProcess({ ...database.env, ...noBot, ...slowPoll, ROLE: 'api' }),
      startGaizaoProcess({ ...database.env, ...gateway.env, ...slowPoll, ROLE: 'bot' }),
      startGaizaoProcess({ ...database.env, ...noBot, ...slowPoll, ROLE: 'jobs' }),
    ])
    for (const gaizao of [api, bot, jobs]) {
      await gaizao.until(async () => (await gaizao.readyz()).status === 200, 'the process ready', 90_000)
    }
  }, 180_000)

  afterAll(async () => {
    for (const gaizao of [api, bot, jobs]) await gaizao?.cleanup()
    await gateway?.close()
    await sql?.end({ timeout: 1 })
    await closeDatabase()
    process.stdout.write(`roles e2e: ${JSON.stringify(measured)}\n`)
    if (process.env.ROLES_E2E_LOG) {
      for (const [name, gaizao] of Object.entries({ api, bot, jobs })) {
        process.stdout.write(`--- ${name}\n${gaizao?.lines.join('\n')}\n`)
      }
    }
  })

  const leaseHolders = async () =>
    (await sql<{ holder: string }[]>`select holder from bot_leases`).map((r) => r.holder)
  const holdsLease = async (gaizao: GaizaoProcess) =>
    (await leaseHolders()).some((holder) => holder.includes(`:${gaizao.child.pid}:`))

  it('runs the bot in the bot process only: it holds the lease and serves health, readiness and metrics', async () => {
    expect(await holdsLease(bot)).toBe(true)
    const ready = await get(bot, '/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body).toMatchObject({ ready: true, role: 'bot', database: true, bot: { state: 'online' } })
    expect((await get(bot, '/healthz')).status).toBe(200)
    const metrics = await get(bot, '/metrics')
    expect(metrics.status).toBe(200)
    expect(metrics.text).toContain('gaizao_outbox_messages')
    // No API, console or docs here: those are the API processes'.
    for (const path of ['/api/v1/requests', '/api/v1/bot', '/console', '/api/openapi.json', '/sandbox']) {
      expect((await get(bot, path)).status, path).toBe(404)
    }
  })

  it('answers the API in the API process, which takes no bot lease and is ready without a bot', async () => {
    const ready = await get(api, '/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body).toMatchObject({ ready: true, role: 'api', database: true, bot: null })
    const requests = await api.api('GET', '/requests')
    expect(requests.status, requests.text).toBe(200)
    expect((await get(api, '/api/openapi.json')).status).toBe(200)
    expect(await holdsLease(api)).toBe(false)
    // It runs no bot, so it reports none: the only account status is the bot process's.
    const statuses = await sql<{ holder: string }[]>`select holder from bot_status`
    expect(statuses.length).toBeGreaterThan(0)
    expect(statuses.every((s) => s.holder.includes(`:${bot.child.pid}:`))).toBe(true)
  })

  it('runs the jobs in the jobs process only, which takes no lease and serves no API', async () => {
    const ready = await get(jobs, '/readyz')
    expect(ready.status).toBe(200)
    expect(ready.body).toMatchObject({ ready: true, role: 'jobs', database: true, bot: null })
    expect((await get(jobs, '/api/v1/requests')).status).toBe(404)
    expect((await get(jobs, '/console')).status).toBe(404)
    expect(await holdsLease(jobs)).toBe(false)
    // The overdue scan runs each minute, recorded per run: one run a minute means one process runs it.
    await jobs.until(
      async () =>
        (await sql`select 1 from job_runs where job = 'overdue-scan' and finished_at is not null`).length > 0,
      'an overdue scan',
      75_000,
    )
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const perMinute = await sql<{ n: number }[]>`
      select count(*)::int as n from job_runs where job = 'overdue-scan'
      group by date_trunc('minute', started_at)`
    expect(perMinute.length).toBeGreaterThan(0)
    expect(perMinute.every((m) => m.n === 1)).toBe(true)
  }, 90_000)

  it('sends what the API process enqueued from the bot process, woken through LISTEN/NOTIFY', async () => {
    // Bound by chat (the bot process answers), with staff and areas made through the API process.
    const world = await bindWorld(api, gateway)
    for (const text of ['3号楼门口路灯不亮', '5号楼楼道扶手松动']) {
      const filedAt = Date.now()
      const filed = await api.api(
        'POST',
        '/requests',
        { xiaoquId: world.xiaoquId, text, channel: 'phone', residentName: '王建国' },
        world.officerToken,
      )
      expect(filed.status, filed.text).toBe(201)
      const number = filed.body.number as string
      const [row] = await sql<{ status: string }[]>`
        select status from outbox where text like ${`%${number}%`} order by id limit 1`
      expect(row).toBeDefined()
      // The poll is 30 s: a send within 10 s means the notify woke the sender in the other process.
      const said = await gateway.waitForSaid(
        (m) => m.roomId === world.officersRoom.id && m.text.includes(number),
        { after: filedAt, timeoutMs: 10_000 },
      )
      measured[`sentAfterFilingMs_${number}`] = said.at - filedAt
    }
    // Sent by the bot process's account, once each.
    const sent = await sql<{ sentBy: string | null; n: number }[]>`
      select sent_by as "sentBy", count(*)::int as n from outbox where status = 'sent' group by sent_by`
    expect(sent.map((r) => r.sentBy)).toEqual(['default'])
  }, 120_000)
})
