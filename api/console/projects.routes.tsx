import type { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { namesOf, projectChoices } from '../../core/projects/projects.options'
import { createTaskByHand } from '../../core/projects/projects.tasks'
import {
  createProject,
  listProjects,
  moveStage,
  projectDetail,
  recordDocument,
  updateProject,
} from '../../core/projects/projects.usecases'
import type { GateFailure } from '../../core/projects/stages'
import { assertRole, type StaffRole } from '../../core/shared/actor'
import { invalid, isAppError, notFound } from '../../core/shared/errors'
import { shanghaiParts } from '../../core/sla/calendar'
import { completeTask } from '../../core/tasks/tasks.usecases'
import {
  type ProjectDocumentKind,
  type ProjectStage,
  projectDocumentKinds,
  projectStages,
  projects,
} from '../../db/schema'
import {
  actorOf,
  type C,
  type ConsoleKit,
  field,
  noticeReader,
  render,
  statusOf,
  taskNumber,
  viewerOf,
  yearParam,
} from './kit'
import { changesTo, formValues, type ProjectFormValues, readProjectForm, valuesOf } from './projects.form'
import { NewProjectPage, type ProjectFilter, ProjectsPage, projectHref } from './projects.list'
import { EditProjectPage, ProjectPage, type RefusedMove } from './projects.page'
import type { ConsoleEnv } from './session'
import { readTaskForm, taskFormValues } from './tasks.form'
import type { TaskFormValues } from './tasks.page'

/** The project pages are the office's (the menu's roles); admins always pass. */
const officeRoles: readonly StaffRole[] = ['officer', 'community_worker']

const noticeOf = noticeReader({
  created: '项目已创建，处于「储备」阶段。',
  updated: '项目信息已保存。',
  stage: '项目已进入下一阶段。',
  override: '已强制变更阶段，原因和跳过的条件已记入项目记录和操作记录。',
  document: '材料已登记。',
  task_created: '任务已创建，已通知负责方。',
  task_done: '任务已标记完成。',
})

function projectNumber(raw: string) {
  if (!/^[Pp]\d{1,9}$/.test(raw)) throw notFound('projects.not_found', `没有找到项目 ${raw.slice(0, 20)}。`)
  return raw.toUpperCase()
}

/** An optional filter's id (?xiaoqu=12). */
function idParam(raw: string | undefined, what: string) {
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{1,9}$/.test(raw)) throw invalid('console.bad_filter', `请从列表中选择${what}。`)
  return Number(raw)
}

/** 项目: the list with its filters, 新建, a project's page, 修改, 材料, stage moves and the project's tasks. */
export function registerProjectPages(app: Hono<ConsoleEnv>, kit: ConsoleKit) {
  const { deps, mutate } = kit
  const { db, clock } = deps

  app.use('/projects', async (c, next) => {
    assertRole(c.get('staff'), officeRoles)
    await next()
  })
  app.use('/projects/*', async (c, next) => {
    assertRole(c.get('staff'), officeRoles)
    await next()
  })

  // ------------------------------------------------------------------------------------------------------
  // The list and 新建

  app.get('/projects', async (c) => {
    const staff = c.get('staff')
    const stage = c.req.query('stage') || undefined
    if (stage !== undefined && !projectStages.includes(stage as ProjectStage)) {
      throw invalid('console.bad_stage', '请从列表中选择阶段。')
    }
    const filter: ProjectFilter = {
      year: yearParam(c.req.query('year')),
      stage: stage as ProjectStage | undefined,
      xiaoquId: idParam(c.req.query('xiaoqu'), '小区'),
    }
    const [rows, years, choices] = await Promise.all([
      listProjects(db, {
        scopePath: staff.scopePath,
        year: filter.year,
        xiaoquId: filter.xiaoquId,
        limit: 1000,
      }),
      db.selectDistinct({ year: projects.year }).from(projects),
      projectChoices(db, staff),
    ])
    const current = shanghaiParts(clock.now()).year
    const options = [...new Set([current, ...years.map((y) => y.year)])].sort((a, b) => b - a)
    return render(
      c,
      <ProjectsPage
        viewer={viewerOf(c)}
        rows={rows}
        filter={filter}
        years={options}
        places={choices.places}
        canCreate
      />,
    )
  })

  const newPage = async (
    c: C,
    values: ProjectFormValues,
    error?: string,
    status: ContentfulStatusCode = 200,
  ) =>
    render(
      c,
      <NewProjectPage
        viewer={viewerOf(c)}
        choices={await projectChoices(db, c.get('staff'))}
        values={values}
        error={error}
      />,
      status,
    )

  app.get('/projects/new', (c) => {
    const staff = c.get('staff')
    const place = c.req.query('xiaoqu')
    return newPage(c, {
      year: String(shanghaiParts(clock.now()).year),
      responsibleStaffId: staff.role === 'admin' ? undefined : String(staff.id),
      xiaoquId: place && /^\d{1,9}$/.test(place) ? place : undefined,
    })
  })

  app.post('/projects/new', async (c) => {
    const values = formValues(await c.req.parseBody())
    let number: string
    try {
      const xiaoquId = Number(values.xiaoquId ?? '')
      if (!/^\d{1,9}$/.test(values.xiaoquId ?? ''))
        throw invalid('console.xiaoqu_required', '请选择项目所在的小区。')
      const input = readProjectForm(values)
      const created = await mutate((ctx) => createProject(ctx, actorOf(c), { ...input, xiaoquId }))
      number = created.number
    } catch (error) {
      if (!isAppError(error)) throw error
      return newPage(c, values, error.message, statusOf(error))
    }
    return c.redirect(`${projectHref(number)}?ok=created`, 303)
  })

  // ------------------------------------------------------------------------------------------------------
  // A project

  const projectPage = async (
    c: C,
    number: string,
    options: {
      error?: string
      notice?: string
      refused?: RefusedMove
      taskValues?: TaskFormValues
      status?: ContentfulStatusCode
    } = {},
  ) => {
    const staff = c.get('staff')
    const detail = await projectDetail(db, staff, number)
    const { project, tasks } = detail
    const orgIds = [
      project.implementingEntityId,
      project.plannerId,
      project.propertyCompanyId,
      project.constructionUnitId,
      project.propertyRightsUnitId,
      ...tasks.map((t) => t.ownerOrgId),
    ].filter((id): id is number => id !== null)
    const staffIds = [project.responsibleStaffId, ...tasks.map((t) => t.ownerStaffId)].filter(
      (id): id is number => id !== null,
    )
    const [names, choices] = await Promise.all([
      namesOf(db, { staff: staffIds, organisations: orgIds }),
      projectChoices(db, staff),
    ])
    return render(
      c,
      <ProjectPage
        viewer={viewerOf(c)}
        now={clock.now()}
        detail={detail}
        names={names}
        choices={choices}
        canManage
        error={options.error}
        notice={options.notice}
        refused={options.refused}
        taskValues={options.taskValues}
      />,
      options.status ?? 200,
    )
  }

  app.get('/projects/:number', (c) =>
    projectPage(c, projectNumber(c.req.param('number')), { notice: noticeOf(c) }),
  )

  /** A POST on a project: run the change, then back to the project page (or the page again with the refusal). */
  const projectAction = (
    path: string,
    ok: string | ((body: Record<string, unknown>) => string),
    run: (c: C, number: string, body: Record<string, unknown>) => Promise<unknown>,
    refusal: (
      body: Record<string, unknown>,
      error: Error & { details?: unknown },
      number: string,
    ) => { error?: string; refused?: RefusedMove; taskValues?: TaskFormValues } = () => ({}),
  ) =>
    app.post(`/projects/:number/${path}`, async (c) => {
      const number = projectNumber(c.req.param('number'))
      const body = await c.req.parseBody()
      try {
        await run(c, number, body)
      } catch (error) {
        if (!isAppError(error)) throw error
        return projectPage(c, number, {
          error: error.message,
          status: statusOf(error),
          ...refusal(body, error, number),
        })
      }
      return c.redirect(`${projectHref(number)}?ok=${typeof ok === 'string' ? ok : ok(body)}`, 303)
    })

  projectAction(
    'stage',
    (body) => (body.override === '1' ? 'override' : 'stage'),
    (c, number, body) => {
      const to = body.to
      if (typeof to !== 'string' || !projectStages.includes(to as ProjectStage)) {
        throw invalid('console.bad_stage', '请选择要进入的阶段。')
      }
      const override = body.override === '1'
      const reason = field(body, 'reason', 500, '原因')
      return mutate((ctx) => moveStage(ctx, actorOf(c), number, { to: to as ProjectStage, override, reason }))
    },
    (body, error, number) => {
      // The gates are listed under the stage that was tried; the banner only says the move did not happen.
      const gates = (error.details as { gates?: GateFailure[] } | undefined)?.gates
      if (!gates || gates.length === 0) return {}
      const to = body.to as ProjectStage
      return {
        refused: { to, gates },
        error: `项目 ${number} 不能进入「${to}」，阶段没有变更。未通过的条件见「阶段变更」。`,
      }
    },
  )

  projectAction('documents', 'document', (c, number, body) => {
    const kind = body.kind
    if (typeof kind !== 'string' || !projectDocumentKinds.includes(kind as ProjectDocumentKind)) {
      throw invalid('console.bad_kind', '请选择材料类别。')
    }
    const note = field(body, 'note', 1000, '材料内容或文号')
    if (!note) throw invalid('projects.note_required', '请写明材料的内容或文号。')
    return mutate((ctx) =>
      recordDocument(ctx, actorOf(c), number, { kind: kind as ProjectDocumentKind, note }),
    )
  })

  projectAction(
    'tasks',
    'task_created',
    (c, number, body) => {
      const input = readTaskForm(taskFormValues(body), clock.now(), false)
      return mutate((ctx) => createTaskByHand(ctx, actorOf(c), { ...input, projectNumber: number }))
    },
    (body) => ({ taskValues: taskFormValues(body) }),
  )

  app.post('/projects/:number/tasks/:task/complete', async (c) => {
    const number = projectNumber(c.req.param('number'))
    const task = taskNumber(c.req.param('task'))
    const body = await c.req.parseBody()
    try {
      // The task must be this project's (and so in the viewer's scope): the page is checked first.
      const detail = await projectDetail(db, c.get('staff'), number)
      if (!detail.tasks.some((t) => t.number === task)) {
        throw notFound('tasks.not_found', `项目 ${number} 没有任务 ${task}。`)
      }
      await mutate((ctx) => completeTask(ctx, actorOf(c), task, field(body, 'note', 500, '完成说明')))
    } catch (error) {
      if (!isAppError(error)) throw error
      return projectPage(c, number, { error: error.message, status: statusOf(error) })
    }
    return c.redirect(`${projectHref(number)}?ok=task_done`, 303)
  })

  // ------------------------------------------------------------------------------------------------------
  // 修改

  const editPage = async (c: C, number: string, values?: ProjectFormValues, error?: string, status = 200) => {
    const detail = await projectDetail(db, c.get('staff'), number)
    return render(
      c,
      <EditProjectPage
        viewer={viewerOf(c)}
        number={detail.project.number}
        choices={await projectChoices(db, c.get('staff'))}
        values={values ?? valuesOf(detail.project)}
        error={error}
      />,
      status as ContentfulStatusCode,
    )
  }

  app.get('/projects/:number/edit', (c) => editPage(c, projectNumber(c.req.param('number'))))

  app.post('/projects/:number/edit', async (c) => {
    const number = projectNumber(c.req.param('number'))
    const values = formValues(await c.req.parseBody())
    try {
      const { project } = await projectDetail(db, c.get('staff'), number)
      const changes = changesTo(project, readProjectForm(values))
      await mutate((ctx) => updateProject(ctx, actorOf(c), number, changes))
    } catch (error) {
      if (!isAppError(error)) throw error
      return editPage(c, number, values, error.message, statusOf(error))
    }
    return c.redirect(`${projectHref(number)}?ok=updated`, 303)
  })
}
