import { sql } from 'drizzle-orm'
import { index, integer, jsonb, pgSequence, pgTable, primaryKey, serial, text } from 'drizzle-orm/pg-core'
import { buildings, households, units, xiaoqu } from './areas.table'
import { createdAt, instant } from './columns'
import { residents, staff } from './people.table'
import { projects } from './projects.table'

/** The matters of 民法典 第二百七十八条 第一款, in its order; items 6–8 need three quarters. */
export const consentMatters = [
  'rules',
  'covenant',
  'committee',
  'property_manager',
  'use_maintenance_fund',
  'raise_maintenance_fund',
  'rebuild',
  'common_parts_use',
  'other',
] as const
export type ConsentMatter = (typeof consentMatters)[number]

export const ballotChoices = ['同意', '反对', '弃权'] as const
export type BallotChoice = (typeof ballotChoices)[number]
export const ballotChannels = ['wechat', 'paper', 'onsite'] as const

/** A threshold as a fraction; `inclusive` is 以上 (≥), otherwise 过半数-style (>). */
export interface Threshold {
  num: number
  den: number
  inclusive: boolean
}
export interface ConsentRule {
  quorumArea: Threshold
  quorumHeads: Threshold
  passArea: Threshold
  passHeads: Threshold
}

export interface ConsentResult {
  totalAreaCenti: number
  totalHeads: number
  participatingAreaCenti: number
  participatingHeads: number
  agreeingAreaCenti: number
  agreeingHeads: number
  quorumMet: boolean
  passed: boolean
  reasons: string[]
}

export const campaignNumberSeq = pgSequence('campaign_number_seq', { startWith: 1 })
export const campaignStatuses = ['scheduled', 'open', 'closed', 'cancelled'] as const

/** 征询/表决: one question to the owners of a xiaoqu, a building or a unit. */
export const campaigns = pgTable(
  'campaigns',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull().unique().default(sql`'Z' || nextval('campaign_number_seq')`),
    xiaoquId: integer('xiaoqu_id')
      .notNull()
      .references(() => xiaoqu.id),
    buildingId: integer('building_id').references(() => buildings.id),
    unitId: integer('unit_id').references(() => units.id),
    /** e.g. 农光里小区 3号楼2单元: how the scope is named in messages. */
    scopeName: text('scope_name').notNull(),
    matter: text('matter', { enum: consentMatters }).notNull(),
    /** The local rule's name when one stricter than the law was chosen. */
    localRule: text('local_rule'),
    rule: jsonb('rule').$type<ConsentRule>().notNull(),
    question: text('question').notNull(),
    projectId: integer('project_id').references(() => projects.id),
    opensAt: instant('opens_at').notNull(),
    closesAt: instant('closes_at').notNull(),
    status: text('status', { enum: campaignStatuses }).notNull().default('scheduled'),
    openedAt: instant('opened_at'),
    closedAt: instant('closed_at'),
    result: jsonb('result').$type<ConsentResult>(),
    /** SHA-256 (hex) of the ballots export at close: anyone holding the export can check the tally. */
    ballotsDigest: text('ballots_digest'),
    createdBy: integer('created_by')
      .notNull()
      .references(() => staff.id),
    createdAt: createdAt(),
  },
  (t) => [index('campaigns_status').on(t.status, t.opensAt)],
)

/** The households in scope, frozen when the campaign opens, so the tally is over a fixed roll. */
export const campaignRoll = pgTable(
  'campaign_roll',
  {
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    ownerKey: text('owner_key').notNull(),
    areaCenti: integer('area_centi').notNull(),
    label: text('label').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.householdId] })],
)

/** Every ballot is kept; for a household the last one counts. */
export const ballots = pgTable(
  'ballots',
  {
    id: serial('id').primaryKey(),
    campaignId: integer('campaign_id')
      .notNull()
      .references(() => campaigns.id),
    householdId: integer('household_id')
      .notNull()
      .references(() => households.id),
    choice: text('choice', { enum: ballotChoices }).notNull(),
    channel: text('channel', { enum: ballotChannels }).notNull(),
    residentId: integer('resident_id').references(() => residents.id),
    enteredBy: integer('entered_by').references(() => staff.id),
    note: text('note'),
    at: instant('at').notNull(),
  },
  (t) => [index('ballots_campaign_household').on(t.campaignId, t.householdId, t.id)],
)
