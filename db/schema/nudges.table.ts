import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgTable, primaryKey, serial, text, unique } from 'drizzle-orm/pg-core'
import { createdAt, instant } from './columns'

/**
 * 催办 / 通报: one row per (item, level), ever. The key is what makes two racing scans, or two instances,
 * nudge each level once; it is the only index, so a tick's thousand claims write a thousand entries, not two.
 */
export const nudges = pgTable(
  'nudges',
  {
    /** e.g. 'request-response', 'request-resolution'. */
    itemKind: text('item_kind').notNull(),
    itemId: integer('item_id').notNull(),
    /** 1 the owner, 2 their supervisor, 3 street leadership. */
    level: integer('level').notNull(),
    recipientStaffId: integer('recipient_staff_id'),
    sentAt: instant('sent_at').notNull(),
  },
  (t) => [
    // Also serves lookups by item: (item_kind, item_id) is its prefix.
    primaryKey({ name: 'nudges_item_level', columns: [t.itemKind, t.itemId, t.level] }),
  ],
)

/** Every run of a scheduled job: what it did and whether it failed. */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: serial('id').primaryKey(),
    job: text('job').notNull(),
    startedAt: instant('started_at').notNull(),
    finishedAt: instant('finished_at'),
    items: integer('items'),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [index('job_runs_job').on(t.job, t.id)],
)

export const watchKinds = ['request-response', 'request-resolution', 'task'] as const
export type WatchKind = (typeof watchKinds)[number]

/**
 * One deadline the nudge engine watches: a request's response or resolution clock, or a task's due time.
 * The item's own use cases keep it in step (owner, due time, open or closed). `nextAt` is when the ladder's
 * next rung (`nextLevel`: 0 reminder, 1 owner, 2 supervisor, 3 leadership) falls due, or null when there
 * is nothing left to send; the scan reads only rows whose `nextAt` has come, through a partial index, so
 * its cost follows what is due, not how much is open.
 */
export const watches = pgTable(
  'watches',
  {
    itemKind: text('item_kind', { enum: watchKinds }).notNull(),
    itemId: integer('item_id').notNull(),
    /** How the item is named in a nudge, e.g. 诉求 Q1001【照明】. */
    label: text('label').notNull(),
    /** The number to answer with, e.g. Q1001 or T12. */
    ref: text('ref').notNull(),
    /** The xiaoqu's path: whose officers' groups and leaders cover it. */
    scopePath: text('scope_path').notNull(),
    placeName: text('place_name').notNull(),
    ownerStaffId: integer('owner_staff_id'),
    ownerOrgId: integer('owner_org_id'),
    dueAt: instant('due_at').notNull(),
    remindAt: instant('remind_at'),
    urgent: boolean('urgent').notNull().default(false),
    snoozedUntil: instant('snoozed_until'),
    closedAt: instant('closed_at'),
    nextLevel: integer('next_level').notNull().default(1),
    nextAt: instant('next_at'),
  },
  (t) => [
    // The item is the key: no serial id, so a tick's move of a watch to its next rung (never a HOT update,
    // since next_at is indexed) writes two index entries, not three.
    primaryKey({ name: 'watches_item', columns: [t.itemKind, t.itemId] }),
    index('watches_next_at').on(t.nextAt).where(sql`next_at is not null`),
  ],
)

/**
 * A nudge kept for someone's daily digest (09:00 on working days) instead of a message of its own: officers
 * who chose the digest, and every escalation to leadership.
 */
export const digestItems = pgTable(
  'digest_items',
  {
    id: serial('id').primaryKey(),
    staffId: integer('staff_id').notNull(),
    /** The rung it tells of: a nudge's (item, level). */
    itemKind: text('item_kind').notNull(),
    itemId: integer('item_id').notNull(),
    level: integer('level').notNull(),
    line: text('line').notNull(),
    urgent: boolean('urgent').notNull().default(false),
    createdAt: instant('created_at').notNull(),
    digestedAt: instant('digested_at'),
  },
  (t) => [
    unique('digest_items_staff_nudge').on(t.staffId, t.itemKind, t.itemId, t.level),
    index('digest_items_pending').on(t.staffId).where(sql`digested_at is null`),
  ],
)
