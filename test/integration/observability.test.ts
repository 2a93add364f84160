import { createHash } from 'node:crypto'
import { OpenAPIHono } from '@hono/zod-openapi'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { createErrorHandler } from '../../api/errors'
import { accessLog, assignRequestId, requestIdInErrors } from '../../api/observability'
import { createSandboxWorld } from '../../bot/sandbox/sandbox-world'
import { createLog } from '../../core/shared/log'
import { hashToken } from '../../core/shared/tokens'
import { createTestDeps, type TestDeps } from '../support/deps'
import { drivers } from '../support/test-db'

const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } })

function recordingLog() {
  const lines: Record<string, unknown>[] = []
  const raw: string[] = []
  const log = createLog('debug', (line) => {
    raw.push(line)
    lines.push(JSON.parse(line))
  })
  return { log, lines, raw }
}

describe.each(drivers)('observability and headers on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  describe('request ids and the access log', () => {
    it('gives every answer an X-Request-Id, keeps a short safe one from the caller, and puts it in error bodies', async () => {
      const app = createApi(deps)
      const ok = await app.request('/healthz')
      expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      const mine = await app.request('/api/v1/me', { headers: { 'x-request-id': 'trace-42_a=b' } })
      expect(mine.status).toBe(401)
      expect(mine.headers.get('x-request-id')).toBe('trace-42_a=b')
      expect(await mine.json()).toEqual({
        error: {
          code: 'auth.missing',
          message: expect.stringContaining('缺少访问令牌'),
          requestId: 'trace-42_a=b',
        },
      })
      for (const unsafe of ['has space', 'x'.repeat(65), '<script>']) {
        const res = await app.request('/nowhere', { headers: { 'x-request-id': unsafe } })
        const id = res.headers.get('x-request-id')
        expect(id).not.toBe(unsafe)
        expect(((await res.json()) as { error: { requestId: string } }).error.requestId).toBe(id)
      }
    })

    it('logs each request once at info without query values, and probes only at debug', async () => {
      const { log, lines } = recordingLog()
      const app = createApi({ ...deps, log })
      const res = await app.request('/api/v1/requests?q=13501010001&token=gz_secret', {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      await app.request('/healthz')
      const requestLines = lines.filter((l) => l.msg === 'request')
      expect(requestLines).toEqual([
        expect.objectContaining({
          level: 'info',
          method: 'GET',
          path: '/api/v1/requests',
          queryKeys: 'q,token',
          status: res.status,
          ms: expect.any(Number),
          requestId: res.headers.get('x-request-id'),
        }),
        expect.objectContaining({ level: 'debug', path: '/healthz', status: 200 }),
      ])
      const text = JSON.stringify(lines)
      expect(text).not.toContain('13501010001')
      expect(text).not.toContain('gz_secret')
      const quiet = createApi({ ...deps, log: createLog('info', (l) => lines.push(JSON.parse(l))) })
      const before = lines.length
      await quiet.request('/healthz')
      expect(lines.length).toBe(before)
    })

    it("logs a failed query with the request's id and without its parameters", async () => {
      const { log, lines, raw } = recordingLog()
      const token = 'gz_a-token-that-must-not-be-logged-0123'
      const secretHash = hashToken(token)
      const app = new OpenAPIHono()
      app.use('*', assignRequestId())
      app.use('*', accessLog(log))
      app.use('*', requestIdInErrors())
      app.onError(createErrorHandler(log))
      app.get('/boom', async () => {
        await deps.db.execute(sql`select * from staff where token_hash = ${secretHash} and id = ${'x'}::int`)
        return new Response('unreachable')
      })
      const res = await app.request('/boom')
      expect(res.status).toBe(500)
      const id = res.headers.get('x-request-id')
      expect(await res.json()).toEqual({
        error: { code: 'internal', message: '服务器内部错误，请稍后重试。', requestId: id },
      })
      const failure = lines.find((l) => l.msg === 'unhandled API error')
      expect(failure).toMatchObject({ level: 'error', requestId: id, path: '/boom' })
      expect(JSON.stringify(failure)).toContain('select * from staff where token_hash = $1')
      expect(raw.join('')).not.toContain(secretHash.slice(5))
    })
  })

  describe('security headers', () => {
    const expectBaseline = (res: Response) => {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('referrer-policy')).toBe('same-origin')
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    }

    it('sends them on JSON answers, the API docs and the sandbox, each with a policy its page works under', async () => {
      const app = createApi(deps, { sandbox: createSandboxWorld(deps.config.botName) })
      const json = await app.request('/api/v1/me', {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      expectBaseline(json)
      expect(json.headers.get('content-security-policy')).toContain("default-src 'none'")
      expectBaseline(await app.request('/nowhere'))

      const docs = await app.request('/api/docs')
      expectBaseline(docs)
      const docsPolicy = docs.headers.get('content-security-policy')!
      expect(docsPolicy).toContain("script-src 'self'")
      expect(docsPolicy).not.toMatch(/script-src[^;]*unsafe-inline/)
      expect(docsPolicy).toContain("connect-src 'self'")
      const docsHtml = await docs.text()
      // Every script is a file of its own: nothing inline for the policy to block.
      expect(docsHtml.match(/<script>/g)).toBeNull()
      const init = await app.request('/api/docs/init.js')
      expect(init.status).toBe(200)
      expect(docsHtml).toContain('data-spec="/api/openapi.json"')
      expect(await init.text()).toContain('SwaggerUIBundle(')
      expectBaseline(await app.request('/api/docs/swagger-ui-bundle.js'))

      const sandbox = await app.request('/sandbox')
      expectBaseline(sandbox)
      const policy = sandbox.headers.get('content-security-policy')!
      const html = await sandbox.text()
      const hashOf = (tag: string) => {
        const body = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)![1]!
        return `'sha256-${createHash('sha256').update(body).digest('base64')}'`
      }
      expect(policy).toContain(`script-src ${hashOf('script')}`)
      expect(policy).toContain(`style-src ${hashOf('style')}`)
      expect(policy).toContain("connect-src 'self'")
      expectBaseline(await app.request('/sandbox/api/state'))

      // The console keeps its own policy.
      const login = await app.request('/console/login')
      expect(login.headers.get('content-security-policy')).toContain("style-src 'unsafe-inline'")
    })
  })

  describe('/metrics', () => {
    it('without METRICS_TOKEN answers this machine only, and not through a proxy on it', async () => {
      const app = createApi(deps)
      const local = await app.request('/metrics', {}, from('127.0.0.1'))
      expect(local.status).toBe(200)
      expect(await local.text()).toContain('gaizao_outbox_messages')
      expect((await app.request('/metrics', {}, from('::1'))).status).toBe(200)
      expect((await app.request('/metrics', {}, from('::ffff:127.0.0.1'))).status).toBe(200)
      const remote = await app.request('/metrics', {}, from('203.0.113.9'))
      expect(remote.status).toBe(403)
      expect(((await remote.json()) as { error: { message: string } }).error.message).toContain(
        'METRICS_TOKEN',
      )
      const proxied = await app.request(
        '/metrics',
        { headers: { 'x-forwarded-for': '203.0.113.9' } },
        from('127.0.0.1'),
      )
      expect(proxied.status).toBe(403)
      expect((await app.request('/metrics/', {}, from('203.0.113.9'))).status).toBe(403)
    })

    it('with METRICS_TOKEN wants that Bearer token, from anywhere', async () => {
      const metricsToken = 'm'.repeat(40)
      const app = createApi({ ...deps, config: { ...deps.config, metricsToken } })
      const ask = (headers: Record<string, string>, ip = '203.0.113.9') =>
        app.request('/metrics', { headers }, from(ip))
      expect((await ask({})).status).toBe(401)
      expect((await ask({}, '127.0.0.1')).status).toBe(401)
      expect((await ask({ authorization: `Bearer ${'n'.repeat(40)}` })).status).toBe(401)
      expect((await ask({ authorization: `Bearer ${deps.adminToken}` })).status).toBe(401)
      const ok = await ask({ authorization: `Bearer ${metricsToken}` })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toContain('gaizao_bot_logged_in')
    })
  })
})
