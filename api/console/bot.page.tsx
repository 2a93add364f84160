import type { Hono } from 'hono'
import { raw } from 'hono/html'
import QRCode from 'qrcode'
import type { BotStatus } from '../../bot/bot'
import { type BotAlert, type BotHealth, botHealth } from '../../core/accounts/bot-health'
import { assertRole } from '../../core/shared/actor'
import { stateNames } from './bot-banner'
import { time } from './format'
import { type ConsoleKit, render, viewerOf } from './kit'
import { DataTable, Layout, type Viewer } from './layout'
import type { ConsoleEnv } from './session'

/** What the console may ask of the bot. */
export interface ConsoleBot {
  status(): BotStatus
}

const alertNames: Record<BotAlert['kind'], string> = {
  group_left: '机器人被移出群',
  message_failed: '消息发送失败',
  message_uncertain: '消息是否送达不明',
  identity_issue: '重新登录后 ID 无法对应',
}

const waitingNames = { pending: '待发', sending: '发送中', uncertain: '结果不明', failed: '失败' } as const

function Health(props: { health: BotHealth; alerting: { webhook: boolean; afterMinutes: number } }) {
  const { health } = props
  return (
    <>
      <section class="card">
        <h2>消息与账号</h2>
        <dl class="facts">
          {Object.entries(waitingNames).map(([status, name]) => (
            <>
              <dt>{name}</dt>
              <dd>{health.waiting[status as keyof typeof waitingNames] ?? 0} 条</dd>
            </>
          ))}
          <dt>掉线提醒</dt>
          <dd>
            {props.alerting.webhook
              ? `已配置：掉线超过 ${props.alerting.afterMinutes} 分钟通知运维群，恢复时再通知`
              : '未配置（ALERT_WEBHOOK_URL），掉线只在本页和各页顶部提示'}
          </dd>
          {health.leases.map((lease) => (
            <>
              <dt>账号 {lease.account}</dt>
              <dd>
                由 {lease.holder} 使用，自 {time(lease.acquiredAt)}，租约至 {time(lease.expiresAt)}
              </dd>
            </>
          ))}
        </dl>
        <p class="hint">
          结果不明或失败的消息可在「通知公告」的发送进度中重发或放弃；ID 无法对应的群和人员在「群管理」处理。
        </p>
      </section>
      <h2>最近的提醒（{health.alerts.length}）</h2>
      <DataTable
        label="最近的提醒"
        rows={health.alerts}
        empty="最近一周没有需要处理的情况。"
        columns={[
          { head: '时间', cell: (a) => time(a.at) },
          { head: '情况', cell: (a) => alertNames[a.kind] },
          { head: '对象', cell: (a) => a.subject },
          { head: '说明', wide: true, cell: (a) => <span class="pre">{a.detail ?? '—'}</span> },
        ]}
      />
    </>
  )
}

export function BotPage(props: {
  viewer: Viewer
  status: BotStatus | undefined
  qrSvg?: string
  health?: BotHealth
  alerting?: { webhook: boolean; afterMinutes: number }
}) {
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
      {props.health && props.alerting ? <Health health={props.health} alerting={props.alerting} /> : null}
    </Layout>
  )
}

/** 机器人: the bot's state, while a scan is awaited the login QR, and what needs an admin (admins only). */
export function registerBotPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { db, clock, config } = kit.deps
  app.get('/bot', async (c) => {
    assertRole(c.get('staff'), [])
    const status = c.get('bot')
    // Our own library's SVG of the QR value, never user text: shown inline (the page runs no script).
    const qrSvg = status?.qr ? await QRCode.toString(status.qr.value, { type: 'svg', margin: 2 }) : undefined
    const health = await botHealth(db, clock.now())
    const alerting = {
      webhook: Boolean(config.alerts.webhookUrl),
      afterMinutes: config.alerts.afterMs / 60_000,
    }
    return render(
      c,
      <BotPage viewer={viewerOf(c)} status={status} qrSvg={qrSvg} health={health} alerting={alerting} />,
    )
  })
}
