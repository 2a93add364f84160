import type { Hono } from 'hono'
import { raw } from 'hono/html'
import QRCode from 'qrcode'
import type { BotStatus } from '../../bot/bot'
import { assertRole } from '../../core/shared/actor'
import { stateNames } from './bot-banner'
import { time } from './format'
import { render, viewerOf } from './kit'
import { Layout, type Viewer } from './layout'
import type { ConsoleEnv } from './session'

/** What the console may ask of the bot. */
export interface ConsoleBot {
  status(): BotStatus
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
