import { type AuditRow, maskPhonesIn } from '../../core/audit/audit'
import { time } from './format'
import { DataTable, Input, Layout, type Viewer } from './layout'
import { consolePath } from './session'

export const auditHref = `${consolePath}/audit`

export type AuditQuery = Partial<Record<'actor' | 'action' | 'entity' | 'entityId' | 'from' | 'to', string>>

const viaNames = { api: '接口', wechat: '微信', console: '工作台', system: '系统' } as const

const compact = (value: unknown) => {
  const text = value === undefined ? '—' : JSON.stringify(value)
  return text.length > 120 ? `${text.slice(0, 117)}…` : text
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** before → after as the fields that changed; phone numbers masked. */
export function auditDiff(before: unknown, after: unknown) {
  const was = maskPhonesIn(before)
  const now = maskPhonesIn(after)
  if (!isRecord(was) && !isRecord(now)) {
    if (was === null && now === null) return []
    return [{ key: '', before: compact(was ?? undefined), after: compact(now ?? undefined) }]
  }
  const from = isRecord(was) ? was : {}
  const to = isRecord(now) ? now : {}
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])]
  return (
    keys
      .filter((key) => JSON.stringify(from[key]) !== JSON.stringify(to[key]))
      // A field absent on one side and empty on the other says nothing.
      .filter((key) => !((key in from ? from[key] : to[key]) === null && !(key in from && key in to)))
      .map((key) => ({
        key,
        before: key in from ? compact(from[key]) : '—',
        after: key in to ? compact(to[key]) : '—',
      }))
  )
}

function Diff(props: { row: AuditRow }) {
  const lines = auditDiff(props.row.before, props.row.after)
  if (lines.length === 0) return <span class="muted">—</span>
  return (
    <div class="pre" style="font-size:12px">
      {lines.map((l) => (
        <div>
          {l.key ? <strong>{l.key}</strong> : null}
          {l.key ? '：' : ''}
          <span class="muted">{l.before}</span> → <span>{l.after}</span>
        </div>
      ))}
    </div>
  )
}

function Filters(props: { query: AuditQuery }) {
  const q = props.query
  return (
    <form method="get" action={auditHref} class="toolbar">
      <Input label="操作人（姓名或编号）" name="actor" value={q.actor} maxlength={50} />
      <Input
        label="操作"
        name="action"
        value={q.action}
        maxlength={60}
        placeholder="如 staff 或 staff.create"
      />
      <Input label="对象类型" name="entity" value={q.entity} maxlength={60} placeholder="如 request" />
      <Input label="对象编号" name="entityId" value={q.entityId} maxlength={100} placeholder="如 Q1024" />
      <Input label="从（日期）" name="from" type="date" value={q.from} />
      <Input label="到（日期，含）" name="to" type="date" value={q.to} />
      <button type="submit" class="secondary">
        筛选
      </button>
      <a href={auditHref}>清除</a>
    </form>
  )
}

export function AuditPage(props: {
  viewer: Viewer
  rows: readonly AuditRow[]
  query: AuditQuery
  nextHref?: string
  firstHref?: string
  error?: string
}) {
  return (
    <Layout title="操作记录" viewer={props.viewer} active="audit" error={props.error}>
      <h1>操作记录</h1>
      <p class="muted">工作人员的每项变更，按时间倒序。修改前后只列出变化的字段，手机号已遮盖。</p>
      <Filters query={props.query} />
      <DataTable
        label="操作记录"
        rows={props.rows}
        empty="没有符合条件的记录。"
        columns={[
          { head: '时间', cell: (r) => time(r.at) },
          {
            head: '操作人',
            cell: (r) => (
              <>
                {r.actorName ?? '—'}
                {r.actorStaffId ? <span class="muted"> #{r.actorStaffId}</span> : null}
                <div class="muted">{viaNames[r.via]}</div>
              </>
            ),
          },
          { head: '操作', cell: (r) => <code>{r.action}</code> },
          {
            head: '对象',
            cell: (r) => (
              <>
                {r.entity} <span data-entity-id={r.entityId}>{r.entityId}</span>
              </>
            ),
          },
          { head: '修改前 → 修改后', cell: (r) => <Diff row={r} />, wide: true },
        ]}
      />
      <nav class="toolbar" aria-label="翻页">
        {props.firstHref ? <a href={props.firstHref}>回到最新</a> : null}
        {props.nextHref ? (
          <a href={props.nextHref}>更早的记录 →</a>
        ) : (
          <span class="muted">没有更早的记录了。</span>
        )}
      </nav>
    </Layout>
  )
}
