import type { Hono, MiddlewareHandler } from 'hono'
import { raw } from 'hono/html'
import QRCode from 'qrcode'
import type { BotState, BotStatus } from '../../bot/bot'
import { assertRole } from '../../core/shared/actor'
import { shanghaiParts } from '../../core/sla/calendar'
import { time } from './format'
import { render, viewerOf } from './kit'
import { Layout, type Viewer } from './layout'
import { type ConsoleEnv, consolePath } from './session'

/** What the console may ask of the bot. */
export interface ConsoleBot {
  status(): BotStatus
}

const stateNames: Record<BotState, string> = {
  waiting_lease: '等待另一进程释放账号',
  connecting: '正在连接',
  scan: '等待扫码登录',
  online: '在线',
  offline: '已掉线',
  stopped: '已停止',
}

const pad = (n: number) => String(n).padStart(2, '0')
/** '12-01 15:20' in Shanghai. */
function monthDayTime(iso: string) {
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

/**
 * The banner on every page after login while the bot is down. Pages are rendered by many routes, each
 * with its own layout call, so it is put in front of the page's content once the page is made.
 */
export function botBannerMiddleware(bot: ConsoleBot | undefined): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    await next()
    const status = bot?.status()
    if (!botDown(status) || !c.get('staff')) return
    if (!c.res.headers.get('content-type')?.startsWith('text/html')) return
    const html = await c.res.text()
    const banner = (<BotBanner status={status} admin={c.get('staff').role === 'admin'} />).toString()
    c.res = new Response(html.replace('<main>', `<main>${banner}`), c.res)
  }
}

export function BotPage(props: { viewer: Viewer; status: BotStatus | undefined; qrSvg?: string }) {
  const { status, qrSvg: qr } = props
  return (
    <Layout title="机器人" viewer={props.viewer} active="bot">
      <h1>机器人</h1>
      {status ? (
        <section class="card">
          <dl class="facts">
            <dt>状态</dt>
            <dd>
              {stateNames[status.state]}
              {status.state === 'online' ? <span class="badge ok">正常</span> : null}
            </dd>
            <dt>自</dt>
            <dd>{time(new Date(status.since))}</dd>
            {status.detail ? (
              <>
                <dt>说明</dt>
                <dd>{status.detail}</dd>
              </>
            ) : null}
            <dt>账号</dt>
            <dd>{status.self ? status.self.name : '未登录'}</dd>
            <dt>接入方式</dt>
            <dd>{status.puppet}</dd>
          </dl>
        </section>
      ) : (
        <p class="muted">本进程没有运行机器人（仅提供接口和工作台）。</p>
      )}
      {qr ? (
        <section class="card">
          <h2>扫码登录</h2>
          <p>
            请用机器人专用的微信账号扫描下方二维码并在手机上确认。谁扫码，谁的账号就成为机器人：请勿外传。
          </p>
          <div class="qr">{raw(qr)}</div>
        </section>
      ) : null}
    </Layout>
  )
}

/** 机器人: the bot's state and, while a scan is awaited, the login QR (admins only). */
export function registerBotPage(app: Hono<ConsoleEnv>, bot: ConsoleBot | undefined) {
  app.get('/bot', async (c) => {
    assertRole(c.get('staff'), [])
    const status = bot?.status()
    // Our own library's SVG of the QR value, never user text: shown inline (the page runs no script).
    const qrSvg = status?.qr ? await QRCode.toString(status.qr.value, { type: 'svg', margin: 2 }) : undefined
    return render(c, <BotPage viewer={viewerOf(c)} status={status} qrSvg={qrSvg} />)
  })
}
