import { sql } from 'drizzle-orm'
import { boolean, index, integer, jsonb, pgTable, primaryKey, serial, text } from 'drizzle-orm/pg-core'
import { areas, households, xiaoqu } from './areas.table'
import { createdAt, instant } from './columns'

/** 居民/业主, known by their WeChat contact id. */
export const residents = pgTable(
  'residents',
  {
    id: serial('id').primaryKey(),
    wechatId: text('wechat_id').unique(),
    name: text('name').notNull(),
    phone: text('phone'),
    createdAt: createdAt(),
  },
  // A call-centre filing finds its caller by phone (代录); most residents, known by WeChat, have none.
  (t) => [index('residents_phone').on(t.phone).where(sql`phone is not null`)],
)

/** A household a resident claims; an officer verifies it before it can vote. */
export const residentHouseholds = pgTable(
  'resident_households',
  {
    residentId: integer('resident_id')
      .notNull()
      .references(() => residents.id),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    isOwner: boolean('is_owner').notNull().default(true),
    verifiedAt: instant('verified_at'),
    verifiedBy: integer('verified_by'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.residentId, t.householdId] })],
)

export const organisationKinds = [
  'street_office',
  'community_committee',
  'implementing_entity',
  'property_company',
  'property_rights_unit',
  'responsible_planner',
  'construction_unit',
] as const

export const organisations = pgTable('organisations', {
  id: serial('id').primaryKey(),
  kind: text('kind', { enum: organisationKinds }).notNull(),
  name: text('name').notNull().unique(),
  areaId: integer('area_id').references(() => areas.id),
  createdAt: createdAt(),
})

/** 业主委员会 / 物业管理委员会 per xiaoqu (组建率). */
export const ownersOrganisations = pgTable('owners_organisations', {
  xiaoquId: integer('xiaoqu_id')
    .primaryKey()
    .references(() => xiaoqu.id),
  kind: text('kind', { enum: ['owners_committee', 'property_management_committee'] }).notNull(),
  formedOn: text('formed_on'),
})

export const staffRoles = ['admin', 'officer', 'community_worker', 'property_staff'] as const

/** 工作人员. `scopePath` is an area or xiaoqu path; null means the whole city (admins). */
export const staff = pgTable(
  'staff',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: staffRoles }).notNull(),
    scopePath: text('scope_path'),
    organisationId: integer('organisation_id').references(() => organisations.id),
    supervisorId: integer('supervisor_id'),
    phone: text('phone'),
    wechatId: text('wechat_id').unique(),
    /** The WeChat display name seen at binding: puppets whose ids change per login (wechat4u) are matched by it. */
    wechatName: text('wechat_name'),
    tokenHash: text('token_hash').unique(),
    active: boolean('active').notNull().default(true),
    /** Chose one daily digest (09:00 on working days) instead of single nudges. */
    digest: boolean('digest').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index('staff_scope').on(t.scopePath)],
)

/** One-time codes: a staff member sends `绑定 <码>` privately, or `绑定小区 <码>` in a group. */
export const bindCodes = pgTable('bind_codes', {
  code: text('code').primaryKey(),
  purpose: text('purpose', { enum: ['staff', 'group'] }).notNull(),
  staffId: integer('staff_id').references(() => staff.id),
  xiaoquId: integer('xiaoqu_id').references(() => xiaoqu.id),
  buildingId: integer('building_id'),
  groupKind: text('group_kind', { enum: ['residents', 'building', 'officers'] }),
  /** The area or xiaoqu a group bound with this code will cover. */
  scopePath: text('scope_path'),
  createdBy: integer('created_by'),
  expiresAt: instant('expires_at').notNull(),
  usedAt: instant('used_at'),
  createdAt: createdAt(),
})

export const groupKinds = ['residents', 'building', 'officers'] as const

/**
 * `active`: bound and served; `unbound`: an admin unbound it (silence until bound again); `left`: the bot
 * is no longer in the room (removed, or the room was dissolved), so nothing is sent there.
 */
export const groupStates = ['active', 'unbound', 'left'] as const

/** 群: a WeChat room the bot is in. Unbound rooms (no xiaoqu, not officers) get silence. */
export const chatGroups = pgTable(
  'chat_groups',
  {
    id: serial('id').primaryKey(),
    roomId: text('room_id').notNull().unique(),
    topic: text('topic').notNull(),
    kind: text('kind', { enum: groupKinds }).notNull(),
    xiaoquId: integer('xiaoqu_id').references(() => xiaoqu.id),
    buildingId: integer('building_id'),
    scopePath: text('scope_path'),
    boundBy: integer('bound_by'),
    state: text('state', { enum: groupStates }).notNull().default('active'),
    stateChangedAt: instant('state_changed_at'),
    /** Members as the puppet last reported them (the bot included). */
    memberCount: integer('member_count'),
    lastMessageAt: instant('last_message_at'),
    createdAt: createdAt(),
  },
  (t) => [index('chat_groups_xiaoqu').on(t.xiaoquId)],
)

/**
 * After a login whose ids changed (wechat4u gives new contact and room ids at every login), a group or a
 * staff member that could not be matched to exactly one new id: listed for an admin, never guessed.
 */
export const identityIssues = pgTable(
  'identity_issues',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: ['group', 'staff'] }).notNull(),
    /** chat_groups.id or staff.id */
    subjectId: integer('subject_id').notNull(),
    oldWechatId: text('old_wechat_id').notNull(),
    /** The new ids that would fit, with what they are called: none (gone) or several (ambiguous). */
    candidates: jsonb('candidates').$type<{ id: string; name: string }[]>().notNull().default([]),
    createdAt: createdAt(),
    resolvedAt: instant('resolved_at'),
    resolvedBy: integer('resolved_by'),
    /** The id chosen, or null when the admin dismissed the issue. */
    resolution: text('resolution'),
  },
  (t) => [index('identity_issues_open').on(t.kind, t.subjectId).where(sql`resolved_at is null`)],
)

/**
 * One bot account runs in one process: the holder renews its lease; another process waits and takes
 * over only when the lease has lapsed.
 */
export const botLeases = pgTable('bot_leases', {
  account: text('account').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: instant('expires_at').notNull(),
  acquiredAt: instant('acquired_at').notNull(),
})
