import type { WechatyOptions } from 'wechaty'
import type { Config } from '../config'

/** What one real account needs to connect: resolved from its bot_accounts row, or from the env. */
export interface AccountPuppet {
  puppet: 'wechaty-puppet-service' | 'wechaty-puppet-wechat4u'
  /** wechaty's memory card (the login session), a path under DATA_DIR. */
  sessionName: string
  token?: string
  endpoint?: string
  noTls: boolean
}

/**
 * The puppet options for a real account. The sandbox builds its own PuppetMock (see sandbox/), so this
 * covers only the puppets that talk to WeChat or WeCom:
 * - wechaty-puppet-wechat4u: personal WeChat through the web protocol; scan the QR code to log in.
 * - wechaty-puppet-service: a puppet service (e.g. WeCom via a token from a provider); needs a token.
 */
export function accountPuppetOptions(account: AccountPuppet): WechatyOptions {
  const name = account.sessionName
  if (account.puppet === 'wechaty-puppet-service') {
    return {
      name,
      puppet: 'wechaty-puppet-service',
      puppetOptions: {
        token: account.token,
        endpoint: account.endpoint,
        tls: { disable: account.noTls },
      },
    } as WechatyOptions
  }
  return { name, puppet: 'wechaty-puppet-wechat4u' } as WechatyOptions
}

/**
 * Where an account keeps its login session. The account named by BOT_ACCOUNT keeps the one file a
 * single-account deployment always had, so an upgrade does not log it out; every other has its own.
 */
export function sessionName(config: Pick<Config, 'dataDir' | 'bot'>, account: string) {
  return account === config.bot.account
    ? `${config.dataDir}/wechaty-session`
    : `${config.dataDir}/wechaty-session-${account}`
}

/** The one account of today's env (WECHATY_PUPPET, WECHATY_PUPPET_SERVICE_*). */
export function envPuppet(config: Config, account = config.bot.account): AccountPuppet {
  return {
    puppet: config.puppet === 'wechaty-puppet-service' ? 'wechaty-puppet-service' : 'wechaty-puppet-wechat4u',
    sessionName: sessionName(config, account),
    token: config.puppetServiceToken,
    endpoint: config.puppetServiceEndpoint,
    noTls: config.puppetServiceNoTls,
  }
}

/** The env account's options (a single-account deployment with no bot_accounts row). */
export function realPuppetOptions(config: Config): WechatyOptions {
  return accountPuppetOptions(envPuppet(config))
}
