import { sql } from 'drizzle-orm'
import {
  check,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  serial,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { xiaoqu } from './areas.table'
import { createdAt, instant } from './columns'
import { chatGroups, residents, staff } from './people.table'

export const requestStatuses = ['submitted', 'accepted', 'resolved', 'closed'] as const
export type RequestStatus = (typeof requestStatuses)[number]
export const requestChannels = ['wechat', 'phone', 'visit', 'api'] as const

/** Request numbers are short and speakable: Q1001, Q1002, … */
export const requestNumberSeq = pgSequence('request_number_seq', { startWith: 1001 })

/** 诉求. */
export const requests = pgTable(
  'requests',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique().default(sql`'Q' || nextval('request_number_seq')`),
    xiaoquId: integer('xiaoqu_id').references(() => xiaoqu.id),
    groupId: integer('group_id').references(() => chatGroups.id),
    residentId: integer('resident_id').references(() => residents.id),
    channel: text('channel', { enum: requestChannels }).notNull(),
    text: text('text').notNull(),
    location: text('location'),
    contactPhone: text('contact_phone'),
    category: text('category').notNull(),
    menuItem: text('menu_item').notNull(),
    urgency: text('urgency', { enum: ['urgent', 'normal'] }).notNull(),
    status: text('status', { enum: requestStatuses }).notNull().default('submitted'),
    assigneeStaffId: integer('assignee_staff_id').references(() => staff.id),
    responseDueAt: instant('response_due_at').notNull(),
    resolutionDueAt: instant('resolution_due_at').notNull(),
    respondedAt: instant('responded_at'),
    resolvedAt: instant('resolved_at'),
    resolutionNote: text('resolution_note'),
    rating: text('rating', { enum: ['satisfied', 'unsatisfied'] }),
    ratedAt: instant('rated_at'),
    supportCount: integer('support_count').notNull().default(0),
    /** 催办: how many chases were recorded (one a day per resident), and the last one's time. */
    urgeCount: integer('urge_count').notNull().default(0),
    lastUrgedAt: instant('last_urged_at'),
    /** 撤回: when the author said the request is no longer needed; cleared when it is reopened. */
    withdrawalAskedAt: instant('withdrawal_asked_at'),
    inboundMessageId: text('inbound_message_id'),
    createdAt: createdAt(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // The inbox list (core/requests/requests.list.ts) pages newest first by id: each filter has an index that
    // yields its rows in id order, so a page reads about the rows it shows whatever the table's size.
    index('requests_status_id').on(t.status, t.id),
    index('requests_xiaoqu_id').on(t.xiaoquId, t.id),
    index('requests_xiaoqu_status_id').on(t.xiaoquId, t.status, t.id),
    index('requests_resident').on(t.residentId),
    index('requests_assignee_id').on(t.assigneeStaffId, t.id),
    // 未分配 within a scope: each xiaoqu's unassigned requests newest first, read from the index alone (the
    // list's prepared plan does not know the scope's xiaoqu: without it, it read every request of each).
    index('requests_unassigned').on(t.xiaoquId, t.id).where(sql`assignee_staff_id is null`),
    // xiaoqu_id too: the caller's scope is checked in the index (an index-only scan), not row by row.
    index('requests_category_id_xiaoqu').on(t.category, t.id, t.xiaoquId),
    index('requests_group').on(t.groupId),
    // Keyword search in the inbox: trigram matching works for Chinese text without a segmenter.
    index('requests_text_trgm').using('gin', t.text.op('gin_trgm_ops')),
    index('requests_response_due_submitted').on(t.responseDueAt).where(sql`status = 'submitted'`),
    index('requests_resolution_due_open')
      .on(t.resolutionDueAt)
      .where(sql`status in ('submitted', 'accepted')`),
    // The list's 居民申请撤回 and 居民催办过 filters: few open requests each, newest first.
    index('requests_withdrawal_open')
      .on(t.id)
      .where(sql`withdrawal_asked_at is not null and status in ('submitted', 'accepted')`),
    index('requests_urged_open').on(t.id).where(sql`urge_count > 0 and status in ('submitted', 'accepted')`),
  ],
)

export const requestEventKinds = [
  'filed',
  'accepted',
  'assigned',
  'resolved',
  'rated',
  'reopened',
  'supported',
  'reclassified',
  'extended',
  'replied',
  'urged',
  'withdrawal_asked',
] as const

export const requestEvents = pgTable(
  'request_events',
  {
    id: serial('id').primaryKey(),
    requestId: integer('request_id')
      .notNull()
      .references(() => requests.id),
    kind: text('kind', { enum: requestEventKinds }).notNull(),
    actorKind: text('actor_kind', { enum: ['resident', 'staff', 'system'] }).notNull(),
    actorId: integer('actor_id'),
    actorName: text('actor_name'),
    note: text('note'),
    data: jsonb('data'),
    at: instant('at').notNull(),
  },
  (t) => [index('request_events_request').on(t.requestId, t.id)],
)

/** 同求: one row per supporter, so support is counted once per resident. */
export const requestSupporters = pgTable(
  'request_supporters',
  {
    requestId: integer('request_id')
      .notNull()
      .references(() => requests.id),
    residentId: integer('resident_id')
      .notNull()
      .references(() => residents.id),
    at: instant('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.residentId] })],
)

/** Photos a resident sent with (or right after) a request: the files live in `attachments`. */
export const requestPhotos = pgTable(
  'request_photos',
  {
    id: serial('id').primaryKey(),
    requestId: integer('request_id')
      .notNull()
      .references(() => requests.id),
    attachmentId: integer('attachment_id').notNull(),
    /** The WeChat message the photo came in; one photo message attaches once. */
    inboundMessageId: text('inbound_message_id').unique(),
    createdAt: createdAt(),
  },
  (t) => [index('request_photos_request').on(t.requestId)],
)

/**
 * 派单规则: who handles a new request of a category in an area (实施主体). The most specific area wins
 * (a xiaoqu's community over its street over its district); a rule with no category covers every category
 * of its area, after the rules that name one. The handler is a staff member or an organisation (whose
 * active staff who handle requests receive it).
 */
export const routingRules = pgTable(
  'routing_rules',
  {
    id: serial('id').primaryKey(),
    /** A category code (core/classify/categories.ts); null: any category. */
    category: text('category'),
    areaId: integer('area_id').notNull(),
    handlerStaffId: integer('handler_staff_id').references(() => staff.id),
    handlerOrgId: integer('handler_org_id'),
    createdBy: integer('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('routing_rules_area_category').on(t.areaId, sql`coalesce(${t.category}, '')`),
    check('routing_rules_one_handler', sql`(${t.handlerStaffId} is null) <> (${t.handlerOrgId} is null)`),
  ],
)
