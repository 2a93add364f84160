import type { Deps } from '../core/shared/deps'
import { formatShanghai } from '../core/shared/time'
import type { BotStatus } from './bot'

const stateNames: Record<BotStatus['state'], string> = {
  misconfigured: '配置有误',
  waiting_lease: '等待账号租约',
  connecting: '未连接',
  scan: '等待扫码登录',
  online: '在线',
  offline: '已退出登录',
  stopped: '已停止',
}

/** The WeCom group-robot text format; a generic receiver reads `text.content`. */
export const alertBody = (content: string) => ({ msgtype: 'text', text: { content } })

/** What an alert reads of an account's status. */
export type AlertStatus = Pick<BotStatus, 'state' | 'since' | 'detail'> & { account?: string }

/**
 * Tells operators through ALERT_WEBHOOK_URL when a bot account has been down (disconnected, logged out,
 * waiting for a scan, misconfigured) for ALERT_AFTER_MINUTES, and again when it is back: one alert per
 * account and outage, naming the account when the process runs several. A failed POST is tried again at
 * the next check.
 */
export function startAlerts(
  deps: Pick<Deps, 'config' | 'log' | 'clock'>,
  bot: { status(): AlertStatus; accounts?(): AlertStatus[] },
  options: { checkMs?: number; post?: (body: unknown) => Promise<void> } = {},
) {
  const url = deps.config.alerts.webhookUrl
  if (!url) return { stop() {}, check: async () => {} }
  const post =
    options.post ??
    (async (body: unknown) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
    })
  /** Per account: the `since` of the outage already alerted. */
  const alertedFor = new Map<string, string>()
  let busy = false
  const checkOne = async (status: AlertStatus, named: boolean) => {
    const key = status.account ?? ''
    const who = named && status.account ? `机器人账号 ${status.account} ` : '机器人'
    // Another process serving the account is not an outage of ours; a stopping process is not either.
    const down = status.state !== 'online' && status.state !== 'waiting_lease' && status.state !== 'stopped'
    const since = new Date(status.since)
    const downFor = deps.clock.now().getTime() - since.getTime()
    const alerted = alertedFor.get(key)
    if (down && !alerted && downFor >= deps.config.alerts.afterMs) {
      const minutes = Math.floor(downFor / 60_000)
      const advice =
        status.state === 'scan'
          ? '请管理员在管理后台「机器人」页扫码登录。'
          : status.state === 'misconfigured'
            ? '请按上面的说明改正配置。'
            : ''
      await post(
        alertBody(
          `【改造助手】${who}${stateNames[status.state]}已 ${minutes} 分钟（自 ${formatShanghai(since)} 起${status.detail ? `，${status.detail}` : ''}）。居民消息可能收不到，待发消息已暂存，恢复后按顺序发出。${advice}`,
        ),
      )
      alertedFor.set(key, status.since)
      deps.log.warn('alert sent: bot down', { account: status.account, state: status.state, minutes })
    } else if (!down && status.state === 'online' && alerted) {
      await post(
        alertBody(`【改造助手】${who}已恢复在线（${formatShanghai(since)}），待发消息正在按顺序发出。`),
      )
      alertedFor.delete(key)
      deps.log.info('alert sent: bot back online', { account: status.account })
    }
  }
  const check = async () => {
    if (busy) return
    busy = true
    try {
      const statuses = bot.accounts?.() ?? [bot.status()]
      // An account no longer run here is no longer watched.
      const present = new Set(statuses.map((s) => s.account ?? ''))
      for (const key of alertedFor.keys()) if (!present.has(key)) alertedFor.delete(key)
      for (const status of statuses) {
        try {
          await checkOne(status, statuses.length > 1)
        } catch (error) {
          deps.log.warn('alert webhook failed; will try again', {
            account: status.account,
            error: error instanceof Error ? error.message : String(error),
          })
        }
      }
    } finally {
      busy = false
    }
  }
  const timer = setInterval(check, options.checkMs ?? 5_000)
  timer.unref()
  return {
    stop: () => clearInterval(timer),
    check,
  }
}
