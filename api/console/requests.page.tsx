import { maskPhone } from '../../core/people/residents'
import type { RequestEventRow, RequestRow } from '../../core/requests/requests.repository'
import { roleNames, type StaffRow } from '../../core/shared/actor'
import { requestStatuses } from '../../db/schema'
import {
  channelNames,
  currentDue,
  ratingNames,
  requestEventNames,
  requestOverdue,
  requestStatusNames,
  time,
} from './format'
import { CsrfField, Empty, Late, Layout, type Viewer } from './layout'
import { consolePath } from './session'

const excerpt = (text: string, length = 40) => (text.length > length ? `${text.slice(0, length)}…` : text)
export const requestHref = (number: string) => `${consolePath}/requests/${encodeURIComponent(number)}`

interface ListedRequest {
  request: RequestRow
  xiaoquName: string | null
  authorName?: string | null
}

function RequestRows(props: { rows: ListedRequest[]; now: Date; empty: string }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>编号</th>
            <th>分类</th>
            <th>小区</th>
            <th>内容</th>
            <th>状态</th>
            <th>响应时限</th>
            <th>办结时限</th>
            <th>联系电话</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? <Empty colspan={8} text={props.empty} /> : null}
          {props.rows.map(({ request, xiaoquName }) => {
            const late = requestOverdue(request, props.now)
            return (
              <tr class={late ? 'late' : undefined}>
                <td>
                  <a href={requestHref(request.number)}>{request.number}</a>
                </td>
                <td>
                  {request.category}
                  {request.urgency === 'urgent' ? (
                    <>
                      {' '}
                      <span class="badge urgent">紧急</span>
                    </>
                  ) : null}
                </td>
                <td>{xiaoquName ?? '—'}</td>
                <td>{excerpt(request.text)}</td>
                <td>
                  {requestStatusNames[request.status]} <Late label={late} />
                </td>
                <td>{request.status === 'submitted' ? time(request.responseDueAt) : '—'}</td>
                <td>{time(request.resolutionDueAt)}</td>
                <td>{maskPhone(request.contactPhone) ?? '—'}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}

export function InboxPage(props: {
  viewer: Viewer
  now: Date
  todo: ListedRequest[]
  recent: ListedRequest[]
  status?: RequestRow['status']
  olderHref?: string
  notice?: string
}) {
  const late = props.todo.filter((r) => requestOverdue(r.request, props.now)).length
  // Overdue first; within each, the deadline that matters now, earliest first.
  const todo = [...props.todo].sort(
    (a, b) =>
      Number(!!requestOverdue(b.request, props.now)) - Number(!!requestOverdue(a.request, props.now)) ||
      currentDue(a.request).getTime() - currentDue(b.request).getTime(),
  )
  return (
    <Layout title="收件箱" viewer={props.viewer} active="inbox" notice={props.notice}>
      <h1>收件箱</h1>
      <h2>
        我的待办诉求（{todo.length} 件{late > 0 ? `，其中超时 ${late} 件` : ''}）
      </h2>
      <p class="muted">交给您办理的，以及辖区内尚未指定承办人的诉求；超时的排在最前。</p>
      <RequestRows rows={todo} now={props.now} empty="没有待办诉求。" />
      <h2>辖区内最近的诉求</h2>
      <form method="get" action={consolePath} class="inline">
        <label>
          状态
          <select name="status">
            <option value="">全部</option>
            {requestStatuses.map((s) => (
              <option value={s} selected={props.status === s}>
                {requestStatusNames[s]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          筛选
        </button>
      </form>
      <RequestRows rows={props.recent} now={props.now} empty="没有符合条件的诉求。" />
      {props.olderHref ? (
        <p>
          <a href={props.olderHref}>更早的诉求 →</a>
        </p>
      ) : null}
    </Layout>
  )
}

export interface RequestDetail {
  request: RequestRow
  xiaoquName: string | null
  authorName: string | null
  assignee: StaffRow | null
  events: RequestEventRow[]
  candidates: StaffRow[]
}

export function RequestPage(props: {
  viewer: Viewer
  now: Date
  detail: RequestDetail
  error?: string
  notice?: string
}) {
  const { request, events, candidates } = props.detail
  const late = requestOverdue(request, props.now)
  const open = request.status === 'submitted' || request.status === 'accepted'
  const action = (verb: string) => `${requestHref(request.number)}/${verb}`
  return (
    <Layout
      title={`诉求 ${request.number}`}
      viewer={props.viewer}
      active="inbox"
      error={props.error}
      notice={props.notice}
    >
      <h1>
        诉求 {request.number}【{request.category}】{' '}
        <span class="badge">{requestStatusNames[request.status]}</span>{' '}
        {request.urgency === 'urgent' ? <span class="badge urgent">紧急</span> : null} <Late label={late} />
      </h1>
      <section class="card">
        <dl class="facts">
          <dt>内容</dt>
          <dd class="pre">{request.text}</dd>
          <dt>分类</dt>
          <dd>
            {request.category}（{request.menuItem}）
          </dd>
          <dt>小区</dt>
          <dd>{props.detail.xiaoquName ?? '—'}</dd>
          <dt>位置</dt>
          <dd>{request.location ?? '—'}</dd>
          <dt>来源</dt>
          <dd>{channelNames[request.channel]}</dd>
          <dt>提交人</dt>
          <dd>{props.detail.authorName ?? '—'}</dd>
          <dt>联系电话</dt>
          <dd>{request.contactPhone ?? '—'}</dd>
          <dt>承办人</dt>
          <dd>{props.detail.assignee ? props.detail.assignee.name : '未指定'}</dd>
          <dt>提交时间</dt>
          <dd>{time(request.createdAt)}</dd>
          <dt>响应时限</dt>
          <dd>
            {time(request.responseDueAt)}
            {request.respondedAt ? `（${time(request.respondedAt)} 已响应）` : ''}
          </dd>
          <dt>办结时限</dt>
          <dd>
            {time(request.resolutionDueAt)}
            {request.resolvedAt ? `（${time(request.resolvedAt)} 已办结）` : ''}
          </dd>
          {request.resolutionNote ? (
            <>
              <dt>办理结果</dt>
              <dd class="pre">{request.resolutionNote}</dd>
            </>
          ) : null}
          {request.rating ? (
            <>
              <dt>评价</dt>
              <dd>{ratingNames[request.rating]}</dd>
            </>
          ) : null}
          {request.supportCount > 0 ? (
            <>
              <dt>同求</dt>
              <dd>{request.supportCount} 人</dd>
            </>
          ) : null}
        </dl>
      </section>

      {open ? (
        <div class="actions">
          {request.status === 'submitted' ? (
            <section class="card">
              <h2>受理</h2>
              <form method="post" action={action('accept')} class="stack">
                <CsrfField token={props.viewer.csrf} />
                <label>
                  备注（可选）
                  <input type="text" name="note" maxlength={500} />
                </label>
                <button type="submit">受理</button>
              </form>
            </section>
          ) : null}
          <section class="card">
            <h2>办结</h2>
            <form method="post" action={action('resolve')} class="stack">
              <CsrfField token={props.viewer.csrf} />
              <label>
                办理结果（必填，将告知居民）
                <textarea name="note" rows={3} required maxlength={1000} />
              </label>
              <button type="submit">办结</button>
            </form>
          </section>
          <section class="card">
            <h2>转派</h2>
            <form method="post" action={action('assign')} class="stack">
              <CsrfField token={props.viewer.csrf} />
              <label>
                转派给
                <select name="staffId" required>
                  <option value="">请选择</option>
                  {candidates.map((s) => (
                    <option value={String(s.id)} selected={s.id === request.assigneeStaffId}>
                      {s.name}（{roleNames[s.role]}）
                    </option>
                  ))}
                </select>
              </label>
              <label>
                备注（可选）
                <input type="text" name="note" maxlength={500} />
              </label>
              <button type="submit">转派</button>
            </form>
          </section>
        </div>
      ) : null}

      <h2>办理记录</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>时间</th>
              <th>事件</th>
              <th>操作人</th>
              <th>说明</th>
            </tr>
          </thead>
          <tbody>
            {events.length === 0 ? <Empty colspan={4} text="暂无记录。" /> : null}
            {events.map((e) => (
              <tr>
                <td>{time(e.at)}</td>
                <td>{requestEventNames[e.kind] ?? e.kind}</td>
                <td>{e.actorName ?? (e.actorKind === 'system' ? '系统' : '—')}</td>
                <td class="pre">{e.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        <a href={consolePath}>← 返回收件箱</a>
      </p>
    </Layout>
  )
}
