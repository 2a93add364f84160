import { and, eq, inArray, isNotNull, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { type WatchKind, watches } from '../../db/schema'
import type { Deps } from '../shared/deps'

export type WatchRow = typeof watches.$inferSelect
type LadderCtx = Pick<Deps, 'config' | 'calendar'>

/** What an item tells the engine about one of its deadlines. */
export interface WatchSpec {
  itemKind: WatchKind
  itemId: number
  label: string
  ref: string
  scopePath: string
  placeName: string
  ownerStaffId: number | null
  ownerOrgId: number | null
  dueAt: Date
  remindAt: Date | null
  urgent: boolean
  /** Resolved, accepted (for the response clock), done or cancelled: the clock stops. */
  closed: boolean
}

export const maxLevel = 3

/**
 * When rung `level` of an item's ladder falls due: 0 the optional reminder before the deadline, 1 the owner
 * at the deadline, 2 their supervisor N working days later, 3 leadership M working days after that.
 */
export function rungAt(
  ctx: LadderCtx,
  w: { dueAt: Date; remindAt: Date | null },
  level: number,
): Date | null {
  const { supervisorAfterDays, leadersAfterDays } = ctx.config.nudges
  if (level === 0) return w.remindAt && w.remindAt < w.dueAt ? w.remindAt : null
  if (level === 1) return w.dueAt
  const supervisorAt = ctx.calendar.addWorkingDays(w.dueAt, supervisorAfterDays)
  if (level === 2) return supervisorAt
  return ctx.calendar.addWorkingDays(supervisorAt, leadersAfterDays)
}

/** The first rung at or after `level` that exists, and when it falls due (never before a snooze ends). */
export function nextRung(
  ctx: LadderCtx,
  w: { dueAt: Date; remindAt: Date | null; snoozedUntil: Date | null },
  level: number,
): { nextLevel: number; nextAt: Date | null } {
  for (let l = level; l <= maxLevel; l++) {
    const at = rungAt(ctx, w, l)
    if (!at) continue
    const nextAt = w.snoozedUntil && w.snoozedUntil > at ? w.snoozedUntil : at
    return { nextLevel: l, nextAt }
  }
  return { nextLevel: maxLevel + 1, nextAt: null }
}

/**
 * The row `syncWatches` writes for an item, given its current watch (`old`; none for a new item, whose
 * ladder then starts at its first rung).
 */
export function watchRow(ctx: LadderCtx, s: WatchSpec, old: WatchRow | undefined, now: Date) {
  const moved =
    !old ||
    old.closedAt !== null ||
    old.dueAt.getTime() !== s.dueAt.getTime() ||
    (old.remindAt?.getTime() ?? null) !== (s.remindAt?.getTime() ?? null)
  const snoozedUntil = old?.snoozedUntil ?? null
  const rung = s.closed
    ? { nextLevel: old?.nextLevel ?? 1, nextAt: null }
    : nextRung(ctx, { ...s, snoozedUntil }, moved ? 0 : (old?.nextLevel ?? 0))
  return {
    itemKind: s.itemKind,
    itemId: s.itemId,
    label: s.label,
    ref: s.ref,
    scopePath: s.scopePath,
    placeName: s.placeName,
    ownerStaffId: s.ownerStaffId,
    ownerOrgId: s.ownerOrgId,
    dueAt: s.dueAt,
    remindAt: s.remindAt,
    urgent: s.urgent,
    snoozedUntil,
    closedAt: s.closed ? (old?.closedAt ?? now) : null,
    nextLevel: rung.nextLevel,
    nextAt: rung.nextAt,
  }
}

/**
 * Brings the engine's rows in step with their items, in the items' transaction. A new or moved deadline
 * restarts the ladder from its first rung (rungs already sent are still never sent twice: see nudges);
 * an unchanged one keeps its place; a closed item stops its clock.
 */
export async function syncWatches(db: DbOrTx, ctx: LadderCtx, specs: readonly WatchSpec[], now: Date) {
  if (specs.length === 0) return
  const existing = await db
    .select()
    .from(watches)
    .where(or(...specs.map((s) => and(eq(watches.itemKind, s.itemKind), eq(watches.itemId, s.itemId)))))
  const byKey = new Map(existing.map((w) => [`${w.itemKind}:${w.itemId}`, w]))
  const rows = specs.map((s) => watchRow(ctx, s, byKey.get(`${s.itemKind}:${s.itemId}`), now))
  await db
    .insert(watches)
    .values(rows)
    .onConflictDoUpdate({
      target: [watches.itemKind, watches.itemId],
      set: {
        label: sql`excluded.label`,
        ref: sql`excluded.ref`,
        scopePath: sql`excluded.scope_path`,
        placeName: sql`excluded.place_name`,
        ownerStaffId: sql`excluded.owner_staff_id`,
        ownerOrgId: sql`excluded.owner_org_id`,
        dueAt: sql`excluded.due_at`,
        remindAt: sql`excluded.remind_at`,
        urgent: sql`excluded.urgent`,
        closedAt: sql`excluded.closed_at`,
        nextLevel: sql`excluded.next_level`,
        nextAt: sql`excluded.next_at`,
      },
    })
}

/** Holds an item's nudges until `until` (a reason is the caller's to check and audit). */
export async function snoozeWatches(
  db: DbOrTx,
  ctx: LadderCtx,
  itemKinds: readonly WatchKind[],
  itemId: number,
  until: Date,
) {
  const rows = await db
    .select()
    .from(watches)
    .where(and(inArray(watches.itemKind, [...itemKinds]), eq(watches.itemId, itemId)))
  for (const w of rows) {
    const rung = w.closedAt ? { nextAt: null } : nextRung(ctx, { ...w, snoozedUntil: until }, w.nextLevel)
    await db
      .update(watches)
      .set({ snoozedUntil: until, nextAt: rung.nextAt })
      .where(and(eq(watches.itemKind, w.itemKind), eq(watches.itemId, w.itemId)))
  }
  return rows.filter((w) => !w.closedAt).length
}

/** Open watches on an item, for showing when it will next be chased. */
export function openWatchesOf(db: DbOrTx, itemKinds: readonly WatchKind[], itemId: number) {
  return db
    .select()
    .from(watches)
    .where(
      and(inArray(watches.itemKind, [...itemKinds]), eq(watches.itemId, itemId), isNotNull(watches.nextAt)),
    )
}
