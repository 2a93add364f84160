import type { BotState, BotStatus } from '../../bot/bot'
import { shanghaiParts } from '../../core/sla/calendar'
import { consolePath } from './session'

export const stateNames: Record<BotState, string> = {
  misconfigured: '账号配置不完整',
  waiting_lease: '等待另一进程释放账号',
  connecting: '正在连接',
  scan: '等待扫码登录',
  online: '在线',
  offline: '已掉线',
  stopped: '已停止',
}

const pad = (n: number) => String(n).padStart(2, '0')
/** '12-01 15:20' in Shanghai. */
export function monthDayTime(iso: string) {
  const p = shanghaiParts(new Date(iso))
  return `${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`
}

/** The shown name of a state, "无进程报告" when no process has reported it for a while. */
export const stateName = (state: string, stale = false) =>
  stale ? '无进程报告' : (stateNames[state as BotState] ?? state)

/**
 * The status the banner shows, when there are several accounts: the first one down, with how many are.
 * (The console's `bot` variable is a BotStatus; this rides along on it.)
 */
export type BannerStatus = BotStatus & {
  accountsDown?: { down: number; total: number; label: string }
  stale?: boolean
}

/** Of several accounts' statuses, the one the banner speaks of: the first one down, else the first. */
export function bannerOf(
  statuses: readonly (BotStatus & { stale?: boolean })[],
  labelOf: (status: BotStatus) => string = (s) => s.account,
): BannerStatus | undefined {
  const down = statuses.filter(botDown)
  const first = down[0] ?? statuses[0]
  if (!first || statuses.length < 2 || down.length === 0) return first
  return { ...first, accountsDown: { down: down.length, total: statuses.length, label: labelOf(first) } }
}

/** Whether people should be told the bot is down: a real account that is not online. */
export const botDown = (status: BotStatus | undefined): status is BotStatus =>
  status !== undefined && status.puppet !== 'sandbox' && status.state !== 'online'

export function BotBanner(props: { status: BotStatus; admin: boolean }) {
  const status = props.status as BannerStatus
  const several = status.accountsDown
  return (
    <div class="msg warn" role="status">
      {several ? `机器人账号「${several.label}」` : '机器人'}未连接（自 {monthDayTime(status.since)} 起，
      {stateName(status.state, status.stale)}
      ）：消息暂存待发，恢复后按顺序发出。
      {several && several.down > 1 ? `共 ${several.down} 个账号未连接（共 ${several.total} 个）。` : null}
      {props.admin ? (
        <>
          {' '}
          <a href={`${consolePath}/bot`}>查看机器人状态</a>
        </>
      ) : null}
    </div>
  )
}
