import type { Child } from 'hono/jsx'
import type { DeliveryCounts, NoticeKind, NoticeListItem } from '../../core/notices/notices.overview'
import type { StaffRole } from '../../core/shared/actor'
import { time } from './format'
import { DataTable, Layout, SelectFilter, type Viewer } from './layout'
import { consolePath } from './session'

export const noticesHref = `${consolePath}/notices`
export const noticeHref = (number: string) => `${noticesHref}/${encodeURIComponent(number)}`

export const kindNames: Record<NoticeKind, string> = {
  broadcast: '公告',
  design_publicity: '设计方案公示',
  construction: '施工计划',
  fee: '物业费通知',
}

/** Who may compose each kind: the use cases' own role checks (admins always may). */
export const composeRoles: Record<NoticeKind, readonly StaffRole[]> = {
  broadcast: ['officer', 'community_worker'],
  design_publicity: ['officer', 'community_worker'],
  construction: ['officer', 'community_worker'],
  fee: ['property_staff', 'officer'],
}
export const mayCompose = (role: StaffRole, kind: NoticeKind) =>
  role === 'admin' || composeRoles[kind].includes(role)

export const composeSlugs: Record<NoticeKind, string> = {
  broadcast: 'broadcast',
  design_publicity: 'publicity',
  construction: 'schedule',
  fee: 'fee',
}
export const composeHref = (kind: NoticeKind) => `${noticesHref}/${composeSlugs[kind]}/new`

const statusNames: Record<NoticeKind, Record<string, string>> = {
  broadcast: {
    draft: '草稿（待确认）',
    scheduled: '定时待发',
    published: '已发布',
    cancelled: '已撤回',
    expired: '已过期',
  },
  design_publicity: {
    draft: '草稿',
    scheduled: '已发布，待公示',
    open: '公示中',
    closed: '已结束',
    cancelled: '已撤回',
  },
  construction: { draft: '草稿', scheduled: '定时待发', published: '已发布', cancelled: '已撤回' },
  fee: { scheduled: '定时待发', published: '已发布', cancelled: '已撤回' },
}
export const statusName = (kind: NoticeKind, status: string) => statusNames[kind][status] ?? status

const sum = (counts: DeliveryCounts) => Object.values(counts).reduce((a, b) => a + (b ?? 0), 0)

/** 已发 x / 共 y, with what is waiting and what needs a person. */
export function DeliveryLine(props: { counts: DeliveryCounts }) {
  const c = props.counts
  const total = sum(c)
  if (total === 0) return <span class="muted">尚未发送</span>
  const attention = (c.failed ?? 0) + (c.uncertain ?? 0)
  return (
    <span>
      已发 {c.sent ?? 0} / 共 {total}
      {(c.pending ?? 0) + (c.sending ?? 0) > 0 ? ` · 待发 ${(c.pending ?? 0) + (c.sending ?? 0)}` : ''}
      {c.dropped ? ` · 已放弃 ${c.dropped}` : ''}
      {attention > 0 ? (
        <>
          {' '}
          <span class="badge late">待处理 {attention}</span>
        </>
      ) : null}
    </span>
  )
}

const excerpt = (text: string, length = 40) => (text.length > length ? `${text.slice(0, length)}…` : text)

export function NoticesPage(props: {
  viewer: Viewer
  rows: (NoticeListItem & { counts: DeliveryCounts })[]
  kind?: NoticeKind
  notice?: string
}) {
  const role = props.viewer.staff.role
  const kinds = (Object.keys(kindNames) as NoticeKind[]).filter(
    (k) => role !== 'property_staff' || k === 'fee',
  )
  const composable = kinds.filter((k) => mayCompose(role, k))
  return (
    <Layout title="通知公告" viewer={props.viewer} active="notices" notice={props.notice}>
      <h1>通知公告</h1>
      {composable.length > 0 ? (
        <div class="toolbar">
          {composable.map((k) => (
            <a href={composeHref(k)}>＋ 新建{kindNames[k]}</a>
          ))}
        </div>
      ) : null}
      <p class="muted">
        辖区内的{role === 'property_staff' ? '物业费通知' : '公告、设计方案公示、施工计划和物业费通知'}
        ，最新的在前。群消息会逐个群间隔发出，点编号看每个群的发送进度。
      </p>
      {kinds.length > 1 ? (
        <SelectFilter
          action={noticesHref}
          label="类别"
          name="kind"
          all="全部"
          options={kinds.map((k) => ({ value: k, text: kindNames[k], selected: k === props.kind }))}
          submit="筛选"
        />
      ) : null}
      <DataTable
        label="通知公告列表"
        rows={props.rows}
        empty="辖区内还没有通知公告。"
        columns={[
          { head: '编号', cell: (r) => <a href={noticeHref(r.number)}>{r.number}</a> },
          { head: '类别', cell: (r) => kindNames[r.kind] },
          { head: '内容', cell: (r) => excerpt(r.title), wide: true },
          { head: '范围', cell: (r) => r.placeName },
          { head: '状态', cell: (r) => statusName(r.kind, r.status) },
          { head: '发出时间', cell: (r) => time(r.publishAt) },
          { head: '发送进度', cell: (r) => <DeliveryLine counts={r.counts} /> },
        ]}
      />
    </Layout>
  )
}

/** The WeChat text a notice will post, and where it goes. */
export function Preview(props: {
  text: string
  groups: number
  scopeName: string
  note?: string
  children?: Child
}) {
  return (
    <section class="card" aria-label="预览">
      <h2>预览：群里将收到的消息</h2>
      <p>
        将发到 <strong>{props.scopeName}</strong> 的 <strong>{props.groups}</strong> 个居民群
        {props.groups === 0 ? '（还没有绑定的群，发不出去）' : ''}。
      </p>
      <div class="preview">{props.text}</div>
      {props.note ? <p class="hint">{props.note}</p> : null}
      {props.children}
    </section>
  )
}
