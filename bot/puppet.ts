import type { WechatyOptions } from 'wechaty'
import type { Config } from '../config'

/**
 * The puppet options for a real account. The sandbox builds its own PuppetMock (see sandbox/), so this
 * covers only the puppets that talk to WeChat or WeCom:
 * - wechaty-puppet-wechat4u: personal WeChat through the web protocol; scan the QR code to log in.
 * - wechaty-puppet-service: a puppet service (e.g. WeCom via a token from a provider); needs a token.
 */
export function realPuppetOptions(config: Config): WechatyOptions {
  const name = `${config.dataDir}/wechaty-session`
  if (config.puppet === 'wechaty-puppet-service') {
    return {
      name,
      puppet: 'wechaty-puppet-service',
      puppetOptions: {
        token: config.puppetServiceToken,
        endpoint: config.puppetServiceEndpoint,
        tls: { disable: config.puppetServiceNoTls },
      },
    } as WechatyOptions
  }
  return { name, puppet: 'wechaty-puppet-wechat4u' } as WechatyOptions
}
