import { eq, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import type { BotStatus } from '../../bot/bot'
import { handleInbound } from '../../core/chat/chat.usecases'
import { cancelFeeNotice, createFeeNotice } from '../../core/notices/fee.usecases'
import * as requests from '../../core/requests/requests.usecases'
import { bindGroup, issueBindCode } from '../../core/staff/staff.usecases'
import { outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { adminActor, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

/** Guards found in review: each of these once went the wrong way. */
describe.each(drivers)('hardening on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  const qr = { value: 'https://login.weixin.qq.com/l/secret', imageUrl: 'x', status: '2' }
  beforeAll(async () => {
    deps = await createTestDeps(driver, { env: { QUIET_HOURS: '00:00-23:59' } })
    app = createApi(deps, {
      bot: {
        status: () => ({
          account: 'default',
          puppet: 'wechaty-puppet-wechat4u',
          state: 'scan',
          since: '2026-03-02T02:00:00.000Z',
          loggedIn: false,
          qr,
        }),
      },
    })
  })
  afterAll(async () => {
    await deps.database.close()
  })
  const call = (path: string, token: string, init: RequestInit = {}) =>
    app.request(path, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    })

  it('never shows the login QR on /readyz, and only to admins on /api/v1/bot', async () => {
    const ready = await app.request('/readyz')
    expect(ready.status).toBe(503)
    expect(await ready.text()).not.toContain('secret')
    const world = await makeWorld(deps)
    expect(await (await call('/api/v1/bot', world.officer.token)).text()).not.toContain('secret')
    expect(await (await call('/api/v1/bot', deps.adminToken)).text()).toContain('secret')
  })

  it('serves the login QR as SVG to admins only, documented in OpenAPI, and says why when there is none', async () => {
    const world = await makeWorld(deps)
    const svg = await call('/api/v1/bot/qr.svg', deps.adminToken)
    expect(svg.status).toBe(200)
    expect(svg.headers.get('content-type')).toContain('image/svg+xml')
    expect(await svg.text()).toContain('<svg')
    expect((await call('/api/v1/bot/qr.svg', world.officer.token)).status).toBe(403)
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/bot', '/api/v1/bot/qr.svg']))
    const states: [BotStatus['state'], string][] = [
      ['online', '已登录'],
      ['connecting', '尚未连上微信网关'],
      ['waiting_lease', '另一进程'],
    ]
    for (const [state, why] of states) {
      const online = createApi(deps, {
        bot: {
          status: () => ({
            account: 'default',
            puppet: 'wechaty-puppet-service',
            state,
            since: '',
            loggedIn: state === 'online',
          }),
        },
      })
      const res = await online.request('/api/v1/bot/qr.svg', {
        headers: { authorization: `Bearer ${deps.adminToken}` },
      })
      expect(res.status).toBe(404)
      const body = (await res.json()) as { error: { code: string; message: string } }
      expect(body.error.code).toBe('bot.no_qr')
      expect(body.error.message).toContain(why)
    }
  })

  it("binds an officers' group to the area its code was issued for, even when an admin issued it", async () => {
    const world = await makeWorld(deps)
    const admin = await adminActor(deps)
    const { code } = await issueBindCode(
      deps.db,
      admin,
      { purpose: 'group', kind: 'officers', areaId: world.community.id },
      deps.clock.now(),
      60,
    )
    const { group } = await bindGroup(
      deps.db,
      world.officer.actor,
      { code, roomId: `${uniqueId('o')}@chatroom`, topic: '社区工作群' },
      deps.clock.now(),
    )
    expect(group.scopePath).toBe(world.community.path)
  })

  it("shows a request's progress to its author and its xiaoqu group, not to a stranger in private", async () => {
    const world = await makeWorld(deps)
    const { request } = await requests.fileRequest(deps, {
      text: '楼上群租，噪音很大',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    const ask = async (senderId: string, roomId?: string) => {
      const id = uniqueId('m')
      const result = await handleInbound(deps, {
        id,
        senderId,
        senderName: '某人',
        roomId,
        text: `进度 ${request.number}`,
        mentionsSelf: false,
      })
      return result
    }
    expect(await ask(uniqueId('wxid_stranger'))).toMatchObject({ outcome: 'refused:progress-not-yours' })
    expect(await ask(world.resident.wechatId!)).toMatchObject({ outcome: `progress:${request.number}` })
    expect(await ask(uniqueId('wxid_neighbour'), world.roomId)).toMatchObject({
      outcome: `progress:${request.number}`,
    })
    expect(await ask(world.officer.staff.wechatId!)).toMatchObject({ outcome: `progress:${request.number}` })
  })

  it('keeps property staff from reclassifying what they hold', async () => {
    const world = await makeWorld(deps)
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const { request } = await requests.fileRequest(deps, {
      text: '楼道漏水了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    await requests.assignRequest(deps, world.officer.actor, request.number, property.staff)
    await expect(
      requests.reclassifyRequest(deps, property.actor, request.number, {
        category: '违建',
        urgency: 'normal',
        reason: '拖',
      }),
    ).rejects.toMatchObject({ status: 403 })
  })

  it('drops the queued posts of a cancelled fee notice (held here by quiet hours)', async () => {
    const world = await makeWorld(deps)
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const fee = await createFeeNotice(deps, property.actor, {
      xiaoquId: world.xiaoqu.id,
      period: '年度',
      standardFen: 100,
      deadline: new Date(deps.clock.now().getTime() + 20 * 86_400_000),
      howToPay: '线上',
      contact: '物业',
    })
    await cancelFeeNotice(deps, property.actor, fee.number)
    const rows = await deps.db
      .select()
      .from(outbox)
      .where(like(outbox.batch, `fee:${fee.number}:%`))
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.every((r) => r.status === 'dropped')).toBe(true)
  })

  it('answers input the database refuses with a 4xx, not a 500', async () => {
    const world = await makeWorld(deps)
    const nul = await call('/api/v1/requests', world.officer.token, {
      method: 'POST',
      body: JSON.stringify({
        xiaoquId: world.xiaoqu.id,
        text: '灯坏了\u0000',
        channel: 'phone',
        residentName: '李大爷',
      }),
    })
    expect(nul.status).toBe(400)
    const org = await call('/api/v1/staff', deps.adminToken, {
      method: 'POST',
      body: JSON.stringify({
        name: '某人',
        role: 'officer',
        areaId: world.community.id,
        organisationId: 999_999,
      }),
    })
    expect(org.status).toBe(404)
    const [stored] = await deps.db.select().from(outbox).where(eq(outbox.text, '灯坏了'))
    expect(stored).toBeUndefined()
  })
})
