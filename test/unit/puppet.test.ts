import { describe, expect, it } from 'vitest'
import { realPuppetOptions } from '../../bot/puppet'
import { loadConfig } from '../../config'

describe('real puppets are wired as their docs say', () => {
  it('personal WeChat through wechaty-puppet-wechat4u keeps its session in DATA_DIR', () => {
    const options = realPuppetOptions(
      loadConfig({ WECHATY_PUPPET: 'wechaty-puppet-wechat4u', DATA_DIR: '/var/gaizao' }),
    )
    expect(options).toEqual({ name: '/var/gaizao/wechaty-session', puppet: 'wechaty-puppet-wechat4u' })
  })

  it('a puppet service gets its token, endpoint and TLS choice', () => {
    const options = realPuppetOptions(
      loadConfig({
        WECHATY_PUPPET: 'wechaty-puppet-service',
        WECHATY_PUPPET_SERVICE_TOKEN: 'puppet_workpro_0123',
        WECHATY_PUPPET_SERVICE_ENDPOINT: '10.0.0.5:8788',
        WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true',
      }),
    )
    expect(options).toMatchObject({
      puppet: 'wechaty-puppet-service',
      puppetOptions: { token: 'puppet_workpro_0123', endpoint: '10.0.0.5:8788', tls: { disable: true } },
    })
  })

  it('the puppet packages named in the options are installed', async () => {
    await expect(import('wechaty-puppet-wechat4u')).resolves.toBeDefined()
    await expect(import('wechaty-puppet-service')).resolves.toBeDefined()
  })
})
