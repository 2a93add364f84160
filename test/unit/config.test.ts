import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../config'

const secret = 's'.repeat(32)

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
    [{ NUDGE_REMIND_BEFORE_HOURS: '{"燃气":0}' }, 'NUDGE_REMIND_BEFORE_HOURS'],
    [
      { TASK_TEMPLATES: '{"设计":[{"key":"x","title":"t","owner":"mayor","dueWorkingDays":5}]}' },
      'TASK_TEMPLATES',
    ],
    [{ TASK_TEMPLATES: '{"开工":[]}' }, 'TASK_TEMPLATES'],
    [
      {
        TASK_TEMPLATES:
          '{"设计":[{"key":"a","title":"t","owner":"responsible","dueWorkingDays":5}],"施工":[{"key":"a","title":"u","owner":"responsible","dueWorkingDays":5}]}',
      },
      'TASK_TEMPLATES',
    ],
    [{ YEAR_TARGETS: '{"2026":{"started":80,"completed":50,"investmentYuan":12.8}}' }, 'YEAR_TARGETS'],
  ])('rejects %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(variable)
  })

  it('replaces only the stages TASK_TEMPLATES names, and keeps the 2020 targets unless YEAR_TARGETS is set', () => {
    const config = loadConfig({
      TASK_TEMPLATES: '{"设计":[{"key":"plan","title":"出图","owner":"planner","dueWorkingDays":10}]}',
    })
    expect(config.taskTemplates.设计).toEqual([
      { key: 'plan', title: '出图', owner: 'planner', dueWorkingDays: 10 },
    ])
    expect(config.taskTemplates.确认?.[0]?.title).toBe('组织居民议事，汇总改造需求')
    expect(config.yearTargets['2020']).toEqual({ started: 80, completed: 50, investmentYuan: '1280000000' })
    expect(loadConfig({ NUDGE_REMIND_BEFORE_HOURS: '{"燃气":2}' }).nudges.remindBeforeHours).toEqual({
      燃气: 2,
    })
  })

  it('wants an admin token, a token secret and a metrics token of 32 characters or more, and says how', () => {
    const sixteen = 'a'.repeat(16)
    for (const name of ['GAIZAO_ADMIN_TOKEN', 'GAIZAO_TOKEN_SECRET', 'METRICS_TOKEN']) {
      expect(() => loadConfig({ [name]: sixteen })).toThrow(ConfigError)
      expect(() => loadConfig({ [name]: sixteen })).toThrow(
        new RegExp(`${name}: must be at least 32 characters`),
      )
    }
    const config = loadConfig({
      GAIZAO_ADMIN_TOKEN: 'x'.repeat(32),
      GAIZAO_TOKEN_SECRET: 'y'.repeat(32),
      METRICS_TOKEN: 'z'.repeat(32),
    })
    expect(config).toMatchObject({
      adminToken: 'x'.repeat(32),
      tokenSecret: 'y'.repeat(32),
      metricsToken: 'z'.repeat(32),
    })
  })

  it('trusts no proxy unless TRUST_PROXY says how many stand in front', () => {
    expect(loadConfig({}).trustProxy).toBe(0)
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1)
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(0)
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(() => loadConfig({ TRUST_PROXY: 'nginx' })).toThrow('TRUST_PROXY')
  })

  it('runs every role in one process by default, the one BOT_ACCOUNT, failing over after 10 minutes', () => {
    const config = loadConfig({})
    expect(config.role).toBe('all')
    expect(config.bot.accounts).toEqual(['default'])
    expect(config.bot.failoverAfterMs).toBe(600_000)
    expect(loadConfig({ BOT_ACCOUNT: 'dongcheng-1' }).bot.accounts).toEqual(['dongcheng-1'])
  })

  it('takes ROLE api, bot or jobs with a real puppet, and BOT_ACCOUNTS as a list or *', () => {
    const service = {
      WECHATY_PUPPET: 'wechaty-puppet-service',
      WECHATY_PUPPET_SERVICE_TOKEN: 't',
      GAIZAO_TOKEN_SECRET: secret,
    }
    for (const role of ['api', 'bot', 'jobs'] as const) {
      expect(loadConfig({ ...service, ROLE: role }).role).toBe(role)
    }
    expect(loadConfig({ BOT_ACCOUNTS: ' a-1 , b.2,c_3 ' }).bot.accounts).toEqual(['a-1', 'b.2', 'c_3'])
    expect(loadConfig({ BOT_ACCOUNTS: '*' }).bot.accounts).toBe('*')
    expect(loadConfig({ ACCOUNT_FAILOVER_MINUTES: '1440' }).bot.failoverAfterMs).toBe(1_440 * 60_000)
  })

  it('needs no puppet token where no bot runs, nor where BOT_ACCOUNTS names the accounts (theirs are in bot_accounts)', () => {
    const service = { WECHATY_PUPPET: 'wechaty-puppet-service', GAIZAO_TOKEN_SECRET: secret }
    expect(loadConfig({ ...service, ROLE: 'api' }).puppetServiceToken).toBeUndefined()
    expect(loadConfig({ ...service, ROLE: 'jobs' }).role).toBe('jobs')
    expect(loadConfig({ ...service, ROLE: 'bot', BOT_ACCOUNTS: 'a,b' }).bot.accounts).toEqual(['a', 'b'])
    expect(() => loadConfig({ ...service, ROLE: 'bot' })).toThrow(/WECHATY_PUPPET_SERVICE_TOKEN: required/)
  })

  it.each([
    [{ ROLE: 'worker' }, /ROLE: must be all .*api .*bot .*jobs/],
    [
      { ROLE: 'api', WECHATY_PUPPET: 'wechaty-puppet-service' },
      /GAIZAO_TOKEN_SECRET: required with ROLE=api: every process sharing the database/,
    ],
    [{ ROLE: 'api', GAIZAO_TOKEN_SECRET: secret }, /ROLE: api needs a real puppet .*ROLE=all only/],
    [
      { ROLE: 'bot', WECHATY_PUPPET: 'wechaty-puppet-mock', GAIZAO_TOKEN_SECRET: secret },
      /ROLE: bot needs a real puppet/,
    ],
    [{ BOT_ACCOUNTS: 'a,,b' }, /BOT_ACCOUNTS: must be account names separated by commas/],
    [{ BOT_ACCOUNTS: 'a b' }, /BOT_ACCOUNTS: must be account names separated by commas/],
    [{ BOT_ACCOUNTS: 'a,*' }, /BOT_ACCOUNTS: must be account names separated by commas/],
    [{ BOT_ACCOUNTS: 'a,b,a' }, /BOT_ACCOUNTS: names an account twice/],
    [
      { ACCOUNT_FAILOVER_MINUTES: '0' },
      /ACCOUNT_FAILOVER_MINUTES: must be a whole number of minutes from 1 to 1440/,
    ],
    [{ ACCOUNT_FAILOVER_MINUTES: '1441' }, /ACCOUNT_FAILOVER_MINUTES: must be a whole number/],
    [{ ACCOUNT_FAILOVER_MINUTES: '2.5' }, /ACCOUNT_FAILOVER_MINUTES: must be a whole number/],
    [{ ACCOUNT_FAILOVER_MINUTES: 'ten' }, /ACCOUNT_FAILOVER_MINUTES: must be a whole number/],
  ])('rejects %j and says what to do', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(message)
  })

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(3000)
  })
})
