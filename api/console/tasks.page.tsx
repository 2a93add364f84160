import type { ProjectChoices } from '../../core/projects/projects.options'
import { roleNames } from '../../core/shared/actor'
import type { TaskRow } from '../../core/tasks/tasks.usecases'
import { time } from './format'
import { localInput } from './kit'
import {
  type Column,
  DataTable,
  Input,
  Late,
  Layout,
  PostForm,
  Select,
  Tag,
  TextArea,
  type Viewer,
} from './layout'
import { projectHref } from './projects.list'
import { consolePath } from './session'

export interface ListedTask {
  task: TaskRow
  xiaoquName: string | null
  projectNumber?: string | null
}

/** A task's 小区 and 项目 / 阶段 columns (the project linked). */
const placeColumns = <T extends ListedTask>(): Column<T>[] => [
  { head: '小区', cell: (r) => r.xiaoquName ?? '—' },
  {
    head: '项目 / 阶段',
    cell: (r) => (
      <>
        {r.projectNumber ? <a href={projectHref(r.projectNumber)}>{r.projectNumber}</a> : '—'}
        {r.task.stage ? ` · ${r.task.stage}` : ''}
      </>
    ),
  },
]

/** The create-task form's fields as typed, to show them again after a refusal. */
export type TaskFormValues = Partial<
  Record<
    'projectNumber' | 'xiaoquId' | 'title' | 'detail' | 'ownerStaffId' | 'ownerOrgId' | 'dueAt' | 'urgent',
    string
  >
>

/**
 * 新建任务: a title, one owner (a person or an organisation) and a due time; `places` adds the project
 * number and the xiaoqu (a project's own page posts for that project).
 */
export function TaskForm(props: {
  action: string
  viewer: Viewer
  choices: ProjectChoices
  values: TaskFormValues
  places?: boolean
}) {
  const { choices, values } = props
  return (
    <PostForm action={props.action} csrf={props.viewer.csrf}>
      {props.places ? (
        <>
          <Input
            label="项目编号（可选）"
            name="projectNumber"
            value={values.projectNumber}
            maxlength={12}
            placeholder="如 P101"
            hint="填写项目编号时，任务属于该项目的小区和当前阶段，可不选小区。"
          />
          <Select
            label="小区"
            name="xiaoquId"
            blank="请选择小区"
            value={values.xiaoquId}
            options={choices.places.map((p) => ({ value: p.id, text: `${p.name}（${p.communityName}）` }))}
          />
        </>
      ) : null}
      <Input label="任务名称" name="title" required maxlength={100} value={values.title} />
      <TextArea label="说明（可选）" name="detail" rows={2} maxlength={1000} value={values.detail} />
      <Select
        label="负责人"
        name="ownerStaffId"
        blank="（不指定个人）"
        value={values.ownerStaffId}
        options={choices.people.map((p) => ({ value: p.id, text: `${p.name}（${roleNames[p.role]}）` }))}
      />
      <Select
        label="或负责单位"
        name="ownerOrgId"
        blank="（不指定单位）"
        value={values.ownerOrgId}
        options={choices.organisations.map((o) => ({ value: o.id, text: o.name }))}
      />
      <span class="hint">负责人和负责单位只选一个。</span>
      <Input label="完成时限" name="dueAt" type="datetime-local" required value={values.dueAt} />
      <label>
        <span>
          <input type="checkbox" name="urgent" value="1" checked={values.urgent === '1'} /> 紧急
        </span>
      </label>
      <button type="submit">新建任务</button>
    </PostForm>
  )
}

export function TasksPage(props: {
  viewer: Viewer
  now: Date
  rows: ListedTask[]
  /** The create form's choices, for those who may create tasks. */
  choices?: ProjectChoices
  values?: TaskFormValues
  error?: string
  notice?: string
}) {
  const action = (number: string, verb: string) =>
    `${consolePath}/tasks/${encodeURIComponent(number)}/${verb}`
  const csrf = props.viewer.csrf
  return (
    <Layout title="我的任务" viewer={props.viewer} active="tasks" error={props.error} notice={props.notice}>
      <h1>我的任务（{props.rows.length} 项）</h1>
      <p class="muted">
        由您或您所在单位负责、尚未完成的任务，时限早的在前。延期须写明原因，会记入审计日志。
      </p>
      <DataTable
        label="我的任务"
        rows={props.rows}
        empty="没有未完成的任务。"
        rowClass={({ task }) => (task.dueAt < props.now ? 'late' : undefined)}
        columns={[
          { head: '编号', cell: ({ task }) => task.number },
          {
            head: '任务',
            cell: ({ task }) => (
              <>
                {task.title}
                <Tag show={task.urgent} class="urgent">
                  紧急
                </Tag>
                {task.detail ? <div class="muted pre">{task.detail}</div> : null}
              </>
            ),
          },
          ...placeColumns(),
          {
            head: '完成时限',
            cell: ({ task }) => (
              <>
                {time(task.dueAt)} <Late label={task.dueAt < props.now ? '已超时' : null} />
              </>
            ),
          },
          {
            head: '完成',
            wide: true,
            cell: ({ task }) => (
              <PostForm action={action(task.number, 'complete')} csrf={csrf} class="inline">
                <input
                  type="text"
                  name="note"
                  maxlength={500}
                  placeholder="完成说明（可选）"
                  aria-label="完成说明"
                />
                <button type="submit">完成</button>
              </PostForm>
            ),
          },
          {
            head: '延期',
            wide: true,
            cell: ({ task }) => (
              <PostForm action={action(task.number, 'extend')} csrf={csrf} class="inline">
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
                  aria-label="延期原因"
                />
                <button type="submit" class="secondary">
                  延期
                </button>
              </PostForm>
            ),
          },
        ]}
      />
      {props.choices ? (
        <>
          <h2>新建任务</h2>
          <section class="card">
            <TaskForm
              action={`${consolePath}/tasks/new`}
              viewer={props.viewer}
              choices={props.choices}
              values={props.values ?? {}}
              places
            />
          </section>
        </>
      ) : null}
    </Layout>
  )
}
