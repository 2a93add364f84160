import { sql } from 'drizzle-orm'
import {
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgSequence,
  pgTable,
  serial,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { xiaoqu } from './areas.table'
import { createdAt, instant } from './columns'
import { attachments } from './messaging.table'
import { organisations, staff } from './people.table'

/** The stages of a 综合整治项目, in order (work plan 二(一)). */
export const projectStages = [
  '储备',
  '确认',
  '设计',
  '公示',
  '物业签约',
  '治理',
  '施工',
  '竣工验收',
  '移交',
  '长效管理',
] as const
export type ProjectStage = (typeof projectStages)[number]

export interface ProjectItem {
  name: string
  /** 基础类 or 自选类 on the renovation menu. */
  kind: 'basic' | 'optional'
}

export const projectNumberSeq = pgSequence('project_number_seq', { startWith: 101 })

/**
 * 综合整治项目: one xiaoqu, one year. Investment is in 元 with two decimals, exact (numeric, never a float).
 * `startedAt` is set when it enters 施工, `completedAt` when it passes acceptance into 移交.
 */
export const projects = pgTable(
  'projects',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique().default(sql`'P' || nextval('project_number_seq')`),
    xiaoquId: integer('xiaoqu_id')
      .notNull()
      .references(() => xiaoqu.id),
    year: integer('year').notNull(),
    title: text('title').notNull(),
    items: jsonb('items').$type<ProjectItem[]>().notNull().default([]),
    plannedInvestment: numeric('planned_investment', { precision: 16, scale: 2 }).notNull().default('0'),
    actualInvestment: numeric('actual_investment', { precision: 16, scale: 2 }).notNull().default('0'),
    /** The officer answerable for the project; tasks whose party is not set fall to them. */
    responsibleStaffId: integer('responsible_staff_id')
      .notNull()
      .references(() => staff.id),
    implementingEntityId: integer('implementing_entity_id').references(() => organisations.id),
    propertyCompanyId: integer('property_company_id').references(() => organisations.id),
    plannerId: integer('planner_id').references(() => organisations.id),
    constructionUnitId: integer('construction_unit_id').references(() => organisations.id),
    propertyRightsUnitId: integer('property_rights_unit_id').references(() => organisations.id),
    stage: text('stage', { enum: projectStages }).notNull().default('储备'),
    stageEnteredAt: instant('stage_entered_at').notNull(),
    startedAt: instant('started_at'),
    completedAt: instant('completed_at'),
    createdBy: integer('created_by').references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [index('projects_xiaoqu').on(t.xiaoquId), index('projects_year').on(t.year)],
)

export const projectDocumentKinds = ['design_review', 'property_agreement', 'acceptance', 'handover'] as const
export type ProjectDocumentKind = (typeof projectDocumentKinds)[number]

/** The papers the gates ask for: the planner's review, the property service agreement, acceptance, handover. */
export const projectDocuments = pgTable(
  'project_documents',
  {
    id: serial('id').primaryKey(),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    kind: text('kind', { enum: projectDocumentKinds }).notNull(),
    note: text('note').notNull(),
    attachmentId: integer('attachment_id').references(() => attachments.id),
    recordedBy: integer('recorded_by')
      .notNull()
      .references(() => staff.id),
    recordedAt: instant('recorded_at').notNull(),
  },
  (t) => [index('project_documents_project').on(t.projectId, t.kind)],
)

/** Every move of a project, with who and when; an override carries its reason. */
export const projectEvents = pgTable(
  'project_events',
  {
    id: serial('id').primaryKey(),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    kind: text('kind', { enum: ['created', 'stage', 'document', 'updated'] }).notNull(),
    fromStage: text('from_stage', { enum: projectStages }),
    toStage: text('to_stage', { enum: projectStages }),
    overridden: boolean('overridden').notNull().default(false),
    reason: text('reason'),
    actorStaffId: integer('actor_staff_id').references(() => staff.id),
    actorName: text('actor_name'),
    data: jsonb('data'),
    at: instant('at').notNull(),
  },
  (t) => [index('project_events_project').on(t.projectId, t.id)],
)

export const taskNumberSeq = pgSequence('task_number_seq', { startWith: 1 })
export const taskStatuses = ['open', 'done', 'cancelled'] as const

/** 任务: one owner (a person or an organisation), one due time. Stage tasks come from templates. */
export const tasks = pgTable(
  'tasks',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique().default(sql`'T' || nextval('task_number_seq')`),
    projectId: integer('project_id').references(() => projects.id),
    xiaoquId: integer('xiaoqu_id')
      .notNull()
      .references(() => xiaoqu.id),
    title: text('title').notNull(),
    detail: text('detail'),
    stage: text('stage', { enum: projectStages }),
    templateKey: text('template_key'),
    ownerStaffId: integer('owner_staff_id').references(() => staff.id),
    ownerOrgId: integer('owner_org_id').references(() => organisations.id),
    dueAt: instant('due_at').notNull(),
    /** A reminder before the deadline, when wanted. */
    remindAt: instant('remind_at'),
    urgent: boolean('urgent').notNull().default(false),
    status: text('status', { enum: taskStatuses }).notNull().default('open'),
    completedAt: instant('completed_at'),
    completedBy: integer('completed_by').references(() => staff.id),
    completionNote: text('completion_note'),
    createdBy: integer('created_by').references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('tasks_project').on(t.projectId, t.stage),
    index('tasks_owner_staff').on(t.ownerStaffId).where(sql`status = 'open'`),
    index('tasks_owner_org').on(t.ownerOrgId).where(sql`status = 'open'`),
    // Entering a stage twice (or two officers at once) does not make its template tasks twice.
    uniqueIndex('tasks_project_template').on(t.projectId, t.templateKey),
  ],
)

export const taskEvents = pgTable(
  'task_events',
  {
    id: serial('id').primaryKey(),
    taskId: integer('task_id')
      .notNull()
      .references(() => tasks.id),
    kind: text('kind', {
      enum: ['created', 'completed', 'extended', 'snoozed', 'reassigned', 'cancelled'],
    }).notNull(),
    actorStaffId: integer('actor_staff_id'),
    actorName: text('actor_name'),
    note: text('note'),
    data: jsonb('data'),
    at: instant('at').notNull(),
  },
  (t) => [index('task_events_task').on(t.taskId, t.id)],
)
