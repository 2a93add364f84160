import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config'

describe('config', () => {
  it('starts with no settings: PGlite, the sandbox, port 3000, no pacing in the sandbox', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      dataDir: './data',
      puppet: 'sandbox',
      botName: '改造助手',
    })
    expect(config.send).toMatchObject({ minGapMs: 0, ratePerMinute: 0 })
    expect(config.sla.urgent.response).toEqual({ hours: 2 })
  })

  it('paces a real account by default', () => {
    const config = loadConfig({ WECHATY_PUPPET: 'wechaty-puppet-wechat4u' })
    expect(config.send).toMatchObject({ minGapMs: 3000, ratePerMinute: 20 })
  })

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ WECHATY_PUPPET: 'wechaty-puppet-padlocal' }, 'WECHATY_PUPPET'],
    [{ GAIZAO_ADMIN_TOKEN: 'short' }, 'GAIZAO_ADMIN_TOKEN'],
    [{ SLA_CONFIG: '{not json' }, 'SLA_CONFIG'],
    [{ SLA_CONFIG: '{"urgent":{"response":{"hours":-1},"resolution":{"hours":24}}}' }, 'SLA_CONFIG'],
    [{ WECHATY_PUPPET: 'wechaty-puppet-service' }, 'WECHATY_PUPPET_SERVICE_TOKEN'],
    [{ SANDBOX_SEED: 'maybe' }, 'SANDBOX_SEED'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(variable)
  })

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(3000)
  })
})
