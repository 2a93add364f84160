import { roleNames, type StaffRow } from '../../core/shared/actor'
import type { openWorkOf } from '../../core/staff/deactivate.usecases'
import { staffRoles } from '../../db/schema'
import { requestStatusNames, time } from './format'
import { DataTable, Input, Layout, PostForm, Select, type Viewer } from './layout'
import { type PlaceNames, scopeName } from './people.form'
import { consolePath } from './session'

export const peopleHref = `${consolePath}/people`
export const staffHref = (id: number) => `${peopleHref}/staff/${id}`

/** The three parts of 人员与区域. */
export function PeopleTabs(props: { on: 'staff' | 'places' | 'organisations' }) {
  const tabs = [
    { key: 'staff', href: peopleHref, label: '工作人员' },
    { key: 'places', href: `${peopleHref}/places`, label: '区域与小区' },
    { key: 'organisations', href: `${peopleHref}/organisations`, label: '单位' },
  ] as const
  return (
    <nav class="toolbar" aria-label="人员与区域">
      {tabs.map((t) => (t.key === props.on ? <strong>{t.label}</strong> : <a href={t.href}>{t.label}</a>))}
    </nav>
  )
}

export interface ScopeChoice {
  value: string
  text: string
}

export type StaffFormValues = Partial<Record<'name' | 'role' | 'scope' | 'organisationId' | 'phone', string>>

function CreateStaffForm(props: {
  csrf: string
  scopes: readonly ScopeChoice[]
  companies: readonly { id: number; name: string }[]
  values: StaffFormValues
}) {
  const v = props.values
  return (
    <section class="card">
      <h2>新建工作人员</h2>
      <PostForm action={`${peopleHref}/staff`} csrf={props.csrf}>
        <Input label="姓名" name="name" required maxlength={50} value={v.name} />
        <Select
          label="角色"
          name="role"
          required
          value={v.role}
          options={staffRoles.map((r) => ({ value: r, text: roleNames[r] }))}
        />
        <Select
          label="管辖范围"
          name="scope"
          value={v.scope}
          blank="（管理员可不选）"
          options={props.scopes}
        />
        <Select
          label="所属物业公司（物业人员）"
          name="organisationId"
          value={v.organisationId}
          blank="（无）"
          options={props.companies.map((o) => ({ value: o.id, text: o.name }))}
        />
        <Input label="手机号（可选）" name="phone" type="tel" maxlength={11} value={v.phone} />
        <button type="submit">创建并生成令牌</button>
      </PostForm>
    </section>
  )
}

export function StaffListPage(props: {
  viewer: Viewer
  rows: readonly StaffRow[]
  names: PlaceNames
  organisations: ReadonlyMap<number, string>
  canCreate: boolean
  scopes: readonly ScopeChoice[]
  companies: readonly { id: number; name: string }[]
  values?: StaffFormValues
  error?: string
  notice?: string
}) {
  return (
    <Layout
      title="人员与区域"
      viewer={props.viewer}
      active="people"
      error={props.error}
      notice={props.notice}
    >
      <h1>人员与区域</h1>
      <PeopleTabs on="staff" />
      <DataTable
        label="工作人员"
        rows={props.rows}
        empty="管辖范围内还没有工作人员。"
        columns={[
          { head: '姓名', cell: (s) => <a href={staffHref(s.id)}>{s.name}</a> },
          { head: '角色', cell: (s) => roleNames[s.role] },
          {
            head: '管辖范围',
            cell: (s) => (
              <>
                {scopeName(s.scopePath, props.names)}
                {s.organisationId ? (
                  <div class="muted">
                    {props.organisations.get(s.organisationId) ?? `单位 ${s.organisationId}`}
                  </div>
                ) : null}
              </>
            ),
          },
          {
            head: '微信',
            cell: (s) =>
              s.wechatId ? <span class="badge ok">已绑定</span> : <span class="badge">未绑定</span>,
          },
          {
            head: '状态',
            cell: (s) => (s.active ? '在用' : <span class="badge late">已停用</span>),
          },
        ]}
      />
      {props.canCreate ? (
        <CreateStaffForm
          csrf={props.viewer.csrf}
          scopes={props.scopes}
          companies={props.companies}
          values={props.values ?? {}}
        />
      ) : (
        <p class="muted">新建工作人员、重新生成令牌和停用由管理员办理。</p>
      )}
    </Layout>
  )
}

/** What a POST on a staff member's page produced, shown once on the page it answers with. */
export type StaffOutcome =
  | { kind: 'token'; token: string; created: boolean }
  | { kind: 'code'; code: string; expiresAt: Date; botName: string }
  | { kind: 'deactivated' }

function Outcome(props: { outcome: StaffOutcome; name: string }) {
  const { outcome } = props
  if (outcome.kind === 'token') {
    return (
      <section class="card" aria-label="访问令牌">
        <h2>{outcome.created ? '已创建，访问令牌' : '新的访问令牌'}</h2>
        <p>
          请立即复制并交给{props.name}本人：令牌只显示这一次，系统不保存原文。
          {outcome.created ? '' : '旧令牌已失效。'}
        </p>
        <p class="pre">
          <code data-token={outcome.token}>{outcome.token}</code>
        </p>
        <p class="muted">用法：在工作台登录页输入此令牌；或调用接口时加请求头 Authorization: Bearer 令牌。</p>
      </section>
    )
  }
  if (outcome.kind === 'code') {
    return (
      <section class="card" aria-label="绑定码">
        <h2>微信绑定码</h2>
        <p class="pre">
          <strong data-code={outcome.code}>{outcome.code}</strong>
        </p>
        <p>
          请{props.name}用自己的微信私聊{outcome.botName}，发送：绑定 {outcome.code}
        </p>
        <p class="muted">有效期至 {time(outcome.expiresAt)}，只能使用一次。</p>
      </section>
    )
  }
  return null
}

export function StaffDetailPage(props: {
  viewer: Viewer
  person: StaffRow
  names: PlaceNames
  organisation?: string
  work: Awaited<ReturnType<typeof openWorkOf>>
  outcome?: StaffOutcome
  error?: string
  notice?: string
}) {
  const { person, viewer } = props
  const admin = viewer.staff.role === 'admin'
  const self = viewer.staff.id === person.id
  const action = (verb: string) => `${staffHref(person.id)}/${verb}`
  return (
    <Layout title={person.name} viewer={viewer} active="people" error={props.error} notice={props.notice}>
      <h1>
        {person.name} {person.active ? null : <span class="badge late">已停用</span>}
      </h1>
      <PeopleTabs on="staff" />
      {props.outcome ? <Outcome outcome={props.outcome} name={person.name} /> : null}
      <section class="card">
        <dl class="facts">
          <dt>角色</dt>
          <dd>{roleNames[person.role]}</dd>
          <dt>管辖范围</dt>
          <dd>{scopeName(person.scopePath, props.names)}</dd>
          <dt>所属单位</dt>
          <dd>{props.organisation ?? '—'}</dd>
          <dt>微信</dt>
          <dd>
            {person.wechatId ? `已绑定${person.wechatName ? `（${person.wechatName}）` : ''}` : '未绑定'}
          </dd>
          <dt>创建时间</dt>
          <dd>{time(person.createdAt)}</dd>
        </dl>
      </section>
      {person.active && (admin || self) ? (
        <div class="actions">
          <section class="card">
            <h2>访问令牌</h2>
            <p class="muted">重新生成后旧令牌立即失效{self ? '，本页会用新令牌继续登录' : ''}。</p>
            <PostForm action={action('token')} csrf={viewer.csrf}>
              <button type="submit">重新生成令牌</button>
            </PostForm>
          </section>
          <section class="card">
            <h2>绑定微信</h2>
            <p class="muted">生成一次性绑定码，本人私聊机器人发送「绑定 码」即可。</p>
            <PostForm action={action('binding-code')} csrf={viewer.csrf}>
              <button type="submit">生成绑定码</button>
            </PostForm>
          </section>
          {admin && !self ? (
            <section class="card">
              <h2>停用</h2>
              <p class="muted">停用后其令牌和微信身份立即失效；其未办结的诉求和任务会列出，请转派。</p>
              <PostForm action={action('deactivate')} csrf={viewer.csrf}>
                <label style="display:flex;gap:6px;align-items:center">
                  <input type="checkbox" name="confirm" value="1" required /> 确认停用{person.name}
                </label>
                <button type="submit">停用</button>
              </PostForm>
            </section>
          ) : null}
        </div>
      ) : null}
      <h2>
        待转派的诉求（{props.work.requests.length}）和任务（{props.work.tasks.length}）
      </h2>
      {person.active ? (
        <p class="muted">该工作人员手中尚未办结的事项。</p>
      ) : (
        <p class="muted">该工作人员已停用：请打开下列诉求和任务，转派给其他人。</p>
      )}
      <DataTable
        label="未办结事项"
        rows={[
          ...props.work.requests.map((r) => ({
            number: r.number,
            href: `${consolePath}/requests/${r.number}`,
            what: r.text,
            state: requestStatusNames[r.status],
            due: r.resolutionDueAt,
          })),
          ...props.work.tasks.map((t) => ({
            number: t.number,
            href: `${consolePath}/tasks#${t.number}`,
            what: t.title,
            state: '进行中',
            due: t.dueAt,
          })),
        ]}
        empty="没有未办结的诉求和任务。"
        columns={[
          { head: '编号', cell: (r) => <a href={r.href}>{r.number}</a> },
          { head: '内容', cell: (r) => <span class="pre">{r.what}</span>, wide: true },
          { head: '状态', cell: (r) => r.state },
          { head: '时限', cell: (r) => time(r.due) },
        ]}
      />
    </Layout>
  )
}
