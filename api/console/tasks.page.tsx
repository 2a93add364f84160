import type { RequestRow } from '../../core/requests/requests.repository'
import { shanghaiParts } from '../../core/sla/calendar'
import type { TaskRow } from '../../core/tasks/tasks.usecases'
import { time } from './format'
import { CsrfField, Empty, Late, Layout, type Viewer } from './layout'
import { consolePath } from './session'

const pad = (n: number) => String(n).padStart(2, '0')
/** A datetime-local value in Shanghai wall time. */
export const localInput = (at: Date) => {
  const p = shanghaiParts(at)
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`
}

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
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>编号</th>
              <th>任务</th>
              <th>小区</th>
              <th>项目 / 阶段</th>
              <th>完成时限</th>
              <th>完成</th>
              <th>延期</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.length === 0 ? <Empty colspan={7} text="没有未完成的任务。" /> : null}
            {props.rows.map(({ task, xiaoquName, projectNumber }) => {
              const late = task.dueAt < props.now
              return (
                <tr class={late ? 'late' : undefined}>
                  <td>{task.number}</td>
                  <td>
                    {task.title}
                    {task.urgent ? (
                      <>
                        {' '}
                        <span class="badge urgent">紧急</span>
                      </>
                    ) : null}
                    {task.detail ? <div class="muted pre">{task.detail}</div> : null}
                  </td>
                  <td>{xiaoquName ?? '—'}</td>
                  <td>
                    {projectNumber ? (
                      <a href={`${consolePath}/projects/${encodeURIComponent(projectNumber)}`}>
                        {projectNumber}
                      </a>
                    ) : (
                      '—'
                    )}
                    {task.stage ? ` · ${task.stage}` : ''}
                  </td>
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
                      <input
                        type="text"
                        name="reason"
                        required
                        maxlength={500}
                        placeholder="延期原因（必填）"
                      />
                      <button type="submit" class="secondary">
                        延期
                      </button>
                    </form>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
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
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>编号</th>
              <th>分类</th>
              <th>小区</th>
              <th>承办人</th>
              <th>超时</th>
              <th>时限</th>
            </tr>
          </thead>
          <tbody>
            {props.requests.length === 0 ? <Empty colspan={6} text="辖区内没有超时的诉求。" /> : null}
            {props.requests.map(({ request, xiaoquName }) => {
              const lateResolution = request.resolutionDueAt < props.now
              return (
                <tr class="late">
                  <td>
                    <a href={`${consolePath}/requests/${encodeURIComponent(request.number)}`}>
                      {request.number}
                    </a>
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
            })}
          </tbody>
        </table>
      </div>
      <h2>超时任务（{props.tasks.length} 项）</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>编号</th>
              <th>任务</th>
              <th>小区</th>
              <th>项目 / 阶段</th>
              <th>负责方</th>
              <th>完成时限</th>
            </tr>
          </thead>
          <tbody>
            {props.tasks.length === 0 ? <Empty colspan={6} text="辖区内没有超时的任务。" /> : null}
            {props.tasks.map(({ task, xiaoquName, projectNumber, ownerName }) => (
              <tr class="late">
                <td>{task.number}</td>
                <td>{task.title}</td>
                <td>{xiaoquName ?? '—'}</td>
                <td>
                  {projectNumber ? (
                    <a href={`${consolePath}/projects/${encodeURIComponent(projectNumber)}`}>
                      {projectNumber}
                    </a>
                  ) : (
                    '—'
                  )}
                  {task.stage ? ` · ${task.stage}` : ''}
                </td>
                <td>{ownerName ?? '—'}</td>
                <td>
                  {time(task.dueAt)} <Late label="已超时" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Layout>
  )
}
