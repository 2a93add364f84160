import { createHash } from 'node:crypto'
import { and, asc, desc, eq, gt, inArray, isNotNull, lte, or, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import {
  type BallotChoice,
  ballots,
  buildings,
  type ConsentMatter,
  type ConsentRule,
  campaignRoll,
  campaigns,
  chatGroups,
  households,
  residentHouseholds,
  units,
  xiaoqu,
} from '../../db/schema'
import { getXiaoquForStaff } from '../areas/areas.usecases'
import { recordAudit } from '../audit/audit'
import { enqueueMessages, type OutgoingMessage } from '../outbox/outbox.repository'
import { findProject } from '../projects/projects.usecases'
import { type Actor, assertRole, assertScope, type ResidentRow } from '../shared/actor'
import { csvCell } from '../shared/csv'
import type { Deps } from '../shared/deps'
import { AppError, conflict, invalid, notFound } from '../shared/errors'
import { formatShanghai } from '../shared/time'
import { normalizeBuilding, normalizeRoom, normalizeUnit } from './households'
import { atLeastAsStrict, describeThreshold, type LocalRules, legalRule, matterNames, tally } from './rules'

type Ctx = Pick<Deps, 'clock' | 'config'> & { db: DbOrTx }
type StaffActor = Actor & { kind: 'staff' }
export type CampaignRow = typeof campaigns.$inferSelect

/** The legal rule for the matter, tightened by a named local rule; a local rule looser anywhere is refused. */
export function ruleFor(
  matter: ConsentMatter,
  localName: string | undefined,
  local: LocalRules,
): ConsentRule {
  const legal = legalRule(matter)
  if (!localName) return legal
  const override = local[localName]
  if (!override) {
    throw invalid(
      'campaigns.unknown_rule',
      `没有名为"${localName}"的本地规则。可选：${Object.keys(local).join('、') || '（未配置）'}。`,
    )
  }
  const rule = { ...legal, ...override }
  const names = {
    quorumArea: '参与面积',
    quorumHeads: '参与人数',
    passArea: '同意面积',
    passHeads: '同意人数',
  } as const
  for (const key of Object.keys(names) as (keyof ConsentRule)[]) {
    if (!atLeastAsStrict(rule[key], legal[key])) {
      throw invalid(
        'campaigns.rule_looser_than_law',
        `本地规则"${localName}"的${names[key]}要求（${describeThreshold(rule[key])}）低于民法典第二百七十八条（${describeThreshold(legal[key])}），不能采用。`,
      )
    }
  }
  return rule
}

export interface CreateCampaignInput {
  xiaoquId: number
  building?: string
  unit?: string
  matter: ConsentMatter
  localRule?: string
  question: string
  opensAt: Date
  closesAt: Date
  projectNumber?: string
}

/** The households a scope covers, with their owners' keys and areas. */
async function scopeHouseholds(db: DbOrTx, c: Pick<CampaignRow, 'xiaoquId' | 'buildingId' | 'unitId'>) {
  return db
    .select({
      id: households.id,
      ownerKey: households.ownerKey,
      areaCenti: households.exclusiveAreaCenti,
      building: buildings.name,
      unit: units.name,
      room: households.room,
    })
    .from(households)
    .innerJoin(buildings, eq(buildings.id, households.buildingId))
    .innerJoin(units, eq(units.id, households.unitId))
    .where(
      and(
        eq(households.xiaoquId, c.xiaoquId),
        c.buildingId ? eq(households.buildingId, c.buildingId) : undefined,
        c.unitId ? eq(households.unitId, c.unitId) : undefined,
      ),
    )
    .orderBy(asc(households.id))
}

/**
 * A campaign for a xiaoqu, building or unit, decided by the matter's rule (or a stricter local one). Every
 * household in scope needs its exclusive area before the campaign can be created: the tally depends on it.
 */
export async function createCampaign(ctx: Ctx, actor: StaffActor, input: CreateCampaignInput) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const place = await getXiaoquForStaff(ctx.db, actor, input.xiaoquId)
  const now = ctx.clock.now()
  if (input.closesAt <= input.opensAt)
    throw invalid('campaigns.close_before_open', '截止时间必须晚于开始时间。')
  if (input.closesAt <= now) throw invalid('campaigns.closes_in_past', '截止时间必须晚于现在。')
  if (input.unit && !input.building)
    throw invalid('campaigns.unit_without_building', '按单元征询时请同时给出楼栋。')
  let buildingId: number | null = null
  let unitId: number | null = null
  let scopeName = place.name
  if (input.building) {
    const name = normalizeBuilding(input.building)
    const [b] = await ctx.db
      .select()
      .from(buildings)
      .where(and(eq(buildings.xiaoquId, place.id), eq(buildings.name, name)))
    if (!b) throw notFound('campaigns.unknown_building', `${place.name}没有${name}。`)
    buildingId = b.id
    scopeName += ` ${name}`
    if (input.unit) {
      const unitName = normalizeUnit(input.unit)
      const [u] = await ctx.db
        .select()
        .from(units)
        .where(and(eq(units.buildingId, b.id), eq(units.name, unitName)))
      if (!u) throw notFound('campaigns.unknown_unit', `${place.name}${name}没有${unitName}。`)
      unitId = u.id
      scopeName += unitName
    }
  }
  const rule = ruleFor(input.matter, input.localRule, ctx.config.consentLocalRules)
  const roll = await scopeHouseholds(ctx.db, { xiaoquId: place.id, buildingId, unitId })
  if (roll.length === 0)
    throw invalid('campaigns.empty_scope', `${scopeName}还没有登记房屋，请先导入房屋和面积。`)
  const noArea = roll.filter((h) => !h.areaCenti)
  if (noArea.length > 0) {
    throw invalid(
      'campaigns.missing_area',
      `${noArea.length} 户没有专有部分面积，无法计票：${noArea
        .slice(0, 10)
        .map((h) => `${h.building}${h.unit}${h.room}`)
        .join(
          '、',
        )}${noArea.length > 10 ? ' 等' : ''}。请先导入面积（POST /api/v1/xiaoqu/{id}/households.csv）。`,
      { households: noArea.map((h) => h.id) },
    )
  }
  const project = input.projectNumber ? await findProject(ctx.db, input.projectNumber) : undefined
  if (project && project.xiaoquId !== place.id) {
    throw invalid('campaigns.project_elsewhere', `项目 ${project.number} 不属于${place.name}。`)
  }
  const question = input.question.trim()
  if (!question) throw invalid('campaigns.question_required', '请填写征询事项。')
  const [campaign] = await ctx.db
    .insert(campaigns)
    .values({
      xiaoquId: place.id,
      buildingId,
      unitId,
      scopeName,
      matter: input.matter,
      localRule: input.localRule ?? null,
      rule,
      question,
      projectId: project?.id ?? null,
      opensAt: input.opensAt,
      closesAt: input.closesAt,
      createdBy: actor.staff.id,
      createdAt: now,
    })
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'campaign.create',
    entity: 'campaign',
    entityId: campaign!.number,
    after: campaign,
    at: now,
  })
  return campaign!
}

export async function findCampaign(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(campaigns).where(eq(campaigns.number, number.toUpperCase()))
  const [campaign] = forUpdate ? await query.for('update') : await query
  if (!campaign) throw notFound('campaigns.not_found', `没有找到征询 ${number}，请核对编号（如 Z7）。`)
  return campaign
}

/** The scope's groups: a building's own group when it has one, else the xiaoqu's residents' groups. */
async function audience(db: DbOrTx, c: CampaignRow) {
  const groups = await db
    .select()
    .from(chatGroups)
    .where(
      and(
        eq(chatGroups.xiaoquId, c.xiaoquId),
        eq(chatGroups.state, 'active'),
        or(eq(chatGroups.kind, 'residents'), eq(chatGroups.kind, 'building')),
      ),
    )
  const residentsGroups = groups.filter((g) => g.kind === 'residents')
  if (!c.buildingId) return groups.map((g) => g.roomId)
  const own = groups.filter((g) => g.kind === 'building' && g.buildingId === c.buildingId)
  return (own.length > 0 ? own : residentsGroups).map((g) => g.roomId)
}

async function post(ctx: Ctx, c: CampaignRow, what: string, text: string) {
  const rooms = await audience(ctx.db, c)
  const messages: OutgoingMessage[] = rooms.map((roomId) => ({
    conversationId: roomId,
    isRoom: true,
    text,
    dedupeKey: `campaign:${c.number}:${what}:room:${roomId}`,
    batch: `campaign:${c.number}:${what}`,
  }))
  await enqueueMessages(ctx.db, messages, ctx.clock.now(), { maxChars: ctx.config.send.maxChars })
  return rooms.length
}

const ruleLine = (c: CampaignRow) =>
  `表决规则：${matterNames[c.matter]}，须参与表决的专有部分面积和人数均达${describeThreshold(c.rule.quorumArea)}，同意的面积和人数均达参与表决的${describeThreshold(c.rule.passArea)}${c.localRule ? `（本地规则：${c.localRule}）` : ''}。`

function openText(c: CampaignRow, households: number) {
  return [
    `【征询 ${c.number}】${c.scopeName}`,
    c.question,
    ruleLine(c),
    `时间：${formatShanghai(c.opensAt)} 至 ${formatShanghai(c.closesAt)}，本次共 ${households} 户。`,
    `已认证的业主请私聊我投票：同意 ${c.number} / 反对 ${c.number} / 弃权 ${c.number}；截止前可改，以最后一次为准。尚未认证房屋的请私聊我发"认证 3号楼2单元301"。`,
  ].join('\n')
}

const area = (centi: number) => `${Math.trunc(centi / 100)}.${String(centi % 100).padStart(2, '0')}㎡`

function resultText(c: CampaignRow) {
  const r = c.result!
  return [
    `【征询结果 ${c.number}】${c.scopeName}：${r.passed ? '通过' : '未通过'}`,
    c.question,
    `专有部分面积：总 ${area(r.totalAreaCenti)}，参与 ${area(r.participatingAreaCenti)}，同意 ${area(r.agreeingAreaCenti)}`,
    `业主人数：总 ${r.totalHeads}，参与 ${r.participatingHeads}，同意 ${r.agreeingHeads}`,
    ruleLine(c),
    ...r.reasons,
    `计票校验码（SHA-256）：${c.ballotsDigest}`,
  ].join('\n')
}

/**
 * The job's work, in the tick's transaction: opens due campaigns (the roll is frozen and the question posted
 * to the scope's groups) and closes ended ones (tallied, digested, the result posted). Rows are claimed with
 * SKIP LOCKED and dedupe keys guard the posts, so two instances do it once.
 */
export async function advanceCampaigns(ctx: Ctx) {
  const now = ctx.clock.now()
  const due = await ctx.db
    .select()
    .from(campaigns)
    .where(
      or(
        and(eq(campaigns.status, 'scheduled'), lte(campaigns.opensAt, now)),
        and(eq(campaigns.status, 'open'), lte(campaigns.closesAt, now)),
      ),
    )
    .orderBy(asc(campaigns.id))
    .for('update', { skipLocked: true })
  for (const c of due) {
    if (c.status === 'scheduled') await openCampaign(ctx, c)
    if (c.closesAt <= now) await closeCampaign(ctx, (await findCampaign(ctx.db, c.number))!)
  }
  return due.length
}

async function openCampaign(ctx: Ctx, c: CampaignRow) {
  const roll = await scopeHouseholds(ctx.db, c)
  await ctx.db
    .insert(campaignRoll)
    .values(
      roll.map((h) => ({
        campaignId: c.id,
        householdId: h.id,
        ownerKey: h.ownerKey ?? `h${h.id}`,
        areaCenti: h.areaCenti ?? 0,
        label: `${h.building}${h.unit}${h.room}`,
      })),
    )
    .onConflictDoNothing()
  const [opened] = await ctx.db
    .update(campaigns)
    .set({ status: 'open', openedAt: ctx.clock.now() })
    .where(eq(campaigns.id, c.id))
    .returning()
  await post(ctx, opened!, 'open', openText(opened!, roll.length))
}

/** The last ballot per household, in casting order. */
async function countedBallots(db: DbOrTx, campaignId: number) {
  const rows = rowsOf<{ household_id: number; choice: BallotChoice; id: number }>(
    await db.execute(sql`
      select distinct on (household_id) household_id, choice, id
      from ballots where campaign_id = ${campaignId}
      order by household_id, id desc`),
  )
  return rows.map((r) => ({ householdId: Number(r.household_id), choice: r.choice, seq: Number(r.id) }))
}

async function rollOf(db: DbOrTx, campaignId: number) {
  return db
    .select()
    .from(campaignRoll)
    .where(eq(campaignRoll.campaignId, campaignId))
    .orderBy(asc(campaignRoll.householdId))
}

/**
 * The ballots as CSV, one line per ballot in casting order (no names or phones). Its SHA-256 is published
 * with the result, so anyone holding this export can check it was not changed after the count.
 */
export async function ballotsCsv(db: DbOrTx, c: CampaignRow) {
  const labels = new Map((await rollOf(db, c.id)).map((r) => [r.householdId, r.label]))
  const rows = await db.select().from(ballots).where(eq(ballots.campaignId, c.id)).orderBy(asc(ballots.id))
  const lines = [
    'ballot,household,choice,channel,at',
    ...rows.map((b) =>
      [b.id, labels.get(b.householdId) ?? b.householdId, b.choice, b.channel, b.at.toISOString()]
        .map((v) => csvCell(String(v)))
        .join(','),
    ),
  ]
  return `${lines.join('\n')}\n`
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

async function closeCampaign(ctx: Ctx, c: CampaignRow) {
  if (c.status !== 'open') return
  const result = tally(
    c.rule,
    (await rollOf(ctx.db, c.id)).map((r) => ({
      householdId: r.householdId,
      ownerKey: r.ownerKey,
      areaCenti: r.areaCenti,
    })),
    await countedBallots(ctx.db, c.id),
  )
  const digest = sha256(await ballotsCsv(ctx.db, c))
  const [closed] = await ctx.db
    .update(campaigns)
    .set({ status: 'closed', closedAt: ctx.clock.now(), result, ballotsDigest: digest })
    .where(eq(campaigns.id, c.id))
    .returning()
  await post(ctx, closed!, 'result', resultText(closed!))
}

/** Campaigns open now in which the resident has a verified household on the roll, closing soonest first. */
export async function campaignsOpenTo(db: DbOrTx, residentId: number, now: Date) {
  return db
    .selectDistinct({
      number: campaigns.number,
      scopeName: campaigns.scopeName,
      question: campaigns.question,
      closesAt: campaigns.closesAt,
    })
    .from(campaigns)
    .innerJoin(campaignRoll, eq(campaignRoll.campaignId, campaigns.id))
    .innerJoin(
      residentHouseholds,
      and(
        eq(residentHouseholds.householdId, campaignRoll.householdId),
        eq(residentHouseholds.residentId, residentId),
        isNotNull(residentHouseholds.verifiedAt),
      ),
    )
    .where(and(eq(campaigns.status, 'open'), lte(campaigns.opensAt, now), gt(campaigns.closesAt, now)))
    .orderBy(asc(campaigns.closesAt))
    .limit(5)
}

/** Households a resident may vote for in this campaign: verified claims on the roll. */
async function votingHouseholds(db: DbOrTx, residentId: number, campaignId: number) {
  const claims = await db
    .select({ householdId: residentHouseholds.householdId, verifiedAt: residentHouseholds.verifiedAt })
    .from(residentHouseholds)
    .where(eq(residentHouseholds.residentId, residentId))
  const roll = claims.length
    ? await db
        .select()
        .from(campaignRoll)
        .where(
          and(
            eq(campaignRoll.campaignId, campaignId),
            inArray(
              campaignRoll.householdId,
              claims.map((c) => c.householdId),
            ),
          ),
        )
    : []
  return {
    claims,
    onRoll: roll.filter((r) => claims.some((c) => c.householdId === r.householdId && c.verifiedAt)),
  }
}

function assertOpen(c: CampaignRow, now: Date) {
  if (c.status === 'cancelled') throw conflict('campaigns.cancelled', `征询 ${c.number} 已取消。`)
  if (c.status === 'scheduled' || now < c.opensAt) {
    throw conflict(
      'campaigns.not_open',
      `征询 ${c.number} 还没有开始，将于 ${formatShanghai(c.opensAt)} 开始投票。`,
    )
  }
  if (c.status === 'closed' || now >= c.closesAt) {
    throw conflict(
      'campaigns.closed',
      `征询 ${c.number} 已于 ${formatShanghai(c.closedAt ?? c.closesAt)} 截止，不能再投票。`,
    )
  }
}

/**
 * `同意 Z7` in private chat: one ballot for each of the resident's verified households on the roll. A vote
 * may be changed until the close; the last one counts.
 */
export async function castVote(ctx: Ctx, resident: ResidentRow, number: string, choice: BallotChoice) {
  const c = await findCampaign(ctx.db, number)
  const now = ctx.clock.now()
  assertOpen(c, now)
  const { claims, onRoll } = await votingHouseholds(ctx.db, resident.id, c.id)
  if (onRoll.length === 0) {
    if (claims.length === 0) {
      throw new AppError(
        'campaigns.not_verified',
        403,
        `您还没有认证房屋，不能投票。请先私聊我发"认证 3号楼2单元301"，经社区核实后即可投票。`,
      )
    }
    if (claims.every((cl) => !cl.verifiedAt)) {
      throw new AppError(
        'campaigns.not_verified',
        403,
        '您认证的房屋还在等待社区工作人员核实，核实后即可投票。',
      )
    }
    throw new AppError('campaigns.out_of_scope', 403, `您认证的房屋不在本次征询的范围（${c.scopeName}）内。`)
  }
  await ctx.db.insert(ballots).values(
    onRoll.map((h) => ({
      campaignId: c.id,
      householdId: h.householdId,
      choice,
      channel: 'wechat' as const,
      residentId: resident.id,
      at: now,
    })),
  )
  return { campaign: c, households: onRoll.map((h) => h.label) }
}

/** A paper or on-site ballot entered by an officer for a household on the roll; the later ballot counts. Audited. */
export async function enterBallot(
  ctx: Ctx,
  actor: StaffActor,
  number: string,
  input: {
    building: string
    unit: string
    room: string
    choice: BallotChoice
    channel: 'paper' | 'onsite'
    note?: string
  },
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const c = await findCampaign(ctx.db, number)
  const place = await getXiaoquForStaff(ctx.db, actor, c.xiaoquId)
  assertScope(actor.staff, place.path)
  const now = ctx.clock.now()
  assertOpen(c, now)
  const label = `${normalizeBuilding(input.building)}${normalizeUnit(input.unit)}${normalizeRoom(input.room)}`
  const [entry] = await ctx.db
    .select()
    .from(campaignRoll)
    .where(and(eq(campaignRoll.campaignId, c.id), eq(campaignRoll.label, label)))
  if (!entry)
    throw new AppError(
      'campaigns.out_of_scope',
      403,
      `${label} 不在征询 ${c.number} 的范围（${c.scopeName}）内。`,
    )
  const [ballot] = await ctx.db
    .insert(ballots)
    .values({
      campaignId: c.id,
      householdId: entry.householdId,
      choice: input.choice,
      channel: input.channel,
      enteredBy: actor.staff.id,
      note: input.note ?? null,
      at: now,
    })
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'ballot.enter',
    entity: 'campaign',
    entityId: c.number,
    after: { ...ballot, label },
    at: now,
  })
  return ballot!
}

/** A campaign for an officer's eyes: in their scope, and not for property staff (a vote may be about hiring them). */
async function campaignForOfficer(db: DbOrTx, actor: StaffActor, number: string) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const c = await findCampaign(db, number)
  await getXiaoquForStaff(db, actor, c.xiaoquId)
  return c
}

/** The ballots export (see ballotsCsv) for an officer in scope. */
export async function exportBallots(db: DbOrTx, actor: StaffActor, number: string) {
  const campaign = await campaignForOfficer(db, actor, number)
  return { campaign, csv: await ballotsCsv(db, campaign) }
}

/**
 * Live turnout for officers: the tally so far against the quorum, and households where two owners voted
 * differently (the last ballot counts; officers should check with the household).
 */
export async function turnout(db: DbOrTx, actor: StaffActor, number: string) {
  const c = await campaignForOfficer(db, actor, number)
  const roll = await rollOf(db, c.id)
  const live = tally(
    c.rule,
    roll.map((r) => ({ householdId: r.householdId, ownerKey: r.ownerKey, areaCenti: r.areaCenti })),
    await countedBallots(db, c.id),
  )
  const all = await db.select().from(ballots).where(eq(ballots.campaignId, c.id)).orderBy(asc(ballots.id))
  const labels = new Map(roll.map((r) => [r.householdId, r.label]))
  const conflicts: {
    household: string
    ballots: { choice: string; channel: string; residentId: number | null; at: string }[]
  }[] = []
  const byHousehold = new Map<number, typeof all>()
  for (const b of all) {
    const list = byHousehold.get(b.householdId)
    if (list) list.push(b)
    else byHousehold.set(b.householdId, [b])
  }
  for (const [householdId, list] of byHousehold) {
    // Each owner's last word in WeChat for this household; a conflict is two owners whose last words differ.
    const lastByVoter = new Map<string, (typeof all)[number]>()
    // Paper and on-site ballots name no person: a later one simply replaces what came before.
    for (const b of list) if (b.residentId) lastByVoter.set(`r${b.residentId}`, b)
    const choices = new Set([...lastByVoter.values()].map((b) => b.choice))
    if (lastByVoter.size > 1 && choices.size > 1) {
      conflicts.push({
        household: labels.get(householdId) ?? String(householdId),
        ballots: list.map((b) => ({
          choice: b.choice,
          channel: b.channel,
          residentId: b.residentId,
          at: b.at.toISOString(),
        })),
      })
    }
  }
  return {
    campaign: c,
    live: c.status === 'closed' ? c.result! : live,
    households: roll.length,
    ballots: all.length,
    conflicts,
  }
}

/** What a resident may see: the question, the window, and how many owners have taken part — never who voted how. */
export async function publicStatus(ctx: Ctx, resident: ResidentRow, number: string) {
  const c = await findCampaign(ctx.db, number)
  const [row] = rowsOf<{ heads: number }>(
    await ctx.db.execute(sql`
      select count(distinct r.owner_key)::int as heads
      from campaign_roll r join ballots b on b.campaign_id = r.campaign_id and b.household_id = r.household_id
      where r.campaign_id = ${c.id}`),
  )
  const { onRoll } = await votingHouseholds(ctx.db, resident.id, c.id)
  // Their latest ballot for any of their households, as the tally takes an owner's choice.
  const [mine] = onRoll.length
    ? await ctx.db
        .select({ choice: ballots.choice })
        .from(ballots)
        .where(
          and(
            eq(ballots.campaignId, c.id),
            inArray(
              ballots.householdId,
              onRoll.map((h) => h.householdId),
            ),
          ),
        )
        .orderBy(desc(ballots.id))
        .limit(1)
    : []
  return { campaign: c, participatingHeads: Number(row?.heads ?? 0), myChoice: mine?.choice }
}

/** Cancels a campaign that has not closed; what it posted stays, no result is computed. Audited. */
export async function cancelCampaign(ctx: Ctx, actor: StaffActor, number: string) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const c = await findCampaign(ctx.db, number, true)
  await getXiaoquForStaff(ctx.db, actor, c.xiaoquId)
  if (c.status === 'closed' || c.status === 'cancelled')
    throw conflict('campaigns.finished', `征询 ${c.number} 已结束，不能取消。`)
  const [cancelled] = await ctx.db
    .update(campaigns)
    .set({ status: 'cancelled' })
    .where(eq(campaigns.id, c.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'campaign.cancel',
    entity: 'campaign',
    entityId: c.number,
    before: { status: c.status },
    after: { status: 'cancelled' },
    at: ctx.clock.now(),
  })
  if (c.status === 'open')
    await post(
      ctx,
      cancelled!,
      'cancel',
      `【征询 ${c.number}】${c.scopeName}：本次征询已取消，已投的票不再计算。`,
    )
  return cancelled!
}

/** Whether a project has a passed property-service consent (the 物业签约 agreement's residents' side). */
export async function projectConsentPassed(db: DbOrTx, projectId: number) {
  const [row] = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(
      and(
        eq(campaigns.projectId, projectId),
        eq(campaigns.status, 'closed'),
        inArray(campaigns.matter, ['property_manager', 'other']),
        isNotNull(campaigns.result),
        sql`(${campaigns.result}->>'passed')::boolean`,
      ),
    )
    .limit(1)
  return !!row
}

/** Campaigns in the staff member's scope, newest first. */
export function listCampaigns(db: DbOrTx, scopePath: string | null, limit = 100) {
  return db
    .select({ campaign: campaigns, xiaoquName: xiaoqu.name })
    .from(campaigns)
    .innerJoin(xiaoqu, eq(xiaoqu.id, campaigns.xiaoquId))
    .where(scopePath ? sql`${xiaoqu.path} like ${`${scopePath}%`}` : undefined)
    .orderBy(desc(campaigns.id))
    .limit(limit)
}
