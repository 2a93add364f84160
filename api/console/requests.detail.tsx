import type { Child } from 'hono/jsx'
import { categoryCodes } from '../../core/classify/categories'
import { maxReplyLength } from '../../core/requests/reply'
import {
  isOpenRequest,
  type RequestEventRow,
  type RequestRow,
  withdrawalAsked,
} from '../../core/requests/requests.repository'
import { roleNames, type StaffRow } from '../../core/shared/actor'
import {
  channelNames,
  ratingNames,
  requestEventNames,
  requestOverdue,
  requestStatusNames,
  time,
} from './format'
import { localInput } from './kit'
import { DataTable, Input, Late, Layout, PostForm, Select, TextArea, type Viewer } from './layout'
import { requestHref } from './requests.page'
import { consolePath } from './session'

/** Event names as people read them, including the officers' replies (replied). */
const eventName = (kind: string) =>
  kind === 'replied' ? '回复居民' : (requestEventNames[kind as keyof typeof requestEventNames] ?? kind)

/** One action on a request: a card headed by its verb, with a form that posts the fields and submits. */
const ActionCard = (props: {
  verb: string
  action: string
  csrf: string
  hint?: string
  children?: Child
}) => (
  <section class="card">
    <h2>{props.verb}</h2>
    {props.hint ? <p class="hint">{props.hint}</p> : null}
    <PostForm action={props.action} csrf={props.csrf}>
      {props.children}
      <button type="submit">{props.verb}</button>
    </PostForm>
  </section>
)

const NoteField = () => <Input label="备注（可选）" name="note" maxlength={500} />

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
  /** Where a reply goes: the group it was filed in, the resident's private chat, or nowhere (phoned in). */
  replyTo: 'group' | 'private' | null
  /** Reclassifying moves deadlines: officers' and community workers' call, not property staff's. */
  mayReclassify: boolean
}

function Facts(props: { detail: RequestDetail }) {
  const { request } = props.detail
  const optional = (label: string, value: Child | null | undefined) =>
    value ? (
      <>
        <dt>{label}</dt>
        <dd class="pre">{value}</dd>
      </>
    ) : null
  return (
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
        {optional('办理结果', request.resolutionNote)}
        {optional('评价', request.rating ? ratingNames[request.rating] : null)}
        {optional('同求', request.supportCount > 0 ? `${request.supportCount} 人` : null)}
        {optional(
          '居民催办',
          request.urgeCount > 0 && request.lastUrgedAt
            ? `${request.urgeCount} 次，最近 ${time(request.lastUrgedAt)}（见办理记录）`
            : null,
        )}
        {optional(
          '居民申请撤回',
          withdrawalAsked(request) && request.withdrawalAskedAt
            ? `${time(request.withdrawalAskedAt)}（见办理记录）。与居民核实后，可办结并注明"居民撤回"`
            : null,
        )}
      </dl>
    </section>
  )
}

function Photos(props: { number: string; photos: NonNullable<RequestDetail['photos']> }) {
  if (props.photos.length === 0) return null
  return (
    <section class="card">
      <h2>居民补充的照片（{props.photos.length}）</h2>
      <p class="photos">
        {props.photos.map((p) => (
          <a href={`${requestHref(props.number)}/photos/${p.id}`} target="_blank" rel="noopener">
            <img
              src={`${requestHref(props.number)}/photos/${p.id}`}
              alt={`照片 ${time(p.createdAt)}`}
              title={`${time(p.createdAt)}，${Math.ceil(p.size / 1024)} KB`}
              loading="lazy"
              width={160}
            />
          </a>
        ))}
      </p>
    </section>
  )
}

/** 受理 / 办结 / 转派 / 重新分类 / 延期: the changes an open request takes. */
function OpenActions(props: { detail: RequestDetail; csrf: string }) {
  const { request, candidates } = props.detail
  const action = (verb: string) => `${requestHref(request.number)}/${verb}`
  return (
    <>
      {request.status === 'submitted' ? (
        <ActionCard verb="受理" action={action('accept')} csrf={props.csrf}>
          <NoteField />
        </ActionCard>
      ) : null}
      <ActionCard verb="办结" action={action('resolve')} csrf={props.csrf}>
        <TextArea label="办理结果（必填，将告知居民）" name="note" rows={3} required maxlength={1000} />
      </ActionCard>
      <ActionCard verb="转派" action={action('assign')} csrf={props.csrf}>
        <Select
          label="转派给"
          name="staffId"
          required
          blank="请选择"
          value={request.assigneeStaffId ?? undefined}
          options={candidates.map((s) => ({ value: s.id, text: `${s.name}（${roleNames[s.role]}）` }))}
        />
        <NoteField />
      </ActionCard>
      {props.detail.mayReclassify ? (
        <ActionCard
          verb="重新分类"
          action={action('reclassify')}
          csrf={props.csrf}
          hint="时限按新分类从提交时间重新计算，并记入操作记录。"
        >
          <Select
            label="分类"
            name="category"
            required
            value={request.category}
            options={categoryCodes.map((code) => ({ value: code, text: code }))}
          />
          <Select
            label="紧急程度"
            name="urgency"
            value={request.urgency}
            options={[
              { value: 'normal', text: '一般' },
              { value: 'urgent', text: '紧急' },
            ]}
          />
          <Input label="原因（必填）" name="reason" required maxlength={500} />
        </ActionCard>
      ) : null}
      <ActionCard
        verb="延期"
        action={action('extend')}
        csrf={props.csrf}
        hint="改办结时限，或暂缓提醒到某个时间（二者至少填一项）；原因记入操作记录。"
      >
        <Input
          label="新的办结时限"
          name="resolutionDueAt"
          type="datetime-local"
          value={localInput(request.resolutionDueAt)}
        />
        <Input label="暂缓提醒到（可选）" name="snoozeUntil" type="datetime-local" />
        <Input label="原因（必填）" name="reason" required maxlength={500} />
      </ActionCard>
    </>
  )
}

export function RequestPage(props: {
  viewer: Viewer
  now: Date
  detail: RequestDetail
  error?: string
  notice?: string
}) {
  const { request, events, replyTo } = props.detail
  const late = requestOverdue(request, props.now)
  const open = isOpenRequest(request)
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
      <Facts detail={props.detail} />
      <Photos number={request.number} photos={props.detail.photos ?? []} />
      <div class="actions">
        {open ? <OpenActions detail={props.detail} csrf={props.viewer.csrf} /> : null}
        {replyTo ? (
          <ActionCard
            verb="回复居民"
            action={`${requestHref(request.number)}/reply`}
            csrf={props.viewer.csrf}
            hint={
              replyTo === 'group'
                ? '发到该诉求所在的居民群，并 @ 提交人；会署上您的姓名。'
                : '发到居民的微信私聊；会署上您的姓名。'
            }
          >
            <TextArea label="回复内容" name="text" rows={3} required maxlength={maxReplyLength} />
          </ActionCard>
        ) : null}
      </div>

      <h2>办理记录</h2>
      <DataTable
        label="办理记录"
        rows={events}
        empty="暂无记录。"
        columns={[
          { head: '时间', cell: (e) => time(e.at) },
          { head: '事件', cell: (e) => eventName(e.kind) },
          { head: '操作人', cell: (e) => e.actorName ?? (e.actorKind === 'system' ? '系统' : '—') },
          { head: '说明', wide: true, cell: (e) => <span class="pre">{e.note ?? ''}</span> },
        ]}
      />
      <p>
        <a href={consolePath}>← 返回收件箱</a>
      </p>
    </Layout>
  )
}
