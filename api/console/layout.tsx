import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { BotStatus } from '../../bot/bot'
import type { StaffRow } from '../../core/shared/actor'
import { BotBanner, botDown } from './bot-banner'
import { staffLabel } from './format'
import { type NavKey, navFor } from './nav'
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
.badge.info{background:#0969da;color:#fff}
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
label{display:grid;gap:2px;min-width:0}
input,select,textarea,button{font:inherit}
input,select,textarea{max-width:100%;padding:5px 8px;border:1px solid #d0d7de;border-radius:6px;background:#fff}
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
header .menu-toggle{position:absolute;opacity:0;pointer-events:none}
header .menu-button{display:none}
header details.more{position:relative}
header details.more summary{color:#dce7f5;padding:12px 10px;cursor:pointer;list-style:none}
header details.more summary::-webkit-details-marker{display:none}
header details.more summary::after{content:" ▾"}
header details.more.on summary{color:#fff;box-shadow:inset 0 -3px 0 #ffd166}
header details.more .dropdown{position:absolute;z-index:10;background:#1d4e89;min-width:160px;border-radius:0 0 6px 6px;box-shadow:0 6px 16px rgba(0,0,0,.2);display:grid}
header nav .who{margin-left:auto;padding:0 8px}
.scroll{background:linear-gradient(90deg,#fff 30%,rgba(255,255,255,0)) left/40px 100% no-repeat local,linear-gradient(270deg,#fff 30%,rgba(255,255,255,0)) right/40px 100% no-repeat local,radial-gradient(farthest-side at 0 50%,rgba(0,0,0,.18),transparent) left/12px 100% no-repeat scroll,radial-gradient(farthest-side at 100% 50%,rgba(0,0,0,.18),transparent) right/12px 100% no-repeat scroll}
.scroll table{background:transparent}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:8px 0}
.hint{color:#656d76;font-size:12px}
.preview{white-space:pre-wrap;background:#eaf6e9;border:1px solid #b7dfb9;border-radius:8px;padding:10px 12px;max-width:420px}
.chart svg{max-width:100%;height:auto}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
@media (max-width:760px){
header{padding:0 12px;flex-wrap:wrap}
header .menu-button{display:block;margin-left:auto;color:#fff;padding:6px 12px;border:1px solid #8fb0d9;border-radius:6px;cursor:pointer}
header nav{display:none;flex-basis:100%;flex-direction:column;align-items:stretch;padding-bottom:8px}
header .menu-toggle:checked ~ nav{display:flex}
header nav a,header nav button,header details.more summary{padding:10px 4px;text-align:left;border-top:1px solid rgba(255,255,255,.12)}
header details.more .dropdown{position:static;box-shadow:none;padding-left:16px}
header nav .who{margin:0;padding:8px 4px}
main{padding:10px}
h1{font-size:18px}
section.card{padding:10px 12px}
input,select,textarea,button{min-height:40px}
form.stack{max-width:none}
form.inline{align-items:stretch}
table.cards thead{display:none}
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
table.cards tr{background:#fff;border:1px solid #d8dee4;border-radius:6px;margin-bottom:10px;padding:4px 0}
table.cards tr.late{border-color:#ff8182}
table.cards td{border:0;position:relative;padding:4px 10px 4px calc(5.5em + 18px);text-align:left;overflow-wrap:anywhere}
table.cards td::before{content:attr(data-label);color:#656d76;position:absolute;left:10px;width:5.5em}
table.cards td.wide{padding-left:10px}
table.cards input[type=checkbox]{width:28px;height:28px;min-height:0;margin:0}
table.cards td.wide::before{display:none}
table.cards td.num{text-align:left}
.cards-wrap{background:none}
}
`)

export type { NavKey } from './nav'

export interface Viewer {
  staff: StaffRow
  csrf: string
  /** The bot's connection, for the banner shown on every page while it is down. */
  bot?: BotStatus
  /** Admins: years whose holiday notice is missing, for the banner. */
  calendarMissing?: number[]
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
  const menu = navFor(props.viewer.staff.role)
  return (
    <Document title={props.title}>
      <header>
        <span class="brand">改造助手 · 工作台</span>
        {/* The phone menu opens with a checkbox: no script needed, and the page's CSP allows none. */}
        <input type="checkbox" id="menu-open" class="menu-toggle" aria-label="打开菜单" />
        <label for="menu-open" class="menu-button">
          菜单
        </label>
        <nav aria-label="主导航">
          {menu.main.map((item) => (
            <a href={item.href} class={item.key === props.active ? 'on' : undefined}>
              {item.label}
            </a>
          ))}
          {menu.admin.length > 0 ? (
            <details class={`more${menu.admin.some((item) => item.key === props.active) ? ' on' : ''}`}>
              <summary>管理</summary>
              <div class="dropdown">
                {menu.admin.map((item) => (
                  <a href={item.href} class={item.key === props.active ? 'on' : undefined}>
                    {item.label}
                  </a>
                ))}
              </div>
            </details>
          ) : null}
          <span class="who">{staffLabel(props.viewer.staff)}</span>
          <form method="post" action={`${consolePath}/logout`}>
            <CsrfField token={props.viewer.csrf} />
            <button type="submit">退出</button>
          </form>
        </nav>
      </header>
      <main>
        {botDown(props.viewer.bot) ? (
          <BotBanner status={props.viewer.bot} admin={props.viewer.staff.role === 'admin'} />
        ) : null}
        {props.viewer.calendarMissing?.length && props.active !== 'calendar' ? (
          <div class="msg warn" role="status">
            尚未录入 {props.viewer.calendarMissing.join('、')}{' '}
            年的国务院放假安排：期限暂按法定节假日估算，调休上班日未计入。
            <a href={`${consolePath}/calendar`}>去录入</a>
          </div>
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

/** A column of a DataTable: its head, what each row shows in it, and whether it holds figures. */
export interface Column<T> {
  head: string
  cell: (item: T) => Child
  num?: boolean
  /** On a phone, a wide cell spans the card without its label (actions, long text). */
  wide?: boolean
}

/**
 * A table that becomes a stack of cards on a phone: every cell carries its column's head as a label, so
 * nothing runs off the right edge and each row's actions stay in reach. Use it for every new table.
 */
export function DataTable<T>(props: {
  columns: readonly Column<T>[]
  rows: readonly T[]
  empty?: string
  rowClass?: (item: T) => string | undefined
  /** The table's accessible name. */
  label?: string
}) {
  return (
    <div class="scroll cards-wrap">
      <table class="cards" aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((col) => (col.num ? <th class="num">{col.head}</th> : <th>{col.head}</th>))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 && props.empty !== undefined ? (
            <tr>
              <td colspan={props.columns.length} class="muted wide">
                {props.empty}
              </td>
            </tr>
          ) : null}
          {props.rows.map((item) => (
            <tr class={props.rowClass?.(item)}>
              {props.columns.map((col) => (
                <td
                  data-label={col.head}
                  class={
                    [col.num ? 'num' : '', col.wide ? 'wide' : ''].filter(Boolean).join(' ') || undefined
                  }
                >
                  {col.cell(item)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** A POST form with its CSRF field. */
export function PostForm(props: {
  action: string
  csrf: string
  class?: string
  enctype?: 'multipart/form-data'
  children?: Child
}) {
  return (
    <form method="post" action={props.action} class={props.class ?? 'stack'} enctype={props.enctype}>
      <CsrfField token={props.csrf} />
      {props.children}
    </form>
  )
}

/** A labelled input; `hint` is a line of help under it. */
export function Input(props: {
  label: string
  name: string
  type?: 'text' | 'number' | 'date' | 'datetime-local' | 'file' | 'search' | 'tel' | 'password'
  value?: string | number
  required?: boolean
  placeholder?: string
  maxlength?: number
  accept?: string
  multiple?: boolean
  hint?: string
}) {
  return (
    <label>
      <span>{props.label}</span>
      <input
        type={props.type ?? 'text'}
        name={props.name}
        value={props.value === undefined ? undefined : String(props.value)}
        required={props.required}
        placeholder={props.placeholder}
        maxlength={props.maxlength}
        accept={props.accept}
        multiple={props.multiple}
      />
      {props.hint ? <span class="hint">{props.hint}</span> : null}
    </label>
  )
}

/** A labelled multi-line input. */
export function TextArea(props: {
  label: string
  name: string
  value?: string
  rows?: number
  required?: boolean
  maxlength?: number
  placeholder?: string
  hint?: string
}) {
  return (
    <label>
      <span>{props.label}</span>
      <textarea
        name={props.name}
        rows={props.rows ?? 4}
        required={props.required}
        maxlength={props.maxlength}
        placeholder={props.placeholder}
      >
        {props.value ?? ''}
      </textarea>
      {props.hint ? <span class="hint">{props.hint}</span> : null}
    </label>
  )
}

/** A labelled choice; `blank` adds a first empty option with that text. */
export function Select(props: {
  label: string
  name: string
  options: readonly { value: string | number; text: string }[]
  value?: string | number
  blank?: string
  required?: boolean
  multiple?: boolean
}) {
  const selected = props.value === undefined ? undefined : String(props.value)
  return (
    <label>
      <span>{props.label}</span>
      <select name={props.name} required={props.required} multiple={props.multiple}>
        {props.blank !== undefined ? <option value="">{props.blank}</option> : null}
        {props.options.map((o) => (
          <option value={String(o.value)} selected={String(o.value) === selected}>
            {o.text}
          </option>
        ))}
      </select>
    </label>
  )
}
