import type { BotState, BotStatus } from '../../bot/bot'
import { shanghaiParts } from '../../core/sla/calendar'
import { consolePath } from './session'

export const stateNames: Record<BotState, string> = {
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

/** Whether people should be told the bot is down: a real account that is not online. */
export const botDown = (status: BotStatus | undefined): status is BotStatus =>
  status !== undefined && status.puppet !== 'sandbox' && status.state !== 'online'

export function BotBanner(props: { status: BotStatus; admin: boolean }) {
  return (
    <div class="msg warn" role="status">
      机器人未连接（自 {monthDayTime(props.status.since)} 起，{stateNames[props.status.state]}
      ）：消息暂存待发，恢复后按顺序发出。
      {props.admin ? (
        <>
          {' '}
          <a href={`${consolePath}/bot`}>查看机器人状态</a>
        </>
      ) : null}
    </div>
  )
}
