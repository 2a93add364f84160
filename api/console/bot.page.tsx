import type { Hono } from 'hono'
import { raw } from 'hono/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import QRCode from 'qrcode'
import type { BotStatus } from '../../bot/bot'
import {
  accountPuppets,
  type BotAccountRow,
  createBotAccount,
  deleteBotAccount,
  getBotAccount,
  tokenInVariableMessage,
  updateBotAccount,
} from '../../core/accounts/accounts.usecases'
import {
  type AccountOverview,
  accountsOverview,
  type BotAlert,
  type BotHealth,
  botHealth,
  type UnreachableConversation,
  unreachableConversations,
} from '../../core/accounts/bot-health'
import { assertRole } from '../../core/shared/actor'
import { type AppError, isAppError } from '../../core/shared/errors'
import { liveStatuses } from '../routes/bot.routes'
import { stateName } from './bot-banner'
import { time } from './format'
import { actorOf, type C, type ConsoleKit, field, noticeReader, render, statusOf, viewerOf } from './kit'
import { DataTable, Input, Layout, PostForm, Select, type Viewer } from './layout'
import { type ConsoleEnv, consolePath } from './session'

/** What the console may ask of the bot this process runs. */
export interface ConsoleBot {
  status(): BotStatus
  /** Every account this process runs; `status()` is the first one's. */
  accounts?(): BotStatus[]
}

export const botHref = `${consolePath}/bot`
const accountsAction = `${botHref}/accounts`
const accountAction = (name: string) => `${accountsAction}/${encodeURIComponent(name)}`

const noticeOf = noticeReader({
  created: '机器人账号已添加。请在机器人进程中设置令牌环境变量，并把账号加入 BOT_ACCOUNTS（或设为 *）。',
  updated: '机器人账号已保存。',
  disabled: '机器人账号已停用：机器人进程不再运行它，也不再分配消息给它。',
  deleted: '机器人账号已删除。',
})

const alertNames: Record<BotAlert['kind'], string> = {
  group_left: '机器人被移出群',
  message_failed: '消息发送失败',
  message_uncertain: '消息是否送达不明',
  identity_issue: '重新登录后 ID 无法对应',
}

const waitingNames = { pending: '待发', sending: '发送中', uncertain: '结果不明', failed: '失败' } as const

const credentialNames: Record<AccountOverview['credentials'], string> = {
  ok: '已设置',
  missing: '机器人进程中未设置',
  unknown: '未知（无进程报告）',
  none: '未指定',
}

function Health(props: { health: BotHealth; alerting: { webhook: boolean; afterMinutes: number } }) {
  const { health } = props
  return (
    <>
      <section class="card">
        <h2>消息</h2>
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

function AccountsTable(props: { accounts: AccountOverview[] }) {
  return (
    <DataTable
      label="机器人账号"
      rows={props.accounts}
      empty="还没有机器人账号的记录：在下方添加账号，或启动机器人进程。"
      columns={[
        {
          head: '账号',
          cell: (a) => (
            <div>
              {a.label}
              {a.enabled ? null : <span class="badge">已停用</span>}
              <div class="muted pre">
                {a.name}
                {a.puppet ? ` · ${a.puppet}` : ''}
                {a.registered ? '' : ' · 仅在环境变量中'}
              </div>
            </div>
          ),
        },
        {
          head: '状态',
          cell: (a) =>
            a.status ? (
              <div>
                {stateName(a.status.state, a.status.stale)}
                {a.up ? <span class="badge ok">正常</span> : null}
                {a.status.selfName ? <div class="muted">微信：{a.status.selfName}</div> : null}
              </div>
            ) : (
              '无进程报告'
            ),
        },
        { head: '自', cell: (a) => (a.status ? time(a.status.since) : '—') },
        {
          head: '原因',
          cell: (a) =>
            a.status?.stale ? (
              `最后报告于 ${time(a.status.reportedAt)}，之后没有进程报告`
            ) : (
              <span class="pre">{a.status?.detail ?? '—'}</span>
            ),
        },
        {
          head: '令牌变量',
          cell: (a) =>
            a.tokenEnv ? (
              <div>
                <code class="pre">{a.tokenEnv}</code>
                <div class={a.credentials === 'missing' ? 'badge late' : 'muted'}>
                  {credentialNames[a.credentials]}
                </div>
              </div>
            ) : (
              credentialNames[a.credentials === 'missing' ? 'missing' : 'none']
            ),
        },
        {
          head: '租约持有进程',
          cell: (a) =>
            a.lease ? (
              <div class="pre">
                {a.lease.holder}
                <div class="muted">
                  {a.lease.expired
                    ? `租约已于 ${time(a.lease.expiresAt)} 过期`
                    : `至 ${time(a.lease.expiresAt)}`}
                </div>
              </div>
            ) : (
              '—'
            ),
        },
        { head: '可达群数', num: true, cell: (a) => String(a.reach.groups) },
        { head: '分配群数', num: true, cell: (a) => String(a.routed.groups) },
        { head: '待发消息', num: true, cell: (a) => String(a.pending) },
        {
          head: '操作',
          cell: (a) =>
            a.registered ? (
              <a href={`${botHref}?edit=${encodeURIComponent(a.name)}#account-form`}>修改 {a.label}</a>
            ) : a.puppet === 'sandbox' ? (
              '—'
            ) : (
              <a href={`${botHref}?add=${encodeURIComponent(a.name)}#account-form`}>登记</a>
            ),
        },
      ]}
    />
  )
}

function Unreachable(props: { total: number; items: UnreachableConversation[] }) {
  return (
    <>
      <h2>无法送达（{props.total}）</h2>
      <p class="muted">
        有待发消息、但没有任何已启用的账号在其中的群或私聊：请把某个机器人账号拉进这些群，或启用在群里的账号。
        {props.total > props.items.length ? `（只列出待发最多的 ${props.items.length} 个）` : ''}
      </p>
      <DataTable
        label="无法送达"
        rows={props.items}
        empty="所有有待发消息的群和私聊都至少有一个账号能送达。"
        columns={[
          {
            head: '群或私聊',
            cell: (u) => (
              <div>
                {u.topic ?? u.conversationId}
                {u.topic ? <div class="muted pre">{u.conversationId}</div> : null}
              </div>
            ),
          },
          { head: '类型', cell: (u) => (u.isRoom ? '群' : '私聊') },
          { head: '待发消息', num: true, cell: (u) => String(u.pending) },
          { head: '最早一条', cell: (u) => time(u.oldest) },
        ]}
      />
    </>
  )
}

/** The add/edit form's fields as typed. */
export interface AccountFormValues {
  name: string
  label: string
  puppet: string
  endpoint: string
  tokenEnv: string
  enabled: boolean
}

const blankForm: AccountFormValues = {
  name: '',
  label: '',
  puppet: 'wechaty-puppet-service',
  endpoint: '',
  tokenEnv: '',
  enabled: true,
}

function AccountForm(props: {
  csrf: string
  /** The account being changed; absent: a new one. */
  editing?: string
  values: AccountFormValues
  error?: string
}) {
  const v = props.values
  return (
    <section class="card" id="account-form">
      <h2>{props.editing ? `修改账号 ${props.editing}` : '添加账号'}</h2>
      {props.error ? (
        <div class="msg error" role="alert">
          {props.error}
        </div>
      ) : null}
      <PostForm action={props.editing ? accountAction(props.editing) : accountsAction} csrf={props.csrf}>
        {props.editing ? null : (
          <Input
            label="账号标识"
            name="name"
            value={v.name}
            required
            maxlength={64}
            hint="字母、数字和 _ . -，如 dongcheng-1；添加后不能修改，与 BOT_ACCOUNTS 中的名字一致。"
          />
        )}
        <Input
          label="账号名称"
          name="label"
          value={v.label}
          required
          maxlength={32}
          placeholder="如 东城一号"
        />
        <Select
          label="接入方式"
          name="puppet"
          value={v.puppet}
          options={accountPuppets.map((p) => ({ value: p, text: p }))}
        />
        <Input
          label="网关地址（可不填）"
          name="endpoint"
          value={v.endpoint}
          maxlength={200}
          placeholder="如 gateway.example.cn:8788"
        />
        <Input
          label="令牌环境变量名"
          name="tokenEnv"
          value={v.tokenEnv}
          placeholder="如 GAIZAO_ACCOUNT_A_TOKEN"
          hint="填写变量的名称，不要填令牌本身：令牌放在机器人进程的这个环境变量里，不保存在数据库中。"
        />
        {props.editing ? (
          <label>
            <span>
              <input type="checkbox" name="enabled" value="1" checked={v.enabled} />{' '}
              启用（不勾选即停用：不再运行，也不再分配消息）
            </span>
          </label>
        ) : null}
        <button type="submit">{props.editing ? '保存' : '添加账号'}</button>
      </PostForm>
      {props.editing ? (
        <PostForm action={`${accountAction(props.editing)}/delete`} csrf={props.csrf} class="inline">
          <button type="submit">删除账号</button>
          <span class="hint">有分配的群或发送记录的账号不能删除，请改为停用。</span>
        </PostForm>
      ) : (
        <p class="hint">
          <a href={`${botHref}#account-form`}>添加新账号</a>
        </p>
      )}
    </section>
  )
}

export function BotPage(props: {
  viewer: Viewer
  accounts: AccountOverview[]
  qrSvgs: { label: string; svg: string }[]
  unreachable: { total: number; items: UnreachableConversation[] }
  form: { editing?: string; values: AccountFormValues; error?: string }
  health?: BotHealth
  alerting?: { webhook: boolean; afterMinutes: number }
  notice?: string
}) {
  return (
    <Layout title="机器人" viewer={props.viewer} active="bot" notice={props.notice}>
      <h1>机器人</h1>
      <h2>账号（{props.accounts.length}）</h2>
      <p class="muted">
        每个账号由一个机器人进程运行（租约），状态由该进程写入；超过两个租约周期没有报告的显示为“无进程报告”。
      </p>
      <AccountsTable accounts={props.accounts} />
      {props.qrSvgs.map((qr) => (
        <section class="card">
          <h2>扫码登录：{qr.label}</h2>
          <p>
            请用该机器人专用的微信账号扫描下方二维码并在手机上确认。谁扫码，谁的账号就成为机器人：请勿外传。
          </p>
          <div class="qr">{raw(qr.svg)}</div>
        </section>
      ))}
      <Unreachable total={props.unreachable.total} items={props.unreachable.items} />
      <AccountForm
        csrf={props.viewer.csrf}
        editing={props.form.editing}
        values={props.form.values}
        error={props.form.error}
      />
      {props.health && props.alerting ? <Health health={props.health} alerting={props.alerting} /> : null}
    </Layout>
  )
}

const formValues = (body: Record<string, unknown>, name = ''): AccountFormValues => ({
  name: field(body, 'name', 100, '账号标识') ?? name,
  label: field(body, 'label', 100, '账号名称') ?? '',
  puppet: field(body, 'puppet', 100, '接入方式') ?? '',
  endpoint: field(body, 'endpoint', 300, '网关地址') ?? '',
  // Long enough for a pasted token to reach the use case, which says where a token belongs.
  tokenEnv: field(body, 'tokenEnv', 4096, '令牌环境变量名') ?? '',
  enabled: body.enabled === '1',
})

const rowValues = (row: BotAccountRow): AccountFormValues => ({
  name: row.name,
  label: row.label,
  puppet: row.puppet,
  endpoint: row.endpoint ?? '',
  tokenEnv: row.tokenEnv ?? '',
  enabled: row.enabled,
})

/** A refused form comes back as typed, except a pasted token: never written into a page. */
const refusedValues = (values: AccountFormValues, error: AppError) =>
  error.message === tokenInVariableMessage ? { ...values, tokenEnv: '' } : values

/** 机器人: every account's state, the login QR codes awaited, groups no account reaches, and the accounts (admins only). */
export function registerBotPages(app: Hono<ConsoleEnv>, kit: ConsoleKit, bot?: ConsoleBot) {
  const { deps, mutate } = kit
  const { db, clock, config } = deps

  const botPage = async (
    c: C,
    options: {
      form?: { editing?: string; values: AccountFormValues; error?: string }
      notice?: string
      status?: ContentfulStatusCode
    } = {},
  ) => {
    assertRole(c.get('staff'), [])
    const [accounts, unreachable, health] = await Promise.all([
      accountsOverview(db, {
        leaseMs: config.bot.leaseMs,
        live: liveStatuses(bot, config.bot.account),
        now: clock.now(),
      }),
      unreachableConversations(db),
      botHealth(db, clock.now()),
    ])
    // Our own library's SVG of each QR value, never user text: shown inline (the page runs no script).
    const qrSvgs = await Promise.all(
      accounts
        .filter((a) => a.qr)
        .map(async (a) => ({
          label: a.label,
          svg: await QRCode.toString(a.qr!, { type: 'svg', margin: 2 }),
        })),
    )
    let form = options.form
    if (!form) {
      const edit = c.req.query('edit')
      const row = edit ? await getBotAccount(db, edit.slice(0, 100)) : undefined
      form = row
        ? { editing: row.name, values: rowValues(row) }
        : { values: { ...blankForm, name: c.req.query('add')?.slice(0, 64) ?? '' } }
    }
    const alerting = {
      webhook: Boolean(config.alerts.webhookUrl),
      afterMinutes: config.alerts.afterMs / 60_000,
    }
    return render(
      c,
      <BotPage
        viewer={viewerOf(c)}
        accounts={accounts}
        qrSvgs={qrSvgs}
        unreachable={unreachable}
        form={form}
        health={health}
        alerting={alerting}
        notice={options.notice}
      />,
      options.status ?? 200,
    )
  }

  app.get('/bot', (c) => botPage(c, { notice: noticeOf(c) }))

  app.post('/bot/accounts', async (c) => {
    assertRole(c.get('staff'), [])
    const values = formValues(await c.req.parseBody())
    try {
      await mutate((ctx) =>
        createBotAccount(ctx, actorOf(c), {
          name: values.name,
          label: values.label,
          puppet: values.puppet,
          endpoint: values.endpoint || undefined,
          tokenEnv: values.tokenEnv || undefined,
        }),
      )
    } catch (error) {
      if (!isAppError(error)) throw error
      return botPage(c, {
        form: { values: refusedValues(values, error), error: error.message },
        status: statusOf(error),
      })
    }
    return c.redirect(`${botHref}?ok=created`, 303)
  })

  app.post('/bot/accounts/:name', async (c) => {
    assertRole(c.get('staff'), [])
    const name = c.req.param('name')
    const values = formValues(await c.req.parseBody(), name)
    let enabled = true
    try {
      const row = await mutate((ctx) =>
        updateBotAccount(ctx, actorOf(c), name, {
          label: values.label,
          puppet: values.puppet,
          endpoint: values.endpoint || null,
          tokenEnv: values.tokenEnv || null,
          enabled: values.enabled,
        }),
      )
      enabled = row.enabled
    } catch (error) {
      if (!isAppError(error)) throw error
      return botPage(c, {
        form: { editing: name, values: refusedValues(values, error), error: error.message },
        status: statusOf(error),
      })
    }
    return c.redirect(`${botHref}?ok=${enabled ? 'updated' : 'disabled'}`, 303)
  })

  app.post('/bot/accounts/:name/delete', async (c) => {
    assertRole(c.get('staff'), [])
    const name = c.req.param('name')
    try {
      await mutate((ctx) => deleteBotAccount(ctx, actorOf(c), name))
    } catch (error) {
      if (!isAppError(error)) throw error
      const row = await getBotAccount(db, name)
      return botPage(c, {
        form: {
          editing: row ? name : undefined,
          values: row ? rowValues(row) : blankForm,
          error: error.message,
        },
        status: statusOf(error),
      })
    }
    return c.redirect(`${botHref}?ok=deleted`, 303)
  })
}
