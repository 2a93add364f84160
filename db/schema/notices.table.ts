import { sql } from 'drizzle-orm'
import { index, integer, pgSequence, pgTable, serial, text } from 'drizzle-orm/pg-core'
import { createdAt, instant } from './columns'
import { staff } from './people.table'

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
