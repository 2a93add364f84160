import { index, integer, pgTable, serial, text, unique } from 'drizzle-orm/pg-core'
import { createdAt, instant } from './columns'

/**
 * 催办 / 通报: one row per (item, level), ever. The unique key is what makes two racing scans, or two
 * instances, nudge each level once.
 */
export const nudges = pgTable(
  'nudges',
  {
    id: serial('id').primaryKey(),
    /** e.g. 'request-response', 'request-resolution'. */
    itemKind: text('item_kind').notNull(),
    itemId: integer('item_id').notNull(),
    /** 1 the owner, 2 their supervisor, 3 street leadership. */
    level: integer('level').notNull(),
    recipientStaffId: integer('recipient_staff_id'),
    sentAt: instant('sent_at').notNull(),
  },
  (t) => [
    unique('nudges_item_level').on(t.itemKind, t.itemId, t.level),
    index('nudges_item').on(t.itemKind, t.itemId),
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
