import { groupKindNames, groupStateNames } from '../../core/groups/groups.messages'
import type { GroupFilters, ListedGroup } from '../../core/groups/groups.usecases'
import type { ListedIdentityIssue } from '../../core/groups/identity-issues.usecases'
import { groupKinds, groupStates } from '../../db/schema'
import { time } from './format'
import { CsrfField, DataTable, Layout, Select, type Viewer } from './layout'
import { type PlaceNames, scopeName } from './people.form'
import { consolePath } from './session'

export const groupsHref = `${consolePath}/groups`
const stateClass = { active: 'ok', unbound: '', left: 'late' } as const

function Filters(props: { filters: GroupFilters; places: readonly { id: number; name: string }[] }) {
  const { filters } = props
  return (
    <form method="get" action={groupsHref} class="inline">
      <Select
        label="小区"
        name="xiaoquId"
        blank="全部"
        options={props.places.map((p) => ({ value: p.id, text: p.name }))}
        value={filters.xiaoquId}
      />
      <label>
        类型
        <select name="kind">
          <option value="">全部</option>
          {groupKinds.map((k) => (
            <option value={k} selected={filters.kind === k}>
              {groupKindNames[k]}
            </option>
          ))}
        </select>
      </label>
      <label>
        状态
        <select name="state">
          <option value="">全部</option>
          {groupStates.map((s) => (
            <option value={s} selected={filters.state === s}>
              {groupStateNames[s]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="secondary">
        筛选
      </button>
    </form>
  )
}

function Actions(props: { row: ListedGroup; csrf: string }) {
  const { group } = props.row
  const action = (verb: string) => `${groupsHref}/${group.id}/${verb}`
  if (group.state === 'active') {
    return (
      <form method="post" action={action('unbind')} class="inline">
        <CsrfField token={props.csrf} />
        <input type="text" name="reason" required maxlength={500} placeholder="解绑原因（必填）" />
        <button type="submit" class="secondary">
          解绑
        </button>
      </form>
    )
  }
  if (group.state === 'unbound') {
    return (
      <form method="post" action={action('rebind')} class="inline">
        <CsrfField token={props.csrf} />
        <input type="text" name="reason" maxlength={500} placeholder="说明（可选）" />
        <button type="submit">重新启用</button>
      </form>
    )
  }
  return <span class="muted">请先把机器人拉回群里，再发 绑定小区 绑定码</span>
}

function IssueActions(props: { row: ListedIdentityIssue; csrf: string }) {
  const { issue } = props.row
  const action = `${consolePath}/identity-issues/${issue.id}/resolve`
  return (
    <>
      <form method="post" action={action} class="stack">
        <CsrfField token={props.csrf} />
        {issue.candidates.length === 0 ? <span class="muted">没有同名的候选</span> : null}
        {issue.candidates.map((candidate) => (
          <label style="display:flex;gap:6px;align-items:center">
            <input type="radio" name="wechatId" value={candidate.id} />
            {candidate.name} <span class="muted">{candidate.id}</span>
          </label>
        ))}
        <input type="text" name="otherId" maxlength={200} placeholder="或填写新的 ID" />
        <button type="submit">确定</button>
      </form>
      <form method="post" action={action} class="inline">
        <CsrfField token={props.csrf} />
        <input type="hidden" name="dismiss" value="1" />
        <button type="submit" class="secondary">
          忽略
        </button>
      </form>
    </>
  )
}

/** What a group serves: its xiaoqu (residents' and building groups) or the area of an officers' group. */
const bindingOf = (row: ListedGroup, names: PlaceNames) =>
  row.xiaoquName ?? (row.group.scopePath ? scopeName(row.group.scopePath, names) : '未绑定')

export function GroupsPage(props: {
  viewer: Viewer
  rows: readonly ListedGroup[]
  filters: GroupFilters
  places: readonly { id: number; name: string }[]
  names: PlaceNames
  canAct: boolean
  issues?: readonly ListedIdentityIssue[]
  error?: string
  notice?: string
}) {
  const { csrf } = props.viewer
  return (
    <Layout title="群管理" viewer={props.viewer} active="groups" error={props.error} notice={props.notice}>
      <h1>群管理（{props.rows.length} 个）</h1>
      <p class="muted">
        解绑后机器人在该群保持沉默，该群的待发消息取消；重新启用后恢复服务。机器人被移出的群需重新拉入并绑定。
      </p>
      <Filters filters={props.filters} places={props.places} />
      <DataTable
        label="群"
        rows={props.rows}
        empty="没有符合条件的群。"
        columns={[
          { head: '群名', cell: (row) => row.group.topic },
          { head: '类型', cell: (row) => groupKindNames[row.group.kind] },
          {
            head: '绑定到',
            cell: (row) => (
              <>
                {bindingOf(row, props.names)}
                {row.group.buildingId ? <span class="muted"> · 楼栋 #{row.group.buildingId}</span> : null}
              </>
            ),
          },
          {
            head: '状态',
            cell: (row) => (
              <>
                <span class={`badge ${stateClass[row.group.state]}`}>{groupStateNames[row.group.state]}</span>
                {row.group.stateChangedAt ? <div class="muted">{time(row.group.stateChangedAt)}</div> : null}
              </>
            ),
          },
          { head: '成员', num: true, cell: (row) => row.group.memberCount ?? '—' },
          { head: '最近消息', cell: (row) => time(row.group.lastMessageAt) },
          { head: '绑定时间', cell: (row) => time(row.group.createdAt) },
          ...(props.canAct
            ? [{ head: '操作', wide: true, cell: (row: ListedGroup) => <Actions row={row} csrf={csrf} /> }]
            : []),
        ]}
      />
      {props.issues ? (
        <>
          <h2>待确认的身份（{props.issues.length}）</h2>
          <p class="muted">
            重新登录后 ID 变化、无法唯一对应的群和工作人员：请选择正确的新 ID，或忽略。系统不会自行猜测。
          </p>
          <DataTable
            label="待确认的身份"
            rows={props.issues}
            empty="没有待确认的身份。"
            columns={[
              { head: '对象', cell: (row) => (row.issue.kind === 'group' ? '群' : '工作人员') },
              { head: '名称', cell: (row) => row.subjectName ?? `#${row.issue.subjectId}` },
              { head: '原 ID', cell: (row) => <span class="muted">{row.issue.oldWechatId}</span> },
              { head: '发现时间', cell: (row) => time(row.issue.createdAt) },
              { head: '处理', wide: true, cell: (row) => <IssueActions row={row} csrf={csrf} /> },
            ]}
          />
        </>
      ) : null}
    </Layout>
  )
}
