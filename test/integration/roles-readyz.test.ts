import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, createHealthApi } from '../../api/app'
import type { BotStatus } from '../../bot/bot'
import { loadConfig, type Role } from '../../config'
import { createTestDeps, type TestDeps } from '../support/deps'

const secret = 'roles-readyz-test-token-secret-0000000'
const metricsToken = 'roles-readyz-test-metrics-token-000000'
const offline: BotStatus = {
  account: 'default',
  puppet: 'wechaty-puppet-service',
  state: 'offline',
  since: '2026-03-02T02:00:00.000Z',
  detail: '网关断开',
  loggedIn: false,
}
const online: BotStatus = { ...offline, state: 'online', detail: undefined, loggedIn: true }

/** What each role's HTTP server answers: /readyz by role, and no API where there is none. */
describe('/readyz and the routes of each role', () => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps('pglite')
  })
  afterAll(async () => {
    await deps.database.close()
  })
  const as = (role: Role) => ({
    ...deps,
    config: loadConfig({
      ROLE: role,
      WECHATY_PUPPET: 'wechaty-puppet-service',
      WECHATY_PUPPET_SERVICE_TOKEN: 'insecure_roles',
      GAIZAO_TOKEN_SECRET: secret,
      METRICS_TOKEN: metricsToken,
    }),
  })
  const readyz = async (app: { request(path: string): Response | Promise<Response> }) => {
    const res = await app.request('/readyz')
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('ROLE=all waits for its bot, as one process always has', async () => {
    expect(await readyz(createApi(deps, { bot: { status: () => offline } }))).toMatchObject({
      status: 503,
      body: { ready: false, role: 'all', database: true, bot: { state: 'offline' } },
    })
    expect((await readyz(createApi(deps, { bot: { status: () => online } }))).status).toBe(200)
  })

  it('ROLE=api is ready when the database answers: the bot is another process', async () => {
    const app = createApi(as('api'))
    expect(await readyz(app)).toEqual({
      status: 200,
      body: { ready: true, role: 'api', database: true, bot: null },
    })
    const listed = await app.request('/api/v1/requests', {
      headers: { authorization: `Bearer ${deps.adminToken}` },
    })
    expect(listed.status).toBe(200)
  })

  it('ROLE=bot is ready once its account is logged in, and serves health, readiness and metrics only', async () => {
    let status = offline
    const app = createHealthApi(as('bot'), { bot: { status: () => status } })
    expect(await readyz(app)).toMatchObject({ status: 503, body: { ready: false, role: 'bot' } })
    status = online
    expect(await readyz(app)).toMatchObject({ status: 200, body: { ready: true, bot: { state: 'online' } } })
    expect((await app.request('/healthz')).status).toBe(200)
    const metrics = await app.request('/metrics', { headers: { authorization: `Bearer ${metricsToken}` } })
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toContain('gaizao_outbox_messages')
    expect((await app.request('/metrics')).status).toBe(401)
    for (const path of ['/api/v1/requests', '/console', '/api/openapi.json', '/sandbox', '/']) {
      const res = await app.request(path)
      expect(res.status, path).toBe(404)
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } })
    }
  })

  it('ROLE=jobs is ready when the database answers, and has no API either', async () => {
    const app = createHealthApi(as('jobs'))
    expect(await readyz(app)).toEqual({
      status: 200,
      body: { ready: true, role: 'jobs', database: true, bot: null },
    })
    expect((await app.request('/api/v1/requests')).status).toBe(404)
  })
})
