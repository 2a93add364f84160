import type { Deps } from '../core/shared/deps'
import { formatShanghai } from '../core/shared/time'
import type { BotStatus } from './bot'

const stateNames: Record<BotStatus['state'], string> = {
  waiting_lease: '等待账号租约',
  connecting: '未连接',
  scan: '等待扫码登录',
  online: '在线',
  offline: '已退出登录',
  stopped: '已停止',
}

/** The WeCom group-robot text format; a generic receiver reads `text.content`. */
export const alertBody = (content: string) => ({ msgtype: 'text', text: { content } })

/**
 * Tells operators through ALERT_WEBHOOK_URL when the bot has been down (disconnected, logged out,
 * waiting for a scan) for ALERT_AFTER_MINUTES, and again when it is back. One alert per outage; a
 * failed POST is tried again at the next check.
 */
export function startAlerts(
  deps: Pick<Deps, 'config' | 'log' | 'clock'>,
  bot: { status(): BotStatus },
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
  let alertedFor: string | undefined
  let busy = false
  const check = async () => {
    if (busy) return
    busy = true
    try {
      const status = bot.status()
      // Another process serving the account is not an outage of ours; a stopping process is not either.
      const down = status.state !== 'online' && status.state !== 'waiting_lease' && status.state !== 'stopped'
      const since = new Date(status.since)
      const downFor = deps.clock.now().getTime() - since.getTime()
      if (down && !alertedFor && downFor >= deps.config.alerts.afterMs) {
        const minutes = Math.floor(downFor / 60_000)
        await post(
          alertBody(
            `【改造助手】机器人${stateNames[status.state]}已 ${minutes} 分钟（自 ${formatShanghai(since)} 起${status.detail ? `，${status.detail}` : ''}）。居民消息可能收不到，待发消息已暂存，恢复后按顺序发出。${status.state === 'scan' ? '请管理员在管理后台「机器人」页扫码登录。' : ''}`,
          ),
        )
        alertedFor = status.since
        deps.log.warn('alert sent: bot down', { state: status.state, minutes })
      } else if (!down && status.state === 'online' && alertedFor) {
        await post(
          alertBody(`【改造助手】机器人已恢复在线（${formatShanghai(since)}），待发消息正在按顺序发出。`),
        )
        alertedFor = undefined
        deps.log.info('alert sent: bot back online')
      }
    } catch (error) {
      deps.log.warn('alert webhook failed; will try again', {
        error: error instanceof Error ? error.message : String(error),
      })
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
