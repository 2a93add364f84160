import { and, asc, eq, type SQL, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import {
  organisations,
  type ProjectDocumentKind,
  type ProjectItem,
  type ProjectStage,
  projectDocuments,
  projectEvents,
  projectStages,
  projects,
  publicities,
  staff,
  tasks,
  xiaoqu,
} from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { projectConsentPassed } from '../consent/campaigns'
import { assertAttachments } from '../notices/attachments'
import { type Actor, assertRole, assertScope, type StaffRow } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { conflict, forbidden, invalid, notFound } from '../shared/errors'
import { fromShanghai, shanghaiDate } from '../sla/calendar'
import { cancelTasks, createTask, type TaskRow } from '../tasks/tasks.usecases'
import { checkGates, documentNames, type TemplateEvent, type taskOwnerParties } from './stages'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }
type StaffActor = Actor & { kind: 'staff' }
export type ProjectRow = typeof projects.$inferSelect

const partyColumns = {
  implementingEntityId: 'implementing_entity',
  propertyCompanyId: 'property_company',
  plannerId: 'responsible_planner',
  constructionUnitId: 'construction_unit',
  propertyRightsUnitId: 'property_rights_unit',
} as const
type PartyKey = keyof typeof partyColumns

export interface ProjectInput {
  title?: string
  year?: number
  items?: ProjectItem[]
  plannedInvestment?: string
  actualInvestment?: string
  responsibleStaffId?: number
  implementingEntityId?: number | null
  propertyCompanyId?: number | null
  plannerId?: number | null
  constructionUnitId?: number | null
  propertyRightsUnitId?: number | null
}

async function loadPlace(db: DbOrTx, id: number) {
  const [place] = await db.select().from(xiaoqu).where(eq(xiaoqu.id, id))
  if (!place) throw notFound('projects.xiaoqu_not_found', `没有编号为 ${id} 的小区。`)
  return place
}

/** Parties must be organisations of the right kind; the responsible officer an active officer covering the xiaoqu. */
async function checkParties(db: DbOrTx, input: ProjectInput, placePath: string) {
  for (const key of Object.keys(partyColumns) as PartyKey[]) {
    const id = input[key]
    if (!id) continue
    const [org] = await db.select().from(organisations).where(eq(organisations.id, id))
    if (!org || org.kind !== partyColumns[key]) {
      throw invalid('projects.bad_party', `单位 ${id} 不存在，或不是${partyNames[key]}。`, { field: key })
    }
  }
  if (input.responsibleStaffId) {
    const [person] = await db.select().from(staff).where(eq(staff.id, input.responsibleStaffId))
    if (!person?.active || !['officer', 'community_worker', 'admin'].includes(person.role)) {
      throw invalid(
        'projects.bad_responsible',
        `负责人 ${input.responsibleStaffId} 不存在、已停用或不是街道/社区工作人员。`,
      )
    }
    if (person.scopePath !== null && !placePath.startsWith(person.scopePath)) {
      throw invalid('projects.responsible_out_of_scope', `${person.name} 的管辖范围不包括该小区。`)
    }
  }
}

const partyNames: Record<PartyKey, string> = {
  implementingEntityId: '实施主体',
  propertyCompanyId: '物业服务企业',
  plannerId: '责任规划师',
  constructionUnitId: '施工单位',
  propertyRightsUnitId: '原产权单位',
}

function assertCanManage(actor: StaffActor, path: string) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  assertScope(actor.staff, path)
}

export async function createProject(
  ctx: Ctx,
  actor: StaffActor,
  input: ProjectInput & { xiaoquId: number; title: string; year: number; responsibleStaffId: number },
) {
  const place = await loadPlace(ctx.db, input.xiaoquId)
  assertCanManage(actor, place.path)
  await checkParties(ctx.db, input, place.path)
  const now = ctx.clock.now()
  const [project] = await ctx.db
    .insert(projects)
    .values({
      xiaoquId: place.id,
      year: input.year,
      title: input.title.trim(),
      items: input.items ?? [],
      plannedInvestment: input.plannedInvestment ?? '0',
      actualInvestment: input.actualInvestment ?? '0',
      responsibleStaffId: input.responsibleStaffId,
      implementingEntityId: input.implementingEntityId ?? null,
      propertyCompanyId: input.propertyCompanyId ?? null,
      plannerId: input.plannerId ?? null,
      constructionUnitId: input.constructionUnitId ?? null,
      propertyRightsUnitId: input.propertyRightsUnitId ?? null,
      stageEnteredAt: now,
      createdBy: actor.staff.id,
      createdAt: now,
    })
    .returning()
  await event(ctx, project!, actor, { kind: 'created', toStage: '储备' })
  await recordAudit(ctx.db, {
    actor,
    action: 'project.create',
    entity: 'project',
    entityId: project!.number,
    after: project,
    at: now,
  })
  await createTemplateTasks(ctx, actor, project!, place, '储备')
  return project!
}

export async function findProject(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(projects).where(eq(projects.number, number.toUpperCase()))
  const [project] = forUpdate ? await query.for('update') : await query
  if (!project) throw notFound('projects.not_found', `没有找到项目 ${number}。`)
  return project
}

export async function updateProject(ctx: Ctx, actor: StaffActor, number: string, input: ProjectInput) {
  const project = await findProject(ctx.db, number, true)
  const place = await loadPlace(ctx.db, project.xiaoquId)
  assertCanManage(actor, place.path)
  await checkParties(ctx.db, input, place.path)
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as ProjectInput
  if (Object.keys(changes).length === 0) throw invalid('projects.nothing_to_change', '没有要修改的内容。')
  const [updated] = await ctx.db.update(projects).set(changes).where(eq(projects.id, project.id)).returning()
  const before = Object.fromEntries(Object.keys(changes).map((k) => [k, project[k as keyof ProjectRow]]))
  await event(ctx, project, actor, { kind: 'updated', data: { before, after: changes } })
  await recordAudit(ctx.db, {
    actor,
    action: 'project.update',
    entity: 'project',
    entityId: project.number,
    before,
    after: changes,
    at: ctx.clock.now(),
  })
  return updated!
}

/**
 * Records a document a gate asks for. The design review is the planner's (a member of the project's
 * planning organisation) or an officer's on their behalf; the rest are the officers'.
 */
export async function recordDocument(
  ctx: Ctx,
  actor: StaffActor,
  number: string,
  input: { kind: ProjectDocumentKind; note: string; attachmentId?: number | null },
) {
  const project = await findProject(ctx.db, number, true)
  const place = await loadPlace(ctx.db, project.xiaoquId)
  const isPlanner =
    input.kind === 'design_review' && !!project.plannerId && actor.staff.organisationId === project.plannerId
  if (!isPlanner) assertCanManage(actor, place.path)
  const note = input.note.trim()
  if (!note) throw invalid('projects.note_required', `请写明${documentNames[input.kind]}的内容或文号。`)
  if (input.attachmentId) await assertAttachments(ctx.db, [input.attachmentId], actor, place.path)
  const now = ctx.clock.now()
  const [doc] = await ctx.db
    .insert(projectDocuments)
    .values({
      projectId: project.id,
      kind: input.kind,
      note,
      attachmentId: input.attachmentId ?? null,
      recordedBy: actor.staff.id,
      recordedAt: now,
    })
    .returning()
  await event(ctx, project, actor, { kind: 'document', data: { kind: input.kind, documentId: doc!.id } })
  await recordAudit(ctx.db, {
    actor,
    action: 'project.document',
    entity: 'project',
    entityId: project.number,
    after: doc,
    at: now,
  })
  return doc!
}

async function gateFacts(db: DbOrTx, project: ProjectRow) {
  const docs = await db
    .select({ kind: projectDocuments.kind })
    .from(projectDocuments)
    .where(eq(projectDocuments.projectId, project.id))
  const open = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.projectId, project.id), eq(tasks.status, 'open')))
    .orderBy(asc(tasks.id))
  const [closedPublicity] = await db
    .select({ id: publicities.id })
    .from(publicities)
    .where(and(eq(publicities.projectId, project.id), eq(publicities.status, 'closed')))
    .limit(1)
  const documents = new Set(docs.map((d) => d.kind))
  // The residents' consent may be a passed consent campaign of the project instead of a paper record.
  if (!documents.has('property_agreement') && (await projectConsentPassed(db, project.id))) {
    documents.add('property_agreement')
  }
  return {
    facts: {
      stage: project.stage,
      itemCount: project.items.length,
      implementingEntityId: project.implementingEntityId,
      propertyCompanyId: project.propertyCompanyId,
      documents,
      // 公示 closing creates tasks tagged to the stage too, so they count.
      openStageTasks: open.filter((t) => t.stage === project.stage),
      publicityClosed: !!closedPublicity,
    },
    open,
  }
}

/** What the next stage would need, for the console and `GET /projects/{number}`. */
export async function nextGates(db: DbOrTx, project: ProjectRow) {
  const next = projectStages[projectStages.indexOf(project.stage) + 1]
  if (!next) return { next: null, failures: [] }
  const { facts } = await gateFacts(db, project)
  return { next, failures: checkGates(facts, next) }
}

/**
 * Moves a project to a stage. Without an override the move must be to the next stage and every gate
 * must hold, or it is refused with 409 naming each failing gate. An admin may override with a reason;
 * the failing gates and the reason are kept in the event and the audit log, and the old stage's open
 * tasks are cancelled. Entering a stage creates its template tasks.
 */
export async function moveStage(
  ctx: Ctx,
  actor: StaffActor,
  number: string,
  input: { to: ProjectStage; override?: boolean; reason?: string },
) {
  const project = await findProject(ctx.db, number, true)
  const place = await loadPlace(ctx.db, project.xiaoquId)
  assertCanManage(actor, place.path)
  const reason = input.reason?.trim() ?? ''
  if (input.override) {
    if (actor.staff.role !== 'admin')
      throw forbidden('projects.override_admin_only', '只有管理员可以强制变更阶段。')
    if (!reason) throw invalid('projects.reason_required', '强制变更阶段须写明原因（reason）。')
  }
  const { facts, open } = await gateFacts(ctx.db, project)
  const failures = checkGates(facts, input.to)
  if (failures.length > 0 && !input.override) {
    throw conflict(
      `projects.gate.${failures[0]!.gate}`,
      `项目 ${project.number} 不能进入「${input.to}」：${failures.map((f) => f.message).join('')}`,
      { gates: failures },
    )
  }
  if (input.to === project.stage) throw conflict('projects.same_stage', `项目已处于「${input.to}」阶段。`)
  const now = ctx.clock.now()
  const [updated] = await ctx.db
    .update(projects)
    .set({
      stage: input.to,
      stageEnteredAt: now,
      ...(input.to === '施工' && !project.startedAt ? { startedAt: now } : {}),
      ...(input.to === '移交' && !project.completedAt ? { completedAt: now } : {}),
    })
    .where(eq(projects.id, project.id))
    .returning()
  if (input.to === '长效管理' && project.propertyCompanyId) {
    await ctx.db
      .update(xiaoqu)
      .set({ propertyCompanyId: project.propertyCompanyId })
      .where(eq(xiaoqu.id, place.id))
  }
  const overridden = failures.length > 0
  await event(ctx, project, actor, {
    kind: 'stage',
    fromStage: project.stage,
    toStage: input.to,
    overridden,
    reason: reason || null,
    data: overridden ? { gates: failures } : null,
  })
  await recordAudit(ctx.db, {
    actor,
    action: overridden ? 'project.stage_override' : 'project.stage',
    entity: 'project',
    entityId: project.number,
    before: { stage: project.stage },
    after: { stage: input.to, reason: reason || null, gates: overridden ? failures : undefined },
    at: now,
  })
  if (overridden) {
    const left = open.filter((t) => t.stage === project.stage)
    await cancelTasks(ctx, actor, left, `项目强制变更至「${input.to}」：${reason}`)
  }
  const created = await createTemplateTasks(ctx, actor, updated!, place, input.to)
  return { project: updated!, tasks: created, overridden: overridden ? failures : [] }
}

/** Tasks for a stage (or `公示结束`) from the templates in config, each made once per project. */
export async function createTemplateTasks(
  ctx: Ctx,
  actor: Actor,
  project: ProjectRow,
  place: typeof xiaoqu.$inferSelect,
  on: TemplateEvent,
) {
  const templates = ctx.config.taskTemplates[on] ?? []
  const now = ctx.clock.now()
  const made: TaskRow[] = []
  for (const t of templates) {
    const owner = ownerOf(project, t.owner)
    const dueAt = endOfWorkingDay(ctx, now, t.dueWorkingDays)
    const remindAt = t.remindBeforeWorkingDays
      ? endOfWorkingDay(ctx, now, Math.max(0, t.dueWorkingDays - t.remindBeforeWorkingDays))
      : null
    const task = await createTask(ctx, actor, {
      xiaoquId: place.id,
      projectId: project.id,
      title: t.title,
      stage: on === '公示结束' ? '公示' : on,
      templateKey: t.key,
      ...owner,
      dueAt,
      remindAt,
    })
    if (task) made.push(task)
  }
  return made
}

/** A template's party, or the responsible officer when the project has not named that party yet. */
function ownerOf(project: ProjectRow, party: (typeof taskOwnerParties)[number]) {
  const orgId = {
    responsible: null,
    implementing_entity: project.implementingEntityId,
    property_company: project.propertyCompanyId,
    planner: project.plannerId,
    construction_unit: project.constructionUnitId,
    property_rights_unit: project.propertyRightsUnitId,
  }[party]
  return orgId
    ? { ownerOrgId: orgId, ownerStaffId: null }
    : { ownerStaffId: project.responsibleStaffId, ownerOrgId: null }
}

/** N working days on, at 18:00 Shanghai: a task's day ends with the office's. */
function endOfWorkingDay(ctx: Ctx, from: Date, days: number) {
  const day = days === 0 ? from : ctx.calendar.addWorkingDays(from, days)
  return fromShanghai(shanghaiDate(day), 18, 0)
}

async function event(
  ctx: Ctx,
  project: ProjectRow,
  actor: StaffActor,
  values: Omit<typeof projectEvents.$inferInsert, 'projectId' | 'at' | 'actorStaffId' | 'actorName'>,
) {
  await ctx.db.insert(projectEvents).values({
    projectId: project.id,
    actorStaffId: actor.staff.id,
    actorName: actor.staff.name,
    at: ctx.clock.now(),
    ...values,
  })
}

/** A design publicity of a project closed: its `公示结束` tasks (汇总公示意见) are made. */
export async function onPublicityClosed(ctx: Ctx, projectId: number) {
  const [project] = await ctx.db.select().from(projects).where(eq(projects.id, projectId))
  if (!project) return []
  const place = await loadPlace(ctx.db, project.xiaoquId)
  return createTemplateTasks(ctx, { kind: 'system' }, project, place, '公示结束')
}

export interface ProjectFilters {
  scopePath: string | null
  year?: number
  stage?: ProjectStage
  xiaoquId?: number
  limit: number
}

export function listProjects(db: DbOrTx, f: ProjectFilters) {
  const where: (SQL | undefined)[] = [
    f.scopePath ? sql`${xiaoqu.path} like ${`${f.scopePath}%`}` : undefined,
    f.year ? eq(projects.year, f.year) : undefined,
    f.stage ? eq(projects.stage, f.stage) : undefined,
    f.xiaoquId ? eq(projects.xiaoquId, f.xiaoquId) : undefined,
  ]
  return db
    .select({ project: projects, xiaoquName: xiaoqu.name, xiaoquPath: xiaoqu.path })
    .from(projects)
    .innerJoin(xiaoqu, eq(xiaoqu.id, projects.xiaoquId))
    .where(and(...where))
    .orderBy(asc(projects.id))
    .limit(f.limit)
}

export async function projectDetail(db: DbOrTx, viewer: StaffRow, number: string) {
  const project = await findProject(db, number)
  const place = await loadPlace(db, project.xiaoquId)
  assertScope(viewer, place.path)
  const [events, documents, projectTasks, gates] = await Promise.all([
    db
      .select()
      .from(projectEvents)
      .where(eq(projectEvents.projectId, project.id))
      .orderBy(asc(projectEvents.id)),
    db
      .select()
      .from(projectDocuments)
      .where(eq(projectDocuments.projectId, project.id))
      .orderBy(asc(projectDocuments.id)),
    db.select().from(tasks).where(eq(tasks.projectId, project.id)).orderBy(asc(tasks.id)),
    nextGates(db, project),
  ])
  return { project, xiaoquName: place.name, events, documents, tasks: projectTasks, gates }
}
