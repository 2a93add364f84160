import { afterAll, describe, expect, it } from 'vitest'
import { freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'

/**
 * A gateway with TLS on and wechaty-puppet-service's built-in certificate: a token `insecure_<token>`
 * connects; one whose part before the last `_` is not `insecure` is refused by the certificate, and the
 * log says so in words once instead of a certificate error at every attempt.
 */
describe('a puppet service with TLS', () => {
  const processes: GaizaoProcess[] = []
  const gateways: Gateway[] = []
  afterAll(async () => {
    for (const p of processes) await p.cleanup()
    for (const g of gateways) await g.close()
  })

  it('connects with an insecure_ token, and explains a token that cannot match the certificate', async () => {
    const good = await startGateway({ port: await freePort(), tls: true, botId: 'wxid_tls_bot' })
    gateways.push(good)
    const ok = await startGaizaoProcess({ ...good.env, BOT_ACCOUNT: 'tls-ok' })
    processes.push(ok)
    await ok.until(async () => (await ok.readyz()).status === 200, 'a TLS connection', 60_000)
    expect(good.env.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT).toBe('false')

    const wrong = await startGateway({
      port: await freePort(),
      tls: true,
      token: 'insecure_gaizao_tls_test',
      botId: 'wxid_tls_bot2',
    })
    gateways.push(wrong)
    const refused = await startGaizaoProcess({ ...wrong.env, BOT_ACCOUNT: 'tls-wrong' })
    processes.push(refused)
    await refused.until(
      () => refused.lines.some((l) => l.includes('TLS certificate does not match the token')),
      'the explanation of the certificate mismatch',
      60_000,
    )
    expect((await refused.readyz()).status).toBe(503)
    await new Promise((resolve) => setTimeout(resolve, 8_000))
    expect(refused.lines.filter((l) => l.includes('TLS certificate does not match the token'))).toHaveLength(
      1,
    )
  }, 150_000)
})
