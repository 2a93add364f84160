import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { createGuards } from '../../api/guard'
import { createSandboxWorld } from '../../bot/sandbox/sandbox-world'
import { formatShanghai } from '../../core/shared/time'
import { legacyTokenHash, loadTokenSecret } from '../../core/shared/tokens'
import { bindLockMs } from '../../core/staff/bind-attempts'
import { staff } from '../../db/schema'
import { say } from '../support/chat'
import { Browser } from '../support/console'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld, newcomerWithBindCode, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const MB = 1024 * 1024

/** What `getConnInfo` reads on a request from `address`, as @hono/node-server passes it. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } })

describe.each(drivers)('limits on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  let now = 0
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps, {
      sandbox: createSandboxWorld(deps.config.botName),
      guards: createGuards(() => now),
    })
  })
  afterAll(async () => {
    await deps.database.close()
  })
  // Each test starts a fresh hour: what an earlier test counted has left every window.
  beforeEach(() => {
    now += 24 * 3_600_000
  })

  const call = (path: string, init: RequestInit & { token?: string; ip?: string } = {}) => {
    const headers = new Headers(init.headers)
    if (init.token) headers.set('authorization', `Bearer ${init.token}`)
    return app.request(path, { ...init, headers }, from(init.ip ?? '198.51.100.7'))
  }

  describe('request bodies', () => {
    it('refuses a JSON body over 1 MB with 413 in the error envelope, in Chinese', async () => {
      const body = JSON.stringify({ kind: 'district', name: 'x'.repeat(MB) })
      const res = await call('/api/v1/areas', {
        method: 'POST',
        token: deps.adminToken,
        headers: { 'content-type': 'application/json' },
        body,
      })
      expect(res.status).toBe(413)
      const answer = (await res.json()) as { error: { code: string; message: string; requestId: string } }
      expect(answer.error).toMatchObject({ code: 'http.413', message: '请求体过大（上限 1 MB）。' })
      expect(answer.error.requestId).toBe(res.headers.get('x-request-id'))
      // Under the limit the body is read and judged on its merits.
      const fine = await call('/api/v1/areas', {
        method: 'POST',
        token: deps.adminToken,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'district', name: 'x'.repeat(900 * 1024) }),
      })
      expect(fine.status).toBe(400)
    })

    it('lets an attachment and a households CSV be larger than 1 MB, up to their own limits', async () => {
      const world = await makeWorld(deps)
      const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2 * MB, 0x20)])
      const upload = await call('/api/v1/attachments?name=plan.pdf', {
        method: 'POST',
        token: world.officer.token,
        headers: { 'content-type': 'application/pdf' },
        body: pdf,
      })
      expect(upload.status).toBe(201)
      const tooBig = await call('/api/v1/attachments?name=plan.pdf', {
        method: 'POST',
        token: world.officer.token,
        headers: { 'content-type': 'application/pdf' },
        body: Buffer.concat([pdf, Buffer.alloc(deps.config.attachmentMaxBytes)]),
      })
      expect(tooBig.status).toBe(413)
      expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('attachments.too_large')
      const csv = `room,name,area\n${'1号楼1单元101,张三,80\n'.repeat(Math.ceil((2 * MB) / 24))}`
      const imported = await call(`/api/v1/xiaoqu/${world.xiaoqu.id}/households.csv`, {
        method: 'POST',
        token: world.officer.token,
        headers: { 'content-type': 'text/csv' },
        body: csv,
      })
      expect(imported.status).not.toBe(413)
    })

    it('keeps the open sandbox to 16 KB a message', async () => {
      const res = await call('/sandbox/api/say', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'bot', from: '张桂兰', text: '长'.repeat(6_000) }),
      })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
        '请求体过大（上限 16 KB）。',
      )
    })

    describe('over a real socket', () => {
      let server: ReturnType<typeof serve>
      let port: number
      beforeAll(async () => {
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
        await once(server, 'listening')
        port = (server.address() as AddressInfo).port
      })
      afterAll(async () => {
        if ('closeAllConnections' in server) server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      })

      const open = (headers: Record<string, string>) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/sandbox/api/say',
          headers,
        })
        req.on('error', () => {})
        const answered = once(req, 'response').then(async ([res]) => {
          let text = ''
          for await (const chunk of res) text += chunk
          return { status: res.statusCode as number, text }
        })
        return { req, answered }
      }

      it('answers 413 to a declared 400 MB body after reading none of it', async () => {
        const { req, answered } = open({
          'content-type': 'application/json',
          'content-length': String(400 * MB),
        })
        req.write('{"to":"bot","from":"张桂兰","text":"')
        const { status, text } = await answered
        req.destroy()
        expect(status).toBe(413)
        expect(text).toContain('请求体过大')
      })

      it('takes a body under the limit, declared or chunked, and reads it whole', async () => {
        const body = JSON.stringify({ to: 'bot', from: '张桂兰', text: '你好' })
        const ways: Record<string, string>[] = [
          { 'content-length': String(Buffer.byteLength(body)) },
          { 'transfer-encoding': 'chunked' },
        ]
        for (const headers of ways) {
          const { req, answered } = open({ 'content-type': 'application/json', ...headers })
          // In two writes, so a chunked body arrives in two chunks.
          req.write(body.slice(0, 10))
          req.end(body.slice(10))
          const { status, text } = await answered
          expect(status, text).toBe(202)
          expect(JSON.parse(text)).toMatchObject({ accepted: true })
        }
      })

      it('answers 413 to a chunked body without Content-Length once it passes the limit', async () => {
        const { req, answered } = open({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
        let done = false
        let sent = 0
        void answered.then(() => {
          done = true
        })
        const chunk = Buffer.alloc(16 * 1024, 0x20)
        // Keeps sending until answered, or up to 64 MB: a server that reads it all would answer only then.
        while (!done && sent < 64 * MB) {
          sent += chunk.length
          if (!req.write(chunk)) await Promise.race([once(req, 'drain'), answered])
        }
        if (!done) req.end()
        const { status } = await answered
        req.destroy()
        expect(status).toBe(413)
        expect(sent).toBeLessThan(32 * MB)
      })
    })
  })

  describe('failed tokens', () => {
    const wrong = (i: number) => `gz_wrong-${i}-${'x'.repeat(30)}`

    it('answers 429 with Retry-After after 10 wrong API tokens a minute from one address, even to a right one', async () => {
      const ip = '203.0.113.10'
      for (let i = 0; i < 10; i++) {
        expect(
          (await call('/api/v1/me', { token: `gz_${uniqueId('t')}${i}zzzzzzzzzzzzzzzzzzzz`, ip })).status,
        ).toBe(401)
      }
      const refused = await call('/api/v1/me', { token: deps.adminToken, ip })
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBe(60)
      const body = (await refused.json()) as { error: { code: string; message: string } }
      expect(body.error).toMatchObject({
        code: 'auth.rate_limited',
        message: '尝试次数过多，请 60 秒后再试。',
      })
      // Another address is not held back, and a missing token is no guess.
      expect((await call('/api/v1/me', { token: deps.adminToken, ip: '203.0.113.11' })).status).toBe(200)
      now += 30_000
      expect((await call('/api/v1/me', { token: deps.adminToken, ip })).headers.get('retry-after')).toBe('30')
      now += 30_000
      expect((await call('/api/v1/me', { token: deps.adminToken, ip })).status).toBe(200)
    })

    it('counts wrong tokens sharing a prefix across addresses', async () => {
      for (let i = 0; i < 10; i++) {
        expect((await call('/api/v1/me', { token: wrong(i), ip: `192.0.2.${i + 1}` })).status).toBe(401)
      }
      expect((await call('/api/v1/me', { token: wrong(99), ip: '192.0.2.200' })).status).toBe(429)
      expect((await call('/api/v1/me', { token: deps.adminToken, ip: '192.0.2.201' })).status).toBe(200)
    })

    it('believes X-Forwarded-For only with TRUST_PROXY', async () => {
      for (let i = 0; i < 10; i++) {
        await call('/api/v1/me', {
          token: `gz_${uniqueId('p')}${i}yyyyyyyyyyyyyyyyyyyy`,
          ip: '10.0.0.5',
          headers: { 'x-forwarded-for': `198.18.0.${i}` },
        })
      }
      const spoofed = await call('/api/v1/me', {
        token: deps.adminToken,
        ip: '10.0.0.5',
        headers: { 'x-forwarded-for': '198.18.1.1' },
      })
      expect(spoofed.status).toBe(429)

      const proxied = createApi(
        { ...deps, config: { ...deps.config, trustProxy: 1 } },
        { guards: createGuards(() => now) },
      )
      const via = (client: string, token: string) =>
        proxied.request(
          '/api/v1/me',
          { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `6.6.6.6, ${client}` } },
          from('127.0.0.1'),
        )
      for (let i = 0; i < 10; i++) await via('198.18.2.1', `gz_${uniqueId('q')}${i}wwwwwwwwwwwwwwwwwwww`)
      expect((await via('198.18.2.1', deps.adminToken)).status).toBe(429)
      // The proxy's other clients (and the address a client wrote itself) are not the guesser.
      expect((await via('198.18.2.2', deps.adminToken)).status).toBe(200)
    })

    it('limits console sign-in the same way, with a Chinese page and Retry-After', async () => {
      const browser = new Browser(app)
      let form = await browser.open('/console/login')
      for (let i = 0; i < 10; i++) {
        const page = await browser.post(form, '/console/login', { token: wrong(1000 + i) })
        expect(page.status).toBe(401)
        form = page
      }
      const page = await browser.post(form, '/console/login', { token: deps.adminToken })
      expect(page.status).toBe(429)
      expect(page.html).toContain('尝试次数过多，请 60 秒后再试。')
      expect(browser.cookies.has('gz_console')).toBe(false)
      now += 60_000
      const form2 = await browser.open('/console/login')
      expect((await browser.post(form2, '/console/login', { token: deps.adminToken })).status).toBe(303)
    })

    it('counts a guessed console session cookie as a wrong token', async () => {
      const guesser = new Browser(app)
      for (let i = 0; i < 10; i++) {
        guesser.cookies.set('gz_console', wrong(2000 + i))
        expect((await guesser.open('/console')).status).toBe(303)
      }
      guesser.cookies.set('gz_console', deps.adminToken)
      const page = await guesser.open('/console')
      expect(page.status).toBe(429)
      expect(page.html).toContain('尝试次数过多')
    })
  })

  describe('staff tokens at rest', () => {
    it('keeps a keyed hash (HMAC-SHA256), not the bare SHA-256 of the token', async () => {
      const made = await makeStaff(deps, { name: uniqueId('新人'), role: 'admin' })
      const [row] = await deps.db.select().from(staff).where(eq(staff.id, made.staff.id))
      expect(row!.tokenHash).toMatch(/^hmac:[0-9a-f]{64}$/)
      expect(row!.tokenHash).not.toContain(legacyTokenHash(made.token))
    })

    it('still accepts a token kept the old way, and upgrades its hash on use', async () => {
      const made = await makeStaff(deps, { name: uniqueId('老人'), role: 'admin' })
      await deps.db
        .update(staff)
        .set({ tokenHash: legacyTokenHash(made.token) })
        .where(eq(staff.id, made.staff.id))
      expect((await call('/api/v1/me', { token: made.token })).status).toBe(200)
      const [row] = await deps.db.select().from(staff).where(eq(staff.id, made.staff.id))
      expect(row!.tokenHash).toMatch(/^hmac:/)
      expect((await call('/api/v1/me', { token: made.token })).status).toBe(200)
    })

    it('makes the secret once in the data directory, readable by its owner only, and keeps it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gaizao-secret-'))
      try {
        const dataDir = join(dir, 'data')
        const first = loadTokenSecret({ dataDir })
        expect(first.length).toBeGreaterThanOrEqual(32)
        const file = join(dataDir, 'token-secret')
        expect(readFileSync(file, 'utf8').trim()).toBe(first)
        expect(statSync(file).mode & 0o777).toBe(0o600)
        expect(loadTokenSecret({ dataDir })).toBe(first)
        expect(loadTokenSecret({ dataDir, configured: 's'.repeat(32) })).toBe('s'.repeat(32))
        writeFileSync(file, 'too short')
        expect(() => loadTokenSecret({ dataDir })).toThrow('GAIZAO_TOKEN_SECRET')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('bind codes guessed in chat', () => {
    it('pauses binding for an hour after 5 wrong codes, even with the right one, and says until when', async () => {
      const world = await makeWorld(deps)
      const { newcomer, code } = await newcomerWithBindCode(deps, world)
      const guesser = uniqueId('wxid_guesser')
      for (let i = 1; i <= 4; i++) {
        const wrong = await say(deps, { senderId: guesser, senderName: '猜', text: `绑定 ZZZZZ${i + 1}` })
        expect(wrong.result).toMatchObject({ outcome: 'refused:bind.bad_code' })
        expect(wrong.reply).toContain(`还可再试 ${5 - i} 次`)
      }
      const fifth = await say(deps, { senderId: guesser, senderName: '猜', text: '绑定 ZZZZZ9' })
      expect(fifth.result).toMatchObject({ outcome: 'refused:bind.locked' })
      const until = formatShanghai(new Date(deps.clock.now().getTime() + bindLockMs))
      expect(fifth.reply).toContain('绑定码错误次数过多')
      expect(fifth.reply).toContain(until)
      expect(fifth.reply).toContain('管理员')

      // Locked: the right code is not even looked at, and stays usable.
      const right = await say(deps, { senderId: guesser, senderName: '猜', text: `绑定 ${code}` })
      expect(right.result).toMatchObject({ outcome: 'refused:bind.locked' })
      const [still] = await deps.db.select().from(staff).where(eq(staff.id, newcomer.staff.id))
      expect(still!.wechatId).toBeNull()

      // Someone else is not held back by the guesser.
      const other = await say(deps, {
        senderId: uniqueId('wxid_other'),
        senderName: '路人',
        text: '绑定 ZZZZZZ',
      })
      expect(other.result).toMatchObject({ outcome: 'refused:bind.bad_code' })

      deps.clock.advance(bindLockMs)
      const later = await say(deps, { senderId: guesser, senderName: '钱主任', text: `绑定 ${code}` })
      expect(later.result).toMatchObject({ outcome: `bound:staff:${newcomer.staff.id}` })
    })
  })

  describe('the sandbox', () => {
    it('takes 60 messages a minute from one address, then answers 429', async () => {
      const ip = '203.0.113.60'
      const send = () =>
        call('/sandbox/api/say', {
          method: 'POST',
          ip,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'bot', from: '张桂兰', text: '你好' }),
        })
      for (let i = 0; i < 60; i++) expect((await send()).status).toBe(202)
      const refused = await send()
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBe('60')
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
        '请 60 秒后再试',
      )
      now += 60_000
      expect((await send()).status).toBe(202)
    })
  })
})
