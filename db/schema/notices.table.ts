import { sql } from 'drizzle-orm'
import { index, integer, jsonb, pgSequence, pgTable, serial, text, unique } from 'drizzle-orm/pg-core'
import { xiaoqu } from './areas.table'
import { createdAt, instant } from './columns'
import { residents, staff } from './people.table'
import { projects } from './projects.table'

export const noticeKinds = ['broadcast', 'design_publicity', 'construction', 'fee'] as const
export const noticeStatuses = ['draft', 'scheduled', 'published', 'cancelled', 'expired'] as const

/** Broadcast numbers are short and speakable: B1, B2, … */
export const broadcastNumberSeq = pgSequence('broadcast_number_seq', { startWith: 1 })

/** 通知/公示. A broadcast goes to every residents' group in its scope once, at `publishAt`. */
export const notices = pgTable(
  'notices',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique().default(sql`'B' || nextval('broadcast_number_seq')`),
    kind: text('kind', { enum: noticeKinds }).notNull(),
    body: text('body').notNull(),
    scopePath: text('scope_path').notNull(),
    scopeName: text('scope_name').notNull(),
    status: text('status', { enum: noticeStatuses }).notNull(),
    urgent: integer('urgent').notNull().default(0),
    publishAt: instant('publish_at').notNull(),
    /** A draft made in chat waits for 确认 until then. */
    expiresAt: instant('expires_at'),
    publishedAt: instant('published_at'),
    cancelledAt: instant('cancelled_at'),
    groupCount: integer('group_count'),
    attachmentIds: integer('attachment_ids').array().notNull().default(sql`'{}'`),
    createdBy: integer('created_by')
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('notices_due').on(t.publishAt).where(sql`status = 'scheduled'`),
    index('notices_drafts').on(t.createdBy, t.id).where(sql`status = 'draft'`),
  ],
)

export const publicityNumberSeq = pgSequence('publicity_number_seq', { startWith: 1 })
export const publicityStatuses = ['draft', 'scheduled', 'open', 'closed', 'cancelled'] as const

/** 设计方案公示: a design plan shown to a xiaoqu for a period, after the responsible planner's review. */
export const publicities = pgTable(
  'publicities',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique().default(sql`'G' || nextval('publicity_number_seq')`),
    xiaoquId: integer('xiaoqu_id')
      .notNull()
      .references(() => xiaoqu.id),
    /** The renovation project whose design this is, if any: its closing moves the project on. */
    projectId: integer('project_id').references(() => projects.id),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** 责任规划师审查: who reviewed the design, and when. Publishing is refused without it. */
    reviewedBy: text('reviewed_by'),
    reviewedAt: instant('reviewed_at'),
    opensAt: instant('opens_at').notNull(),
    closesAt: instant('closes_at').notNull(),
    status: text('status', { enum: publicityStatuses }).notNull().default('draft'),
    openedAt: instant('opened_at'),
    halfwayAt: instant('halfway_at'),
    closedAt: instant('closed_at'),
    summary: jsonb('summary').$type<{ count: number; themes: { category: string; count: number }[] }>(),
    attachmentIds: integer('attachment_ids').array().notNull().default(sql`'{}'`),
    createdBy: integer('created_by')
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [index('publicities_status').on(t.status, t.opensAt)],
)

/** 意见: one resident's feedback on a publicity, given while it is open. */
export const publicityFeedback = pgTable(
  'publicity_feedback',
  {
    id: serial('id').primaryKey(),
    publicityId: integer('publicity_id')
      .notNull()
      .references(() => publicities.id),
    residentId: integer('resident_id')
      .notNull()
      .references(() => residents.id),
    text: text('text').notNull(),
    category: text('category').notNull(),
    roomId: text('room_id'),
    at: instant('at').notNull(),
  },
  (t) => [index('publicity_feedback_publicity').on(t.publicityId, t.id)],
)

export const scheduleNumberSeq = pgSequence('schedule_number_seq', { startWith: 1 })
export const constructionImpacts = ['停水', '停电', '停气', '封路', '噪音', '其他'] as const

/** 施工计划: a xiaoqu's construction in phases; residents are told the evening before each phase. */
export const constructionSchedules = pgTable('construction_schedules', {
  id: serial('id').primaryKey(),
  number: text('number').notNull().unique().default(sql`'S' || nextval('schedule_number_seq')`),
  xiaoquId: integer('xiaoqu_id')
    .notNull()
    .references(() => xiaoqu.id),
  title: text('title').notNull(),
  status: text('status', { enum: ['draft', 'scheduled', 'published', 'cancelled'] })
    .notNull()
    .default('draft'),
  publishAt: instant('publish_at'),
  publishedAt: instant('published_at'),
  createdBy: integer('created_by')
    .notNull()
    .references(() => staff.id),
  createdAt: createdAt(),
})

export const constructionPhases = pgTable(
  'construction_phases',
  {
    id: serial('id').primaryKey(),
    scheduleId: integer('schedule_id')
      .notNull()
      .references(() => constructionSchedules.id),
    seq: integer('seq').notNull(),
    name: text('name').notNull(),
    buildingIds: integer('building_ids').array().notNull(),
    impacts: text('impacts', { enum: constructionImpacts }).array().notNull(),
    startsAt: instant('starts_at').notNull(),
    endsAt: instant('ends_at').notNull(),
    note: text('note'),
  },
  (t) => [
    index('construction_phases_starts').on(t.startsAt),
    unique('construction_phases_seq').on(t.scheduleId, t.seq),
  ],
)

export const feeNumberSeq = pgSequence('fee_number_seq', { startWith: 1 })

/** 物业费: a property company's fee collection notice with reminders before the deadline. */
export const feeNotices = pgTable('fee_notices', {
  id: serial('id').primaryKey(),
  number: text('number').notNull().unique().default(sql`'F' || nextval('fee_number_seq')`),
  xiaoquId: integer('xiaoqu_id')
    .notNull()
    .references(() => xiaoqu.id),
  period: text('period').notNull(),
  /** 收费标准 in fen (分) per m² per month: money is exact. */
  standardFen: integer('standard_fen').notNull(),
  deadline: instant('deadline').notNull(),
  howToPay: text('how_to_pay').notNull(),
  contact: text('contact').notNull(),
  status: text('status', { enum: ['scheduled', 'published', 'cancelled'] }).notNull(),
  publishAt: instant('publish_at').notNull(),
  publishedAt: instant('published_at'),
  createdBy: integer('created_by')
    .notNull()
    .references(() => staff.id),
  createdAt: createdAt(),
})
