import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { getXiaoquForStaff } from '../../core/areas/areas.usecases'
import { createTaskByHand } from '../../core/projects/projects.tasks'
import {
  createProject,
  listProjects,
  moveStage,
  type ProjectRow,
  projectDetail,
  recordDocument,
  updateProject,
} from '../../core/projects/projects.usecases'
import type { Deps } from '../../core/shared/deps'
import {
  completeTask,
  extendTask,
  findTask,
  openTasksOf,
  type TaskRow,
  taskHistory,
} from '../../core/tasks/tasks.usecases'
import type { DbOrTx } from '../../db/client'
import { projectDocumentKinds, projectStages } from '../../db/schema'
import { type ApiEnv, staffActor } from '../auth'
import { errorResponses } from '../errors'
import { Id, IdFromString } from './common.schemas'

const security = [{ Bearer: [] }]
const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } })
const body = <T>(schema: T) => ({ body: { required: true, ...json(schema) } })
const instantField = z.iso.datetime({
  offset: true,
  message: '应为带时区的时间，如 2026-03-20T18:00:00+08:00',
})
const yuan = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(/^\d{1,14}(\.\d{1,2})?$/, '金额以元为单位，最多两位小数，如 1234567.89'))

const ProjectNumber = z.object({
  number: z
    .string()
    .regex(/^[Pp]\d{1,9}$/, '项目编号形如 P101')
    .openapi({ param: { name: 'number', in: 'path' } }),
})
const TaskNumber = z.object({
  number: z
    .string()
    .regex(/^[Tt]\d{1,9}$/, '任务编号形如 T12')
    .openapi({ param: { name: 'number', in: 'path' } }),
})

const ProjectFields = z.object({
  title: z.string().trim().min(1).max(100),
  year: z.number().int().min(2000).max(2100),
  items: z
    .array(z.object({ name: z.string().trim().min(1).max(50), kind: z.enum(['basic', 'optional']) }))
    .max(50),
  plannedInvestment: yuan,
  actualInvestment: yuan,
  responsibleStaffId: Id,
  implementingEntityId: Id.nullable(),
  propertyCompanyId: Id.nullable(),
  plannerId: Id.nullable(),
  constructionUnitId: Id.nullable(),
  propertyRightsUnitId: Id.nullable(),
})

const projectDto = (p: ProjectRow, xiaoquName?: string) => ({
  number: p.number,
  xiaoquId: p.xiaoquId,
  xiaoquName,
  year: p.year,
  title: p.title,
  items: p.items,
  plannedInvestment: p.plannedInvestment,
  actualInvestment: p.actualInvestment,
  responsibleStaffId: p.responsibleStaffId,
  implementingEntityId: p.implementingEntityId,
  propertyCompanyId: p.propertyCompanyId,
  plannerId: p.plannerId,
  constructionUnitId: p.constructionUnitId,
  propertyRightsUnitId: p.propertyRightsUnitId,
  stage: p.stage,
  stageEnteredAt: p.stageEnteredAt.toISOString(),
  startedAt: p.startedAt?.toISOString() ?? null,
  completedAt: p.completedAt?.toISOString() ?? null,
})

const taskDto = (t: TaskRow) => ({
  number: t.number,
  xiaoquId: t.xiaoquId,
  projectId: t.projectId,
  title: t.title,
  detail: t.detail,
  stage: t.stage,
  ownerStaffId: t.ownerStaffId,
  ownerOrgId: t.ownerOrgId,
  dueAt: t.dueAt.toISOString(),
  remindAt: t.remindAt?.toISOString() ?? null,
  urgent: t.urgent,
  status: t.status,
  completedAt: t.completedAt?.toISOString() ?? null,
  completionNote: t.completionNote,
})

const projectTags = ['项目 projects']
const taskTags = ['任务 tasks']
const ok = (description: string) => ({ description, ...json(z.unknown()) })
const routes = {
  createProject: createRoute({
    method: 'post',
    path: '/projects',
    tags: projectTags,
    security,
    summary: 'Create a renovation project (stage 储备) for a xiaoqu and year',
    request: body(
      ProjectFields.partial().extend({
        xiaoquId: Id,
        title: ProjectFields.shape.title,
        year: ProjectFields.shape.year,
        responsibleStaffId: Id,
      }),
    ),
    responses: { 201: ok('Created'), ...errorResponses(400, 401, 403, 404) },
  }),
  listProjects: createRoute({
    method: 'get',
    path: '/projects',
    tags: projectTags,
    security,
    summary: 'Projects in your scope',
    request: {
      query: z.object({
        year: z.coerce.number().int().min(2000).max(2100).optional(),
        stage: z.enum(projectStages).optional(),
        xiaoquId: IdFromString.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: { 200: ok('Projects'), ...errorResponses(400, 401) },
  }),
  getProject: createRoute({
    method: 'get',
    path: '/projects/{number}',
    tags: projectTags,
    security,
    summary: 'A project with its events, documents, tasks, and what the next stage still needs',
    request: { params: ProjectNumber },
    responses: { 200: ok('The project'), ...errorResponses(400, 401, 403, 404) },
  }),
  updateProject: createRoute({
    method: 'patch',
    path: '/projects/{number}',
    tags: projectTags,
    security,
    summary: 'Change content, investment or parties (audited)',
    request: { params: ProjectNumber, ...body(ProjectFields.partial()) },
    responses: { 200: ok('Updated'), ...errorResponses(400, 401, 403, 404) },
  }),
  moveStage: createRoute({
    method: 'post',
    path: '/projects/{number}/stage',
    tags: projectTags,
    security,
    summary:
      'Move to the next stage; 409 names each gate that fails. An admin may override with a reason (audited)',
    request: {
      params: ProjectNumber,
      ...body(
        z.object({
          to: z.enum(projectStages),
          override: z.boolean().default(false),
          reason: z.string().trim().max(500).optional(),
        }),
      ),
    },
    responses: { 200: ok('Moved'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  addDocument: createRoute({
    method: 'post',
    path: '/projects/{number}/documents',
    tags: projectTags,
    security,
    summary: "Record a document a gate needs (the planner's review, the property service agreement, …)",
    request: {
      params: ProjectNumber,
      ...body(
        z.object({
          kind: z.enum(projectDocumentKinds),
          note: z.string().trim().min(1, '请写明文件内容或文号').max(1000),
          attachmentId: Id.optional(),
        }),
      ),
    },
    responses: { 201: ok('Recorded'), ...errorResponses(400, 401, 403, 404) },
  }),
  createTask: createRoute({
    method: 'post',
    path: '/tasks',
    tags: taskTags,
    security,
    summary: 'Create a task by hand: one owner (staff or organisation) and a due time',
    request: body(
      z.object({
        xiaoquId: Id.optional(),
        projectNumber: ProjectNumber.shape.number.optional(),
        title: z.string().trim().min(1, '请填写任务名称').max(100),
        detail: z.string().trim().max(1000).optional(),
        ownerStaffId: Id.optional(),
        ownerOrgId: Id.optional(),
        dueAt: instantField.optional(),
        remindAt: instantField.optional(),
        urgent: z.boolean().default(false),
      }),
    ),
    responses: { 201: ok('Created'), ...errorResponses(400, 401, 403, 404) },
  }),
  listTasks: createRoute({
    method: 'get',
    path: '/tasks',
    tags: taskTags,
    security,
    summary: "Your open tasks (yours and your organisation's), earliest due first",
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
    responses: { 200: ok('Tasks'), ...errorResponses(401) },
  }),
  getTask: createRoute({
    method: 'get',
    path: '/tasks/{number}',
    tags: taskTags,
    security,
    summary: 'A task with its history',
    request: { params: TaskNumber },
    responses: { 200: ok('The task'), ...errorResponses(400, 401, 403, 404) },
  }),
  completeTask: createRoute({
    method: 'post',
    path: '/tasks/{number}/complete',
    tags: taskTags,
    security,
    summary:
      'Complete a task (its owner, their organisation, or a supervisor above the owner); 403 otherwise',
    request: {
      params: TaskNumber,
      body: { required: false, ...json(z.object({ note: z.string().trim().max(500).optional() })) },
    },
    responses: { 200: ok('Completed'), ...errorResponses(401, 403, 404, 409) },
  }),
  extendTask: createRoute({
    method: 'post',
    path: '/tasks/{number}/extend',
    tags: taskTags,
    security,
    summary:
      'Move the due time (延期) or hold nudges until a time (暂缓提醒); a reason is required and audited',
    request: {
      params: TaskNumber,
      ...body(
        z.object({
          dueAt: instantField.optional(),
          snoozeUntil: instantField.optional(),
          reason: z.string().trim().min(1, '请写明延期或暂缓的原因').max(500),
        }),
      ),
    },
    responses: { 200: ok('Changed'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
}

const date = (value: string | undefined) => (value ? new Date(value) : undefined)

export function registerProjectRoutes(app: OpenAPIHono<ApiEnv>, deps: Deps) {
  const { db } = deps
  const tx = <T>(fn: (ctx: Deps & { db: DbOrTx }) => Promise<T>) =>
    db.transaction((t) => fn({ ...deps, db: t }))
  const after = <T>(value: T) => {
    deps.outboxSignal.notify()
    return value
  }
  const visibleTask = async (staff: ApiEnv['Variables']['staff'], number: string) => {
    const task = await findTask(db, number)
    const mine =
      task.ownerStaffId === staff.id || (!!task.ownerOrgId && task.ownerOrgId === staff.organisationId)
    if (!mine) await getXiaoquForStaff(db, staffActor(staff), task.xiaoquId)
    return task
  }
  return app
    .openapi(routes.createProject, async (c) => {
      const project = after(
        await tx((ctx) => createProject(ctx, staffActor(c.get('staff')), c.req.valid('json'))),
      )
      return c.json(projectDto(project), 201)
    })
    .openapi(routes.listProjects, async (c) => {
      const q = c.req.valid('query')
      const rows = await listProjects(db, { ...q, scopePath: c.get('staff').scopePath })
      return c.json({ items: rows.map((r) => projectDto(r.project, r.xiaoquName)) }, 200)
    })
    .openapi(routes.getProject, async (c) => {
      const d = await projectDetail(db, c.get('staff'), c.req.valid('param').number)
      return c.json(
        {
          ...projectDto(d.project, d.xiaoquName),
          nextStage: d.gates.next,
          nextStageNeeds: d.gates.failures,
          documents: d.documents.map((doc) => ({ ...doc, recordedAt: doc.recordedAt.toISOString() })),
          tasks: d.tasks.map(taskDto),
          events: d.events.map((e) => ({ ...e, at: e.at.toISOString() })),
        },
        200,
      )
    })
    .openapi(routes.updateProject, async (c) => {
      const { number } = c.req.valid('param')
      const project = await tx((ctx) =>
        updateProject(ctx, staffActor(c.get('staff')), number, c.req.valid('json')),
      )
      return c.json(projectDto(project), 200)
    })
    .openapi(routes.moveStage, async (c) => {
      const { number } = c.req.valid('param')
      const moved = after(
        await tx((ctx) => moveStage(ctx, staffActor(c.get('staff')), number, c.req.valid('json'))),
      )
      return c.json(
        {
          ...projectDto(moved.project),
          tasksCreated: moved.tasks.map(taskDto),
          overriddenGates: moved.overridden,
        },
        200,
      )
    })
    .openapi(routes.addDocument, async (c) => {
      const { number } = c.req.valid('param')
      const doc = await tx((ctx) =>
        recordDocument(ctx, staffActor(c.get('staff')), number, c.req.valid('json')),
      )
      return c.json({ ...doc, recordedAt: doc.recordedAt.toISOString() }, 201)
    })
    .openapi(routes.createTask, async (c) => {
      const b = c.req.valid('json')
      const task = after(
        await tx((ctx) =>
          createTaskByHand(ctx, staffActor(c.get('staff')), {
            ...b,
            dueAt: date(b.dueAt),
            remindAt: date(b.remindAt),
          }),
        ),
      )
      return c.json(taskDto(task!), 201)
    })
    .openapi(routes.listTasks, async (c) => {
      const rows = await openTasksOf(db, c.get('staff'), c.req.valid('query').limit)
      return c.json({ items: rows.map((r) => ({ ...taskDto(r.task), xiaoquName: r.xiaoquName })) }, 200)
    })
    .openapi(routes.getTask, async (c) => {
      const task = await visibleTask(c.get('staff'), c.req.valid('param').number)
      const history = await taskHistory(db, task.id)
      return c.json(
        { ...taskDto(task), history: history.map((e) => ({ ...e, at: e.at.toISOString() })) },
        200,
      )
    })
    .openapi(routes.completeTask, async (c) => {
      const { number } = c.req.valid('param')
      const note = c.req.valid('json')?.note
      const task = await tx((ctx) => completeTask(ctx, staffActor(c.get('staff')), number, note))
      return c.json(taskDto(task), 200)
    })
    .openapi(routes.extendTask, async (c) => {
      const { number } = c.req.valid('param')
      const b = c.req.valid('json')
      const task = await tx((ctx) =>
        extendTask(ctx, staffActor(c.get('staff')), number, {
          dueAt: date(b.dueAt),
          snoozeUntil: date(b.snoozeUntil),
          reason: b.reason,
        }),
      )
      return c.json(taskDto(task), 200)
    })
}
