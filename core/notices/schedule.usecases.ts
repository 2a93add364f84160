import { and, asc, eq, gt, inArray, isNotNull, like, lte, or } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import {
  buildings,
  chatGroups,
  type constructionImpacts,
  constructionPhases,
  constructionSchedules,
  outbox,
  xiaoqu,
} from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { enqueueMessages } from '../outbox/outbox.repository'
import { type Actor, assertRole, assertScope } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { conflict, invalid, notFound } from '../shared/errors'
import { formatShanghai } from '../shared/time'
import { fromShanghai, shanghaiDate } from '../sla/calendar'
import { enqueueToScope } from './broadcast.repository'

type StaffActor = Actor & { kind: 'staff' }
type Ctx = Pick<Deps, 'clock' | 'config'> & { db: DbOrTx }
type Impact = (typeof constructionImpacts)[number]
export type ScheduleRow = typeof constructionSchedules.$inferSelect
export type PhaseRow = typeof constructionPhases.$inferSelect

export interface PhaseInput {
  name: string
  buildings: string[]
  impacts: Impact[]
  startsAt: Date
  endsAt: Date
  note?: string
}

function checkPhase(phase: Pick<PhaseInput, 'startsAt' | 'endsAt'>, field: string) {
  if (phase.endsAt <= phase.startsAt) {
    throw invalid('schedule.phase_ends_before_start', '施工阶段的结束时间必须晚于开始时间。', {
      fields: [`${field}.endsAt`],
    })
  }
}

async function buildingIdsOf(db: DbOrTx, xiaoquId: number, names: string[], field: string) {
  const rows = await db
    .select()
    .from(buildings)
    .where(and(eq(buildings.xiaoquId, xiaoquId), inArray(buildings.name, names)))
  const missing = names.filter((n) => !rows.some((r) => r.name === n))
  if (missing.length > 0) {
    throw invalid(
      'schedule.unknown_building',
      `小区里没有这些楼：${missing.join('、')}。请用楼栋名称，如"3号楼"。`,
      {
        fields: [`${field}.buildings`],
        missing,
      },
    )
  }
  return names.map((n) => rows.find((r) => r.name === n)!.id)
}

async function loadXiaoqu(db: DbOrTx, actor: StaffActor, xiaoquId: number) {
  const [place] = await db.select().from(xiaoqu).where(eq(xiaoqu.id, xiaoquId))
  if (!place) throw notFound('xiaoqu.not_found', `没有编号为 ${xiaoquId} 的小区。`)
  assertRole(actor.staff, ['officer', 'community_worker'])
  assertScope(actor.staff, place.path)
  return place
}

export async function createSchedule(
  ctx: Ctx,
  actor: StaffActor,
  input: { xiaoquId: number; title: string; phases: PhaseInput[] },
) {
  const place = await loadXiaoqu(ctx.db, actor, input.xiaoquId)
  if (input.phases.length === 0)
    throw invalid('schedule.no_phases', '施工计划至少要有一个阶段。', { fields: ['phases'] })
  for (const [i, p] of input.phases.entries()) checkPhase(p, `phases.${i}`)
  const now = ctx.clock.now()
  const [schedule] = await ctx.db
    .insert(constructionSchedules)
    .values({ xiaoquId: place.id, title: input.title, createdBy: actor.staff.id, createdAt: now })
    .returning()
  let seq = 0
  for (const [i, p] of input.phases.entries()) {
    await ctx.db.insert(constructionPhases).values({
      scheduleId: schedule!.id,
      seq: ++seq,
      name: p.name,
      buildingIds: await buildingIdsOf(ctx.db, place.id, p.buildings, `phases.${i}`),
      impacts: p.impacts,
      startsAt: p.startsAt,
      endsAt: p.endsAt,
      note: p.note ?? null,
    })
  }
  await recordAudit(ctx.db, {
    actor,
    action: 'schedule.create',
    entity: 'schedule',
    entityId: schedule!.number,
    after: input,
    at: now,
  })
  return schedule!
}

export async function findSchedule(db: DbOrTx, number: string, forUpdate = false) {
  const query = db
    .select()
    .from(constructionSchedules)
    .where(eq(constructionSchedules.number, number.toUpperCase()))
  const [row] = forUpdate ? await query.for('update') : await query
  if (!row) throw notFound('schedule.not_found', `没有找到施工计划 ${number}。编号形如 S3。`)
  const phases = await db
    .select()
    .from(constructionPhases)
    .where(eq(constructionPhases.scheduleId, row.id))
    .orderBy(asc(constructionPhases.seq))
  return { schedule: row, phases }
}

const span = (p: Pick<PhaseRow, 'startsAt' | 'endsAt'>) =>
  `${formatShanghai(p.startsAt)} 至 ${formatShanghai(p.endsAt)}`

/** Building names by id, for showing a phase. */
export async function buildingNames(db: DbOrTx, ids: number[]) {
  if (ids.length === 0) return new Map<number, string>()
  const rows = await db.select().from(buildings).where(inArray(buildings.id, ids))
  return new Map(rows.map((r) => [r.id, r.name]))
}

/** Publishes the plan now, or schedules it for `publishAt`; each phase is then reminded the evening before. */
export async function publishSchedule(ctx: Ctx, actor: StaffActor, number: string, publishAt?: Date) {
  const { schedule, phases } = await findSchedule(ctx.db, number)
  const place = await loadXiaoqu(ctx.db, actor, schedule.xiaoquId)
  if (schedule.status !== 'draft')
    throw conflict('schedule.not_draft', `施工计划 ${schedule.number} 已经发布过。`)
  const now = ctx.clock.now()
  await recordAudit(ctx.db, {
    actor,
    action: 'schedule.publish',
    entity: 'schedule',
    entityId: schedule.number,
    after: { publishAt },
    at: now,
  })
  if (publishAt && publishAt > now) {
    const [scheduled] = await ctx.db
      .update(constructionSchedules)
      .set({ status: 'scheduled', publishAt })
      .where(eq(constructionSchedules.id, schedule.id))
      .returning()
    return scheduled!
  }
  return postSchedule(ctx, schedule, phases, place)
}

/** The plan as the xiaoqu's groups read it (the console previews it before publishing). */
export function scheduleText(
  schedule: Pick<ScheduleRow, 'number' | 'title'>,
  placeName: string,
  phases: readonly (Pick<PhaseRow, 'seq' | 'name' | 'impacts' | 'startsAt' | 'endsAt'> & {
    buildings: readonly (string | undefined)[]
  })[],
) {
  const lines = phases.map(
    (p) =>
      `${p.seq}. ${p.name}（${p.buildings.join('、')}）${span(p)}${p.impacts.length ? `，影响：${p.impacts.join('、')}` : ''}`,
  )
  return [
    `【施工计划 ${schedule.number}】${placeName}：${schedule.title}`,
    ...lines,
    '每个阶段开始前一天傍晚会再提醒受影响的楼栋。',
  ].join('\n')
}

/** Posts the whole plan to every group of the xiaoqu (once: the dedupe key is the schedule's). */
async function postSchedule(
  ctx: Ctx,
  schedule: ScheduleRow,
  phases: PhaseRow[],
  place: { name: string; path: string },
) {
  const now = ctx.clock.now()
  const names = await buildingNames(
    ctx.db,
    phases.flatMap((p) => p.buildingIds),
  )
  const text = scheduleText(
    schedule,
    place.name,
    phases.map((p) => ({ ...p, buildings: p.buildingIds.map((id) => names.get(id)) })),
  )
  await enqueueToScope(ctx.db, {
    scopePath: place.path,
    text,
    dedupeKey: `schedule:${schedule.number}:publish`,
    batch: `schedule:${schedule.number}:publish`,
    priority: 'normal',
    notBefore: now,
    maxChars: ctx.config.send.maxChars,
  })
  const [published] = await ctx.db
    .update(constructionSchedules)
    .set({ status: 'published', publishedAt: now })
    .where(eq(constructionSchedules.id, schedule.id))
    .returning()
  return published!
}

/** The job's work: publish schedules whose time has come (claimed rows, so two instances share it). */
export async function publishDueSchedules(ctx: Ctx) {
  const due = await ctx.db
    .select({ schedule: constructionSchedules, place: xiaoqu })
    .from(constructionSchedules)
    .innerJoin(xiaoqu, eq(xiaoqu.id, constructionSchedules.xiaoquId))
    .where(
      and(
        eq(constructionSchedules.status, 'scheduled'),
        lte(constructionSchedules.publishAt, ctx.clock.now()),
      ),
    )
    .for('update', { of: constructionSchedules, skipLocked: true })
  for (const { schedule, place } of due) {
    const { phases } = await findSchedule(ctx.db, schedule.number)
    await postSchedule(ctx, schedule, phases, place)
  }
  return due.length
}

/** Cancels a schedule: before it is posted nothing goes out; after, the unsent posts and all reminders stop. */
export async function cancelSchedule(ctx: Ctx, actor: StaffActor, number: string) {
  const { schedule } = await findSchedule(ctx.db, number, true)
  await loadXiaoqu(ctx.db, actor, schedule.xiaoquId)
  if (schedule.status === 'cancelled')
    throw conflict('schedule.cancelled', `施工计划 ${schedule.number} 已撤回。`)
  const now = ctx.clock.now()
  const dropped = await ctx.db
    .update(outbox)
    .set({ status: 'dropped' })
    .where(and(like(outbox.batch, `schedule:${schedule.number}:%`), eq(outbox.status, 'pending')))
    .returning({ id: outbox.id })
  const [cancelled] = await ctx.db
    .update(constructionSchedules)
    .set({ status: 'cancelled' })
    .where(eq(constructionSchedules.id, schedule.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'schedule.cancel',
    entity: 'schedule',
    entityId: schedule.number,
    after: { droppedMessages: dropped.length },
    at: now,
  })
  return cancelled!
}

/** The groups that hear about a phase: each affected building's group, or the xiaoqu's groups for a building without one. */
async function phaseAudience(db: DbOrTx, xiaoquId: number, buildingIds: number[]) {
  const groups = await db
    .select()
    .from(chatGroups)
    .where(
      and(
        eq(chatGroups.xiaoquId, xiaoquId),
        eq(chatGroups.state, 'active'),
        or(
          eq(chatGroups.kind, 'residents'),
          and(eq(chatGroups.kind, 'building'), isNotNull(chatGroups.buildingId)),
        ),
      ),
    )
  const rooms = new Set<string>()
  for (const id of buildingIds) {
    const own = groups.filter((g) => g.kind === 'building' && g.buildingId === id)
    for (const g of own.length > 0 ? own : groups.filter((g) => g.kind === 'residents')) rooms.add(g.roomId)
  }
  return [...rooms]
}

/** The same text to a few named groups, once each (the dedupe key gets the room appended). */
function postToRooms(ctx: Ctx, rooms: readonly string[], text: string, dedupeKey: string, batch: string) {
  return enqueueMessages(
    ctx.db,
    rooms.map((roomId) => ({
      conversationId: roomId,
      isRoom: true,
      text,
      dedupeKey: `${dedupeKey}:room:${roomId}`,
      batch,
    })),
    ctx.clock.now(),
    { maxChars: ctx.config.send.maxChars },
  )
}

/** Moves or edits a phase; once published, residents are told what moved, from when to when. */
export async function updatePhase(
  ctx: Ctx,
  actor: StaffActor,
  number: string,
  seq: number,
  change: Partial<Pick<PhaseInput, 'startsAt' | 'endsAt' | 'name' | 'note'>>,
) {
  const { schedule, phases } = await findSchedule(ctx.db, number)
  await loadXiaoqu(ctx.db, actor, schedule.xiaoquId)
  const phase = phases.find((p) => p.seq === seq)
  if (!phase) throw notFound('schedule.phase_not_found', `施工计划 ${schedule.number} 没有第 ${seq} 阶段。`)
  const next = { startsAt: change.startsAt ?? phase.startsAt, endsAt: change.endsAt ?? phase.endsAt }
  checkPhase(next, 'phase')
  const now = ctx.clock.now()
  const [updated] = await ctx.db
    .update(constructionPhases)
    .set({ ...next, name: change.name ?? phase.name, note: change.note ?? phase.note })
    .where(eq(constructionPhases.id, phase.id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: 'schedule.phase_update',
    entity: 'schedule',
    entityId: `${schedule.number}#${seq}`,
    before: phase,
    after: updated,
    at: now,
  })
  const moved =
    phase.startsAt.getTime() !== updated!.startsAt.getTime() ||
    phase.endsAt.getTime() !== updated!.endsAt.getTime()
  if (schedule.status === 'published' && moved) {
    const rooms = await phaseAudience(ctx.db, schedule.xiaoquId, updated!.buildingIds)
    const text = `【施工计划变更 ${schedule.number}】第 ${seq} 阶段"${updated!.name}"由 ${span(phase)} 改为 ${span(updated!)}。`
    await postToRooms(
      ctx,
      rooms,
      text,
      `schedule:${schedule.number}:phase:${seq}:change:${now.getTime()}`,
      `schedule:${schedule.number}:change`,
    )
  }
  return updated!
}

/** When the eve reminder of a phase starting at `startsAt` is due: the configured time on the day before. */
export function eveOf(startsAt: Date, eve: { hour: number; minute: number }) {
  const dayBefore = new Date(fromShanghai(shanghaiDate(startsAt)).getTime() - 86_400_000)
  return fromShanghai(shanghaiDate(dayBefore), eve.hour, eve.minute)
}

/**
 * The job's work: the evening before each phase, remind the affected buildings. The dedupe key carries
 * the phase's start, so a moved phase is reminded again for its new date, and never twice for one date.
 */
export async function remindPhaseEves(ctx: Ctx) {
  const now = ctx.clock.now()
  const upcoming = await ctx.db
    .select({ phase: constructionPhases, schedule: constructionSchedules })
    .from(constructionPhases)
    .innerJoin(constructionSchedules, eq(constructionSchedules.id, constructionPhases.scheduleId))
    .where(
      and(
        eq(constructionSchedules.status, 'published'),
        gt(constructionPhases.startsAt, now),
        lte(constructionPhases.startsAt, new Date(now.getTime() + 2 * 86_400_000)),
      ),
    )
    // A schedule being cancelled right now is skipped this tick, and seen as cancelled on the next.
    .for('update', { of: constructionSchedules, skipLocked: true })
  let written = 0
  for (const { phase, schedule } of upcoming) {
    if (now < eveOf(phase.startsAt, ctx.config.phaseEve) || now >= phase.startsAt) continue
    const rooms = await phaseAudience(ctx.db, schedule.xiaoquId, phase.buildingIds)
    const names = await buildingNames(ctx.db, phase.buildingIds)
    const impacts = phase.impacts.length ? `，期间${phase.impacts.join('、')}` : ''
    const text = `【施工提醒 ${schedule.number}】明天起 ${[...names.values()].join('、')} 开始"${phase.name}"（${span(phase)}）${impacts}。${phase.note ?? ''}请提前做好准备。`
    await postToRooms(
      ctx,
      rooms,
      text,
      `schedule:${schedule.number}:phase:${phase.seq}:eve:${phase.startsAt.toISOString()}`,
      `schedule:${schedule.number}:eve`,
    )
    written += rooms.length
  }
  return written
}
