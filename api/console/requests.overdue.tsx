import type { RequestRow } from '../../core/requests/requests.repository'
import { time } from './format'
import { type Column, DataTable, Late, Layout, type Viewer } from './layout'
import { projectHref } from './projects.list'
import { requestHref } from './requests.page'
import type { ListedTask } from './tasks.page'

interface LateRequest {
  request: RequestRow
  xiaoquName: string | null
  assigneeName?: string | null
}

type LateTask = ListedTask & { ownerName: string | null }

/** 超时: what in the viewer's reach has run past its deadline, requests then tasks, most overdue first. */
export function OverduePage(props: {
  viewer: Viewer
  now: Date
  requests: readonly LateRequest[]
  tasks: readonly LateTask[]
}) {
  const lateResolution = (request: RequestRow) => request.resolutionDueAt < props.now
  const requestColumns: Column<LateRequest>[] = [
    { head: '编号', cell: ({ request }) => <a href={requestHref(request.number)}>{request.number}</a> },
    { head: '分类', cell: ({ request }) => request.category },
    { head: '小区', cell: (r) => r.xiaoquName ?? '—' },
    { head: '承办人', cell: (r) => r.assigneeName ?? '未指定' },
    {
      head: '超时',
      cell: ({ request }) => <Late label={lateResolution(request) ? '办结超时' : '响应超时'} />,
    },
    {
      head: '时限',
      cell: ({ request }) => time(lateResolution(request) ? request.resolutionDueAt : request.responseDueAt),
    },
  ]
  const taskColumns: Column<LateTask>[] = [
    { head: '编号', cell: ({ task }) => task.number },
    { head: '任务', cell: ({ task }) => task.title },
    { head: '小区', cell: (r) => r.xiaoquName ?? '—' },
    {
      head: '项目 / 阶段',
      cell: ({ task, projectNumber }) => (
        <>
          {projectNumber ? <a href={projectHref(projectNumber)}>{projectNumber}</a> : '—'}
          {task.stage ? ` · ${task.stage}` : ''}
        </>
      ),
    },
    { head: '负责方', cell: (r) => r.ownerName ?? '—' },
    {
      head: '完成时限',
      cell: ({ task }) => (
        <>
          {time(task.dueAt)} <Late label="已超时" />
        </>
      ),
    },
  ]
  return (
    <Layout title="超时" viewer={props.viewer} active="overdue">
      <h1>超时事项</h1>
      <h2>超时诉求（{props.requests.length} 件）</h2>
      <DataTable
        label="超时诉求"
        columns={requestColumns}
        rows={props.requests}
        empty="辖区内没有超时的诉求。"
        rowClass={() => 'late'}
      />
      <h2>超时任务（{props.tasks.length} 项）</h2>
      <DataTable
        label="超时任务"
        columns={taskColumns}
        rows={props.tasks}
        empty="辖区内没有超时的任务。"
        rowClass={() => 'late'}
      />
    </Layout>
  )
}
