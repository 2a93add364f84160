import type { Child } from 'hono/jsx'
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
import { CsrfField, eventHead, Late, Layout, SelectFilter, Table, Tag, type Viewer } from './layout'
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
    <Table
      head={['编号', '分类', '小区', '内容', '状态', '响应时限', '办结时限', '联系电话']}
      rows={props.rows}
      empty={props.empty}
      row={({ request, xiaoquName }) => {
        const late = requestOverdue(request, props.now)
        return (
          <tr class={late ? 'late' : undefined}>
            <td>
              <a href={requestHref(request.number)}>{request.number}</a>
            </td>
            <td>
              {request.category}
              <Tag show={request.urgency === 'urgent'} class="urgent">
                紧急
              </Tag>
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
      }}
    />
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
      <SelectFilter
        action={consolePath}
        label="状态"
        name="status"
        all="全部"
        options={requestStatuses.map((st) => ({
          value: st,
          text: requestStatusNames[st],
          selected: props.status === st,
        }))}
        submit="筛选"
      />
      <RequestRows rows={props.recent} now={props.now} empty="没有符合条件的诉求。" />
      {props.olderHref ? (
        <p>
          <a href={props.olderHref}>更早的诉求 →</a>
        </p>
      ) : null}
    </Layout>
  )
}

/** One action on a request: a card headed by its verb, with a form that posts the fields and submits. */
const ActionCard = (props: { verb: string; action: string; csrf: string; children?: Child }) => (
  <section class="card">
    <h2>{props.verb}</h2>
    <form method="post" action={props.action} class="stack">
      <CsrfField token={props.csrf} />
      {props.children}
      <button type="submit">{props.verb}</button>
    </form>
  </section>
)

const NoteField = () => (
  <label>
    备注（可选）
    <input type="text" name="note" maxlength={500} />
  </label>
)

export interface RequestDetail {
  request: RequestRow
  xiaoquName: string | null
  authorName: string | null
  assignee: StaffRow | null
  events: RequestEventRow[]
  /** The contact phone as the viewer may see it: in full to its holder and admins, masked otherwise. */
  phone: string | null
  /** Who 转派 may hand it to: exactly the staff the use case accepts. */
  candidates: StaffRow[]
  /** Photos residents sent after filing (补充照片), oldest first. */
  photos?: readonly { id: number; createdAt: Date; size: number }[]
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
          <dd>{props.detail.phone ?? '—'}</dd>
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

      {props.detail.photos?.length ? (
        <section class="card">
          <h2>居民补充的照片（{props.detail.photos.length}）</h2>
          <p class="photos">
            {props.detail.photos.map((p) => (
              <a href={`${requestHref(request.number)}/photos/${p.id}`} target="_blank" rel="noopener">
                <img
                  src={`${requestHref(request.number)}/photos/${p.id}`}
                  alt={`照片 ${time(p.createdAt)}`}
                  title={`${time(p.createdAt)}，${Math.ceil(p.size / 1024)} KB`}
                  loading="lazy"
                  width={160}
                />
              </a>
            ))}
          </p>
        </section>
      ) : null}

      {open ? (
        <div class="actions">
          {request.status === 'submitted' ? (
            <ActionCard verb="受理" action={action('accept')} csrf={props.viewer.csrf}>
              <NoteField />
            </ActionCard>
          ) : null}
          <ActionCard verb="办结" action={action('resolve')} csrf={props.viewer.csrf}>
            <label>
              办理结果（必填，将告知居民）
              <textarea name="note" rows={3} required maxlength={1000} />
            </label>
          </ActionCard>
          <ActionCard verb="转派" action={action('assign')} csrf={props.viewer.csrf}>
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
            <NoteField />
          </ActionCard>
        </div>
      ) : null}

      <h2>办理记录</h2>
      <Table
        head={eventHead}
        rows={events}
        empty="暂无记录。"
        row={(e) => (
          <tr>
            <td>{time(e.at)}</td>
            <td>{requestEventNames[e.kind] ?? e.kind}</td>
            <td>{e.actorName ?? (e.actorKind === 'system' ? '系统' : '—')}</td>
            <td class="pre">{e.note ?? ''}</td>
          </tr>
        )}
      />
      <p>
        <a href={consolePath}>← 返回收件箱</a>
      </p>
    </Layout>
  )
}
