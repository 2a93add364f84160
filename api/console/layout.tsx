import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { BotStatus } from '../../bot/bot'
import type { StaffRow } from '../../core/shared/actor'
import { BotBanner, botDown } from './bot-banner'
import { staffLabel } from './format'
import { consolePath, csrfField } from './session'

/** Our own constant stylesheet (never user text), so it is emitted raw: `>` must survive inside <style>. */
const css = raw(`
*{box-sizing:border-box}
body{margin:0;font:14px/1.6 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2328;background:#f5f6f8}
header{background:#1d4e89;color:#fff;padding:0 16px;display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px}
header .brand{font-weight:600;font-size:16px;padding:10px 0;margin-right:8px}
header nav{display:flex;flex-wrap:wrap;align-items:center;gap:2px;flex:1}
header nav a,header nav button{color:#dce7f5;text-decoration:none;padding:12px 10px;background:none;border:0;font:inherit;cursor:pointer}
header nav a.on{color:#fff;box-shadow:inset 0 -3px 0 #ffd166}
header nav a:hover,header nav button:hover{color:#fff}
header .who{color:#dce7f5;font-size:13px}
header form{margin:0;display:inline}
main{max-width:1280px;margin:0 auto;padding:16px}
h1{font-size:20px;margin:8px 0 16px}
h2{font-size:16px;margin:24px 0 8px}
section.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:12px 16px;margin-bottom:16px}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{border-bottom:1px solid #e5e8eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:12px;background:#e5e8eb;white-space:nowrap}
.badge.late{background:#cf222e;color:#fff}
.badge.urgent{background:#bc4c00;color:#fff}
.badge.ok{background:#1a7f37;color:#fff}
tr.late td{background:#fff5f5}
.msg{padding:10px 14px;border-radius:6px;margin-bottom:16px;border:1px solid}
.msg.error{background:#ffebe9;border-color:#ff8182;color:#82071e}
.msg.ok{background:#dafbe1;border-color:#4ac26b;color:#0f5323}
.msg.warn{background:#fff8c5;border-color:#d4a72c;color:#4d2d00}
.qr svg{width:240px;height:240px;background:#fff}
.muted{color:#656d76}
.pre{white-space:pre-wrap;word-break:break-word}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:#656d76}
dl.facts dd{margin:0}
form.inline{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:4px 0}
form.stack{display:grid;gap:8px;max-width:560px}
label{display:grid;gap:2px}
input,select,textarea,button{font:inherit}
input,select,textarea{padding:5px 8px;border:1px solid #d0d7de;border-radius:6px;background:#fff}
button{padding:5px 12px;border:1px solid #1d4e89;border-radius:6px;background:#1d4e89;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d4e89}
.actions{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.actions section{margin:0}
.pipeline{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(180px,1fr);gap:8px;overflow-x:auto;padding-bottom:8px}
.pipeline .col{background:#eef1f4;border-radius:6px;padding:8px;min-height:120px}
.pipeline .col h3{font-size:14px;margin:0 0 8px;display:flex;justify-content:space-between}
.pipeline .item{display:block;background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:6px 8px;margin-bottom:6px;color:inherit;text-decoration:none}
.pipeline .item:hover{border-color:#1d4e89}
.stages{display:flex;flex-wrap:wrap;gap:4px;margin:8px 0;padding:0;list-style:none}
.stages li{padding:2px 10px;border-radius:12px;background:#e5e8eb;font-size:13px}
.stages li.done{background:#c8e1ff}
.stages li.now{background:#1d4e89;color:#fff}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin-bottom:16px}
.kpi{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:12px 16px}
.kpi .label{color:#656d76;font-size:13px}
.kpi .value{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi .sub{color:#656d76;font-size:12px}
a{color:#0b5cad}
`)

export type NavKey =
  | 'inbox'
  | 'tasks'
  | 'overdue'
  | 'projects'
  | 'campaigns'
  | 'claims'
  | 'dashboard'
  | 'groups'
  | 'bot'
  | 'none'

const navItems: { key: NavKey; href: string; label: string }[] = [
  { key: 'inbox', href: consolePath, label: '收件箱' },
  { key: 'tasks', href: `${consolePath}/tasks`, label: '我的任务' },
  { key: 'overdue', href: `${consolePath}/overdue`, label: '超时' },
  { key: 'projects', href: `${consolePath}/projects`, label: '项目' },
  { key: 'campaigns', href: `${consolePath}/campaigns`, label: '征询表决' },
  { key: 'claims', href: `${consolePath}/claims`, label: '房屋认证' },
  { key: 'dashboard', href: `${consolePath}/dashboard`, label: '数据看板' },
  { key: 'groups', href: `${consolePath}/groups`, label: '群管理' },
]

/** Pages only admins see in the nav (the login QR logs an account in as the bot). */
const adminNavItems: typeof navItems = [{ key: 'bot', href: `${consolePath}/bot`, label: '机器人' }]

export interface Viewer {
  staff: StaffRow
  csrf: string
  /** The bot's connection, for the banner shown on every page while it is down. */
  bot?: BotStatus
}

export const CsrfField = (props: { token: string }) => (
  <input type="hidden" name={csrfField} value={props.token} />
)

export function Document(props: { title: string; children?: Child }) {
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · 改造助手工作台`}</title>
        <style>{css}</style>
      </head>
      <body>{props.children}</body>
    </html>
  )
}

/** Every page after login: the nav bar, who is logged in, the messages, the page. */
export function Layout(props: {
  title: string
  viewer: Viewer
  active: NavKey
  error?: string
  notice?: string
  children?: Child
}) {
  return (
    <Document title={props.title}>
      <header>
        <span class="brand">改造助手 · 工作台</span>
        <nav aria-label="主导航">
          {[...navItems, ...(props.viewer.staff.role === 'admin' ? adminNavItems : [])].map((item) => (
            <a href={item.href} class={item.key === props.active ? 'on' : undefined}>
              {item.label}
            </a>
          ))}
          <form method="post" action={`${consolePath}/logout`}>
            <CsrfField token={props.viewer.csrf} />
            <button type="submit">退出</button>
          </form>
        </nav>
        <span class="who">{staffLabel(props.viewer.staff)}</span>
      </header>
      <main>
        {botDown(props.viewer.bot) ? (
          <BotBanner status={props.viewer.bot} admin={props.viewer.staff.role === 'admin'} />
        ) : null}
        <Messages error={props.error} notice={props.notice} />
        {props.children}
      </main>
    </Document>
  )
}

export function Messages(props: { error?: string; notice?: string }) {
  return (
    <>
      {props.error ? (
        <div class="msg error" role="alert">
          {props.error}
        </div>
      ) : null}
      {props.notice ? (
        <div class="msg ok" role="status">
          {props.notice}
        </div>
      ) : null}
    </>
  )
}

export const Late = (props: { label: string | null }) =>
  props.label ? <span class="badge late">{props.label}</span> : null

/** A column head: its label, or `{ num: label }` for a right-aligned column of figures. */
export type Head = string | { num: string }

/** The heads of a record of events (a request's, a project's). */
export const eventHead: readonly Head[] = ['时间', '事件', '操作人', '说明']

/** A scrolling table: the heads, then a row per item, or the `empty` line across all columns when there is none. */
export function Table<T>(props: {
  head: readonly Head[]
  rows: readonly T[]
  row: (item: T) => Child
  empty?: string
}) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            {props.head.map((h) => (typeof h === 'string' ? <th>{h}</th> : <th class="num">{h.num}</th>))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 && props.empty !== undefined ? (
            <tr>
              <td colspan={props.head.length} class="muted">
                {props.empty}
              </td>
            </tr>
          ) : null}
          {props.rows.map(props.row)}
        </tbody>
      </table>
    </div>
  )
}

/** A GET form that narrows a list by one choice, `all` (value '') first when given. */
export function SelectFilter(props: {
  action: string
  label: string
  name: string
  all?: string
  options: readonly { value: string; text: string | number; selected: boolean }[]
  submit: string
}) {
  return (
    <form method="get" action={props.action} class="inline">
      <label>
        {props.label}
        <select name={props.name}>
          {props.all ? <option value="">{props.all}</option> : null}
          {props.options.map((o) => (
            <option value={o.value} selected={o.selected}>
              {o.text}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        {props.submit}
      </button>
    </form>
  )
}

/** A badge after a space when `show`, else nothing. */
export const Tag = (props: { show: unknown; class: string; children?: Child }) =>
  props.show ? (
    <>
      {' '}
      <span class={`badge ${props.class}`}>{props.children}</span>
    </>
  ) : null
