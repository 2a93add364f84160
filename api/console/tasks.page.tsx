import type { RequestRow } from '../../core/requests/requests.repository'
import { shanghaiParts } from '../../core/sla/calendar'
import type { TaskRow } from '../../core/tasks/tasks.usecases'
import { time } from './format'
import { CsrfField, Late, Layout, Table, Tag, type Viewer } from './layout'
import { projectHref } from './projects.page'
import { requestHref } from './requests.page'
import { consolePath } from './session'

const pad = (n: number) => String(n).padStart(2, '0')
/** A datetime-local value in Shanghai wall time. */
export const localInput = (at: Date) => {
  const p = shanghaiParts(at)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`
}

/** A task's 小区 cell and its 项目 / 阶段 cell (the project linked). */
const PlaceCells = (props: {
  xiaoquName: string | null
  projectNumber?: string | null
  stage: string | null
}) => (
  <>
    <td>{props.xiaoquName ?? '—'}</td>
    <td>
      {props.projectNumber ? <a href={projectHref(props.projectNumber)}>{props.projectNumber}</a> : '—'}
      {props.stage ? ` · ${props.stage}` : ''}
    </td>
  </>
)

export interface ListedTask {
  task: TaskRow
  xiaoquName: string | null
  projectNumber?: string | null
}

export function TasksPage(props: {
  viewer: Viewer
  now: Date
  rows: ListedTask[]
  error?: string
  notice?: string
}) {
  const action = (number: string, verb: string) =>
    `${consolePath}/tasks/${encodeURIComponent(number)}/${verb}`
  return (
    <Layout title="我的任务" viewer={props.viewer} active="tasks" error={props.error} notice={props.notice}>
      <h1>我的任务（{props.rows.length} 项）</h1>
      <p class="muted">
        由您或您所在单位负责、尚未完成的任务，时限早的在前。延期须写明原因，会记入审计日志。
      </p>
      <Table
        head={['编号', '任务', '小区', '项目 / 阶段', '完成时限', '完成', '延期']}
        rows={props.rows}
        empty="没有未完成的任务。"
        row={({ task, xiaoquName, projectNumber }) => {
          const late = task.dueAt < props.now
          return (
            <tr class={late ? 'late' : undefined}>
              <td>{task.number}</td>
              <td>
                {task.title}
                <Tag show={task.urgent} class="urgent">
                  紧急
                </Tag>
                {task.detail ? <div class="muted pre">{task.detail}</div> : null}
              </td>
              <PlaceCells xiaoquName={xiaoquName} projectNumber={projectNumber} stage={task.stage} />
              <td>
                {time(task.dueAt)} <Late label={late ? '已超时' : null} />
              </td>
              <td>
                <form method="post" action={action(task.number, 'complete')} class="inline">
                  <CsrfField token={props.viewer.csrf} />
                  <input type="text" name="note" maxlength={500} placeholder="完成说明（可选）" />
                  <button type="submit">完成</button>
                </form>
              </td>
              <td>
                <form method="post" action={action(task.number, 'extend')} class="inline">
                  <CsrfField token={props.viewer.csrf} />
                  <input
                    type="datetime-local"
                    name="dueAt"
                    required
                    aria-label="新的完成时限"
                    value={localInput(task.dueAt)}
                  />
                  <input type="text" name="reason" required maxlength={500} placeholder="延期原因（必填）" />
                  <button type="submit" class="secondary">
                    延期
                  </button>
                </form>
              </td>
            </tr>
          )
        }}
      />
    </Layout>
  )
}

export function OverduePage(props: {
  viewer: Viewer
  now: Date
  requests: { request: RequestRow; xiaoquName: string | null }[]
  assigneeNames: Map<number, string>
  tasks: (ListedTask & { ownerName: string | null })[]
}) {
  return (
    <Layout title="超时" viewer={props.viewer} active="overdue">
      <h1>超时事项</h1>
      <h2>超时诉求（{props.requests.length} 件）</h2>
      <Table
        head={['编号', '分类', '小区', '承办人', '超时', '时限']}
        rows={props.requests}
        empty="辖区内没有超时的诉求。"
        row={({ request, xiaoquName }) => {
          const lateResolution = request.resolutionDueAt < props.now
          return (
            <tr class="late">
              <td>
                <a href={requestHref(request.number)}>{request.number}</a>
              </td>
              <td>{request.category}</td>
              <td>{xiaoquName ?? '—'}</td>
              <td>
                {request.assigneeStaffId
                  ? (props.assigneeNames.get(request.assigneeStaffId) ?? '—')
                  : '未指定'}
              </td>
              <td>
                <Late label={lateResolution ? '办结超时' : '响应超时'} />
              </td>
              <td>{time(lateResolution ? request.resolutionDueAt : request.responseDueAt)}</td>
            </tr>
          )
        }}
      />
      <h2>超时任务（{props.tasks.length} 项）</h2>
      <Table
        head={['编号', '任务', '小区', '项目 / 阶段', '负责方', '完成时限']}
        rows={props.tasks}
        empty="辖区内没有超时的任务。"
        row={({ task, xiaoquName, projectNumber, ownerName }) => (
          <tr class="late">
            <td>{task.number}</td>
            <td>{task.title}</td>
            <PlaceCells xiaoquName={xiaoquName} projectNumber={projectNumber} stage={task.stage} />
            <td>{ownerName ?? '—'}</td>
            <td>
              {time(task.dueAt)} <Late label="已超时" />
            </td>
          </tr>
        )}
      />
    </Layout>
  )
}
