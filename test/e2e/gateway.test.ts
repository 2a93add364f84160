import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseEnv, freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { bindWorld } from '../support/gateway-world'
import { drivers } from '../support/test-db'

const outageMs = Number(process.env.GATEWAY_OUTAGE_MS ?? 90_000)

/** A local stand-in for the WeCom group robot: records what the alert webhook posts. */
async function startAlertReceiver() {
  const port = await freePort()
  const received: { content: string; at: number }[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const parsed = JSON.parse(body) as { msgtype: string; text: { content: string } }
      if (parsed.msgtype === 'text') received.push({ content: parsed.text.content, at: Date.now() })
      res.setHeader('content-type', 'application/json')
      res.end('{"errcode":0,"errmsg":"ok"}')
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=test`,
    received,
    close: () => server.close(),
  }
}

/**
 * Gaizao's real bot code, in its own process, against a real gRPC gateway (wechaty-puppet-service's
 * PuppetServer over a mock account): bound by chat, filing by mention id, surviving a 90 s outage with
 * nothing failed or lost, starting before its gateway, and shutting down gracefully.
 */
describe.each(drivers)('Gaizao over a gRPC gateway on %s', (driver) => {
  let gateway: Gateway
  let gaizao: GaizaoProcess
  let alerts: Awaited<ReturnType<typeof startAlertReceiver>>
  let closeDatabase = async () => {}
  const measured: Record<string, number> = {}

  beforeAll(async () => {
    const database = await databaseEnv(driver)
    const env = database.env
    closeDatabase = database.close
    alerts = await startAlertReceiver()
    gateway = await startGateway({ port: await freePort(), heartbeatMs: 15_000 })
    // Started with the gateway down: Gaizao must come up anyway and connect once it appears.
    await gateway.stop()
    gaizao = await startGaizaoProcess({
      ...env,
      ...gateway.env,
      ALERT_WEBHOOK_URL: alerts.url,
      ALERT_AFTER_MINUTES: '1',
    })
  }, 120_000)

  afterAll(async () => {
    await gaizao?.cleanup()
    await gateway?.close()
    alerts?.close()
    await closeDatabase()
    process.stdout.write(`gateway e2e on ${driver}: ${JSON.stringify(measured)}\n`)
    if (process.env.GATEWAY_E2E_LOG) process.stdout.write(`${gaizao?.lines.join('\n')}\n`)
  })

  it('comes up while the gateway is down, says so, and connects once it appears', async () => {
    await gaizao.until(
      async () => (await gaizao.readyz()).status === 503,
      'the API answering /readyz',
      90_000,
    )
    const before = await gaizao.readyz()
    expect(before.body.bot?.state).toBe('connecting')
    expect(await gaizao.metric('gaizao_bot_logged_in')).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 5_000))
    await gateway.start()
    measured.connectAfterGatewayAppearsMs = await gaizao.until(
      async () => (await gaizao.readyz()).status === 200,
      'readyz 200 after the gateway appeared',
      30_000,
    )
    expect(await gaizao.metric('gaizao_bot_logged_in')).toBe(1)
  }, 150_000)

  let world: Awaited<ReturnType<typeof bindWorld>>
  it('is bound by chat and files a request @-mentioned by its group nickname, replying with a real mention', async () => {
    world = await bindWorld(gaizao, gateway)
    const resident = world.resident
    const after = Date.now()
    gateway.say(resident, '3号楼2单元楼道灯坏了，晚上黑乎乎的', {
      room: world.residentsRoom,
      mention: true,
      mentionAs: '改造小助手',
    })
    const reply = await gateway.waitForSaid(
      (m) => m.roomId === world.residentsRoom.id && /Q\d+/.test(m.text),
      {
        after,
      },
    )
    expect(reply.mentionIds).toContain(resident.id)
    world.number = /Q\d+/.exec(reply.text)![0]
    // The officers' group hears of it.
    await gateway.waitForSaid((m) => m.roomId === world.officersRoom.id && m.text.includes(world.number), {
      after,
    })
  }, 60_000)

  it(
    `survives a ${outageMs / 1000} s gateway outage: notices it, fails nothing, alerts, and sends everything in order once back`,
    async () => {
      await gateway.stop()
      const droppedAt = Date.now()
      measured.noticedDropMs = await gaizao.until(
        async () => (await gaizao.readyz()).status === 503,
        '/readyz 503 after the gateway dropped',
        15_000,
      )
      expect(measured.noticedDropMs).toBeLessThanOrEqual(10_000)
      expect(await gaizao.metric('gaizao_bot_logged_in')).toBe(0)
      expect(gaizao.lines.some((l) => l.includes('bot connection lost'))).toBe(true)

      // Officers keep working meanwhile: a resolution and a broadcast wait in the outbox.
      const resolved = await gaizao.api(
        'POST',
        `/requests/${world.number}/resolve`,
        { note: '已更换灯泡' },
        world.officerToken,
      )
      expect(resolved.status, resolved.text).toBe(200)
      const broadcast = await gaizao.api('POST', '/notices/broadcasts', {
        text: '【停水通知】明天 8:00-12:00 3号楼停水，请提前储水。',
        xiaoquId: world.xiaoquId,
      })
      expect(broadcast.status, broadcast.text).toBe(201)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageMs - (Date.now() - droppedAt))))

      // Nothing was attempted, so nothing failed or became uncertain.
      for (const status of ['failed', 'uncertain', 'sending']) {
        const rows = await gaizao.api('GET', `/outbox?status=${status}`)
        expect(rows.status, rows.text).toBe(200)
        expect(rows.body.items, `${status} rows after the outage`).toEqual([])
      }
      const pending = await gaizao.api('GET', '/outbox?status=pending')
      expect(pending.body.items.length).toBeGreaterThanOrEqual(2)
      expect(pending.body.items.every((r: { attempts: number }) => r.attempts === 0)).toBe(true)
      // The alert fires after ALERT_AFTER_MINUTES=1: only an outage longer than that sees it.
      if (outageMs > 65_000) expect(alerts.received.some((a) => a.content.includes('机器人'))).toBe(true)

      const backAt = Date.now()
      await gateway.start()
      measured.reconnectAfterOutageMs = await gaizao.until(
        async () => (await gaizao.readyz()).status === 200,
        'readyz 200 after the gateway returned',
        30_000,
      )
      const resolution = await gateway.waitForSaid(
        (m) =>
          m.roomId === world.residentsRoom.id && m.text.includes(world.number) && m.text.includes('满意'),
        { after: backAt, timeoutMs: 30_000 },
      )
      const notice = await gateway.waitForSaid(
        (m) => m.roomId === world.residentsRoom.id && m.text.includes('停水通知'),
        { after: backAt, timeoutMs: 30_000 },
      )
      measured.sendingAgainAfterReturnMs = notice.at - backAt
      expect(notice.at - backAt).toBeLessThanOrEqual(30_000)
      // Order per group holds: the reply written first goes first.
      expect(resolution.at).toBeLessThanOrEqual(notice.at)
      await gaizao.until(
        async () => (await gaizao.api('GET', '/outbox?status=pending')).body.items.length === 0,
        'the outbox drained',
        30_000,
      )
      for (const status of ['failed', 'uncertain']) {
        expect((await gaizao.api('GET', `/outbox?status=${status}`)).body.items).toEqual([])
      }
      // Each message exactly once.
      expect(
        gateway.said({ room: world.residentsRoom }).filter((m) => m.text.includes('停水通知')),
      ).toHaveLength(1)
      if (outageMs > 65_000) {
        await gaizao.until(
          () => alerts.received.some((a) => a.content.includes('恢复')),
          'the recovery alert',
          15_000,
        )
      }
    },
    outageMs + 120_000,
  )

  it('waits while the account is logged out, then sends what waited', async () => {
    await gateway.logout()
    measured.noticedLogoutMs = await gaizao.until(
      async () => (await gaizao.readyz()).body.bot?.state === 'offline',
      'the bot seen logged out',
      15_000,
    )
    const broadcast = await gaizao.api('POST', '/notices/broadcasts', {
      text: '【绿化通知】周六上午修剪树木，请勿在树下停车。',
      xiaoquId: world.xiaoquId,
    })
    expect(broadcast.status, broadcast.text).toBe(201)
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(gateway.said().some((m) => m.text.includes('绿化通知'))).toBe(false)
    const after = Date.now()
    gateway.login()
    await gateway.waitForSaid((m) => m.text.includes('绿化通知'), { after, timeoutMs: 30_000 })
    expect((await gaizao.api('GET', '/outbox?status=failed')).body.items).toEqual([])
  }, 60_000)

  it('notices a gateway that hangs without closing its connection within 10 s, and recovers when it answers again', async () => {
    const frozenAt = Date.now()
    gateway.freeze()
    try {
      measured.noticedFrozenMs = await gaizao.until(
        async () => (await gaizao.readyz()).status === 503,
        '/readyz 503 after the gateway froze',
        20_000,
      )
      expect(measured.noticedFrozenMs).toBeLessThanOrEqual(10_000)
      expect(
        gaizao.lines.some(
          (l) => l.includes('gateway silent') && Date.parse(JSON.parse(l).time) >= frozenAt - 1_000,
        ),
      ).toBe(true)
    } finally {
      gateway.thaw()
    }
    await gaizao.until(
      async () => (await gaizao.readyz()).status === 200,
      'readyz 200 after the gateway answered again',
      30_000,
    )
    // And it stays up: the heartbeats and pings keep it alive.
    await new Promise((resolve) => setTimeout(resolve, 12_000))
    expect((await gaizao.readyz()).status).toBe(200)
  }, 90_000)

  it('stops gracefully on SIGTERM within 10 s, with nothing left claimed', async () => {
    const exit = await gaizao.stop('SIGTERM')
    measured.sigtermExitMs = exit.tookMs
    expect(exit.code).toBe(0)
    expect(exit.tookMs).toBeLessThan(10_000)
  }, 20_000)
})
