import { bigserial, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core'
import { createdAt, instant } from './columns'

/** 操作记录: every change made by staff, with the state before and after. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorStaffId: integer('actor_staff_id'),
    actorName: text('actor_name'),
    via: text('via', { enum: ['api', 'wechat', 'console', 'system'] }).notNull(),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    at: instant('at').notNull(),
  },
  (t) => [index('audit_entity').on(t.entity, t.entityId)],
)

/** Holiday overrides for years the calendar library does not know yet. */
export const calendarOverrides = pgTable('calendar_overrides', {
  date: text('date').primaryKey(),
  kind: text('kind', { enum: ['workday', 'holiday'] }).notNull(),
  name: text('name'),
  createdBy: integer('created_by'),
  createdAt: createdAt(),
})

/** Settings kept in the database, such as the hash of the generated admin token. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
})
