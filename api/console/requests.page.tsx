import { categoryCodes } from '../../core/classify/categories'
import { maskPhone } from '../../core/people/residents'
import { requestFlagNames, requestFlags } from '../../core/requests/requests.list'
import {
  isOpenRequest as isOpen,
  openChases,
  type RequestRow,
  withdrawalAsked,
} from '../../core/requests/requests.repository'
import { roleNames, type StaffRow } from '../../core/shared/actor'
import { requestStatuses } from '../../db/schema'
import { currentDue, requestOverdue, requestStatusNames, time } from './format'
import {
  type Column,
  CsrfField,
  DataTable,
  Input,
  Late,
  Layout,
  PostForm,
  Select,
  Tag,
  type Viewer,
} from './layout'
import type { InboxFilters } from './requests.filters'
import { consolePath } from './session'

const excerpt = (text: string, length = 40) => (text.length > length ? `${text.slice(0, length)}…` : text)
export const requestHref = (number: string) => `${consolePath}/requests/${encodeURIComponent(number)}`
export const bulkAssignAction = `${consolePath}/requests/bulk-assign`
const bulkFormId = 'bulk-assign'

export interface ListedRequest {
  request: RequestRow
  xiaoquName: string | null
  xiaoquPath?: string | null
  assigneeName?: string | null
}

/** Who a request may be handed to (assignmentTargets), by the path of its xiaoqu. */
export type CandidatesByPlace = ReadonlyMap<string, readonly StaffRow[]>

/** Open and chased by residents (催办): the inbox flags it, and its todo list puts it before the rest. */
const chased = (request: RequestRow) => openChases(request) > 0
const staffOption = (s: StaffRow) => ({ value: s.id, text: `${s.name}（${roleNames[s.role]}）` })

/** 受理 / 办结 / 转派 on one row; each form returns to the inbox it was posted from (`back`). */
function RowActions(props: {
  row: ListedRequest
  candidates: readonly StaffRow[]
  csrf: string
  back: string
}) {
  const { request } = props.row
  if (!isOpen(request)) return <span class="muted">—</span>
  const action = (verb: string) => `${requestHref(request.number)}/${verb}`
  return (
    <div style="display:grid;gap:4px">
      {request.status === 'submitted' ? (
        <PostForm action={action('accept')} csrf={props.csrf} class="inline">
          <input type="hidden" name="back" value={props.back} />
          <button type="submit">受理</button>
        </PostForm>
      ) : null}
      <PostForm action={action('resolve')} csrf={props.csrf} class="inline">
        <input type="hidden" name="back" value={props.back} />
        <input
          type="text"
          name="note"
          required
          maxlength={1000}
          placeholder="办理结果（将告知居民）"
          aria-label={`${request.number} 办理结果`}
          style="flex:1;min-width:8em"
        />
        <button type="submit" class="secondary">
          办结
        </button>
      </PostForm>
      {props.candidates.length > 0 ? (
        <PostForm action={action('assign')} csrf={props.csrf} class="inline">
          <input type="hidden" name="back" value={props.back} />
          <select
            name="staffId"
            required
            aria-label={`${request.number} 转派给`}
            style="flex:1;min-width:8em;max-width:16em"
          >
            <option value="">转派给…</option>
            {props.candidates.map((s) => (
              <option value={String(s.id)} selected={s.id === request.assigneeStaffId}>
                {staffOption(s).text}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            转派
          </button>
        </PostForm>
      ) : null}
    </div>
  )
}

function RequestTable(props: {
  label: string
  rows: readonly ListedRequest[]
  now: Date
  empty: string
  candidates: CandidatesByPlace
  csrf: string
  back: string
}) {
  const columns: Column<ListedRequest>[] = [
    {
      head: '选择',
      cell: ({ request }) =>
        isOpen(request) ? (
          <input
            type="checkbox"
            name="number"
            value={request.number}
            form={bulkFormId}
            aria-label={`选择 ${request.number}`}
          />
        ) : null,
    },
    { head: '编号', cell: ({ request }) => <a href={requestHref(request.number)}>{request.number}</a> },
    {
      head: '分类',
      cell: ({ request }) => (
        <>
          {request.category}
          <Tag show={request.urgency === 'urgent'} class="urgent">
            紧急
          </Tag>
        </>
      ),
    },
    { head: '小区', cell: (r) => r.xiaoquName ?? '—' },
    { head: '内容', cell: ({ request }) => excerpt(request.text) },
    {
      head: '状态',
      cell: ({ request }) => (
        <>
          {requestStatusNames[request.status]} <Late label={requestOverdue(request, props.now)} />
          <Tag show={chased(request)} class="urgent">
            居民催办 {request.urgeCount} 次
          </Tag>
          <Tag show={withdrawalAsked(request)} class="info">
            居民申请撤回
          </Tag>
        </>
      ),
    },
    { head: '承办人', cell: (r) => r.assigneeName ?? '未分配' },
    {
      head: '时限',
      cell: ({ request }) =>
        isOpen(request)
          ? `${request.status === 'submitted' ? '响应' : '办结'} ${time(currentDue(request))}`
          : '—',
    },
    { head: '联系电话', cell: ({ request }) => maskPhone(request.contactPhone) ?? '—' },
    {
      head: '操作',
      wide: true,
      cell: (row) => (
        <RowActions
          row={row}
          candidates={props.candidates.get(row.xiaoquPath ?? '') ?? []}
          csrf={props.csrf}
          back={props.back}
        />
      ),
    },
  ]
  return (
    <DataTable
      label={props.label}
      columns={columns}
      rows={props.rows}
      empty={props.empty}
      rowClass={({ request }) => (requestOverdue(request, props.now) ? 'late' : undefined)}
    />
  )
}

export interface InboxOptions {
  xiaoqu: readonly { id: number; name: string }[]
  holders: readonly { id: number; name: string }[]
}

function FilterForm(props: { filters: InboxFilters; options: InboxOptions }) {
  const f = props.filters
  return (
    // Back at the list when filtered: on a phone the 待办 above it can be screens long.
    <form method="get" action={`${consolePath}#list`} class="toolbar" aria-label="筛选诉求">
      <Input
        label="关键词或编号"
        name="q"
        type="search"
        value={f.q}
        maxlength={50}
        placeholder="如 楼道灯、Q1024"
      />
      <Select
        label="状态"
        name="status"
        blank="全部"
        value={f.status}
        options={requestStatuses.map((st) => ({ value: st, text: requestStatusNames[st] }))}
      />
      <Select
        label="分类"
        name="category"
        blank="全部"
        value={f.category}
        options={categoryCodes.map((code) => ({ value: code, text: code }))}
      />
      <Select
        label="小区"
        name="xiaoquId"
        blank="全部"
        value={f.xiaoquId}
        options={props.options.xiaoqu.map((x) => ({ value: x.id, text: x.name }))}
      />
      <Select
        label="超时"
        name="overdue"
        blank="全部"
        value={f.overdue === undefined ? undefined : String(f.overdue)}
        options={[
          { value: 'true', text: '已超时' },
          { value: 'false', text: '未超时' },
        ]}
      />
      <Select
        label="承办人"
        name="assignee"
        blank="全部"
        value={f.assignee}
        options={[
          { value: 'none', text: '未分配' },
          ...props.options.holders.map((s) => ({ value: s.id, text: s.name })),
        ]}
      />
      <Select
        label="居民"
        name="flag"
        blank="全部"
        value={f.flag}
        options={requestFlags.map((flag) => ({ value: flag, text: requestFlagNames[flag] }))}
      />
      <button type="submit">筛选</button>
      <a href={consolePath}>清除筛选</a>
    </form>
  )
}

export function InboxPage(props: {
  viewer: Viewer
  now: Date
  todo: readonly ListedRequest[]
  recent: readonly ListedRequest[]
  filters: InboxFilters
  filtered: boolean
  options: InboxOptions
  candidates: CandidatesByPlace
  /** Everyone any open request shown may be handed to: the bulk 转派's choices. */
  bulkCandidates: readonly StaffRow[]
  /** This inbox's address, for the forms to come back to. */
  here: string
  olderHref?: string
  notice?: string
  error?: string
}) {
  const late = props.todo.filter((r) => requestOverdue(r.request, props.now)).length
  // Overdue first, then those residents chased; within each, the deadline that matters now, earliest first.
  const todo = [...props.todo].sort(
    (a, b) =>
      Number(!!requestOverdue(b.request, props.now)) - Number(!!requestOverdue(a.request, props.now)) ||
      Number(chased(b.request)) - Number(chased(a.request)) ||
      currentDue(a.request).getTime() - currentDue(b.request).getTime(),
  )
  const urged = props.todo.filter((r) => chased(r.request)).length
  const table = { now: props.now, candidates: props.candidates, csrf: props.viewer.csrf, back: props.here }
  return (
    <Layout title="收件箱" viewer={props.viewer} active="inbox" notice={props.notice} error={props.error}>
      <h1>收件箱</h1>
      <p>
        <a href={`${consolePath}/requests/new`}>＋ 代录诉求（电话、来访）</a>
      </p>
      <h2>
        我的待办诉求（{todo.length} 件{late > 0 ? `，其中超时 ${late} 件` : ''}
        {urged > 0 ? `，居民催办 ${urged} 件` : ''}）
      </h2>
      <p class="muted">交给您办理的，以及辖区内尚未指定承办人的诉求；超时的排在最前，其次是居民催办的。</p>
      <RequestTable label="我的待办诉求" rows={todo} empty="没有待办诉求。" {...table} />
      <h2 id="list">{props.filtered ? '符合条件的诉求' : '辖区内最近的诉求'}</h2>
      <FilterForm filters={props.filters} options={props.options} />
      <RequestTable label="诉求列表" rows={props.recent} empty="没有符合条件的诉求。" {...table} />
      {props.olderHref ? (
        <p>
          <a href={`${props.olderHref}#list`}>更早的诉求 →</a>
        </p>
      ) : null}
      <section class="card">
        <h2>批量转派</h2>
        <form method="post" action={bulkAssignAction} id={bulkFormId} class="inline">
          <CsrfField token={props.viewer.csrf} />
          <input type="hidden" name="back" value={props.here} />
          <label>
            <span>把勾选的诉求转派给</span>
            <select name="staffId" required>
              <option value="">请选择</option>
              {props.bulkCandidates.map((s) => (
                <option value={String(s.id)}>{staffOption(s).text}</option>
              ))}
            </select>
          </label>
          <input type="text" name="note" maxlength={500} placeholder="备注（可选）" aria-label="备注" />
          <button type="submit">转派勾选的诉求</button>
        </form>
        <p class="hint">在上面的列表中勾选未办结的诉求；不能转派的会逐件说明原因，其余照常转派。</p>
      </section>
    </Layout>
  )
}
