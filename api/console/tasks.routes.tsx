import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { projectChoices } from '../../core/projects/projects.options'
import { createTaskByHand } from '../../core/projects/projects.tasks'
import type { StaffRole } from '../../core/shared/actor'
import { invalid, isAppError } from '../../core/shared/errors'
import { completeTask, extendTask, openTasksOf } from '../../core/tasks/tasks.usecases'
import {
  actorOf,
  type C,
  type ConsoleKit,
  type Ctx,
  field,
  noticeReader,
  render,
  type StaffActor,
  shanghaiInput,
  statusOf,
  taskNumber,
  viewerOf,
  withProjectNumbers,
} from './kit'
import { type ConsoleEnv, consolePath } from './session'
import { readTaskForm, taskFormValues } from './tasks.form'
import { type ListedTask, type TaskFormValues, TasksPage } from './tasks.page'

/** Who may create tasks by hand (createTask's roles; admins always pass). */
const creatingRoles: readonly StaffRole[] = ['officer', 'community_worker', 'admin']

const noticeOf = noticeReader({
  task_done: '任务已标记完成。',
  task_extended: '任务已延期，原因已记录。',
  task_created: '任务已创建，已通知负责人。',
})

/** 我的任务: open tasks, 完成 and 延期, and 新建任务 for the office. */
export function registerTaskPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  // ------------------------------------------------------------------------------------------------------
  // Tasks

  const tasksPage = async (
    c: C,
    options: { error?: string; notice?: string; values?: TaskFormValues; status?: ContentfulStatusCode } = {},
  ) => {
    const staff = c.get('staff')
    const [rows, choices]: [ListedTask[], Awaited<ReturnType<typeof projectChoices>> | undefined] =
      await Promise.all([
        openTasksOf(db, staff, 200).then((found) => withProjectNumbers(db, found)),
        creatingRoles.includes(staff.role) ? projectChoices(db, staff) : undefined,
      ])
    return render(
      c,
      <TasksPage
        viewer={viewerOf(c)}
        now={clock.now()}
        rows={rows}
        choices={choices}
        values={options.values}
        error={options.error}
        notice={options.notice}
      />,
      options.status ?? 200,
    )
  }

  app.get('/tasks', (c) => tasksPage(c, { notice: noticeOf(c) }))

  app.post('/tasks/new', async (c) => {
    const values = taskFormValues(await c.req.parseBody())
    try {
      const input = readTaskForm(values, clock.now(), true)
      await mutate((ctx) => createTaskByHand(ctx, actorOf(c), input))
    } catch (error) {
      if (!isAppError(error)) throw error
      return tasksPage(c, { error: error.message, values, status: statusOf(error) })
    }
    return c.redirect(`${consolePath}/tasks?ok=task_created`, 303)
  })

  const taskAction = (
    verb: 'complete' | 'extend',
    run: (ctx: Ctx, actor: StaffActor, number: string, body: Record<string, unknown>) => Promise<unknown>,
  ) =>
    app.post(`/tasks/:number/${verb}`, async (c) => {
      const number = taskNumber(c.req.param('number'))
      const body = await c.req.parseBody()
      try {
        await mutate((ctx) => run(ctx, actorOf(c), number, body))
      } catch (error) {
        if (!isAppError(error)) throw error
        return tasksPage(c, { error: error.message, status: statusOf(error) })
      }
      return c.redirect(`${consolePath}/tasks?ok=${verb === 'complete' ? 'task_done' : 'task_extended'}`, 303)
    })

  taskAction('complete', (ctx, actor, number, body) =>
    completeTask(ctx, actor, number, field(body, 'note', 500, '完成说明')),
  )
  taskAction('extend', (ctx, actor, number, body) => {
    const reason = field(body, 'reason', 500, '延期原因')
    if (!reason) throw invalid('tasks.reason_required', '延期须写明原因。')
    const due = typeof body.dueAt === 'string' ? body.dueAt : undefined
    return extendTask(ctx, actor, number, { dueAt: shanghaiInput(due), reason })
  })
}
