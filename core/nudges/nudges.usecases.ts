import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { chatGroups, organisations, staff, type WatchKind, watches } from '../../db/schema'
import { enqueueMessages, type OutgoingMessage } from '../outbox/outbox.repository'
import { type StaffRow, scopeCovers } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { formatShanghai } from '../shared/time'
import { shanghaiDate } from '../sla/calendar'
import { maxLevel, nextRung, rungAt, type WatchRow } from './watches'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }

export const levelNames = { 0: '提醒', 1: '催办', 2: '催办·抄送', 3: '通报' } as const
type Level = keyof typeof levelNames

/** Only one instance runs a tick: the others find the lock taken and leave it. */
const scanLockKey = 7_310_001
/** A tick handles at most this many items; the rest are next minute's. */
const batchSize = 5_000

/**
 * One tick of the nudge engine, in the caller's transaction. It reads only the deadlines whose next rung
 * has come (a partial index on `watches.next_at`, so the cost follows what is due, not what is open),
 * claims each (item, level) with ON CONFLICT DO NOTHING so it is sent once ever even if two ticks race,
 * writes the messages (or digest lines) and moves each item to its next rung — all set-based, one
 * statement each. Non-working days are skipped unless the item is urgent; quiet hours are the outbox's.
 * Returns how many (item, level) nudges it sent.
 */
export async function scanOverdue(ctx: Ctx) {
  const now = ctx.clock.now()
  const [lock] = rowsOf<{ ok: boolean }>(
    await ctx.db.execute(sql`select pg_try_advisory_xact_lock(${scanLockKey}) as ok`),
  )
  if (!lock?.ok) return 0
  const workingDay = ctx.calendar.isWorkingDay(shanghaiDate(now))
  const due = await ctx.db
    .select()
    .from(watches)
    .where(
      and(
        lte(watches.nextAt, now),
        sql`${watches.nextAt} is not null`,
        workingDay ? undefined : eq(watches.urgent, true),
      ),
    )
    .orderBy(asc(watches.nextAt))
    .limit(batchSize)
  if (due.length === 0) return 0

  const rungs: { w: WatchRow; level: Level; at: Date }[] = []
  const moves: { id: number; nextLevel: number; nextAt: string | null }[] = []
  for (const w of due) {
    let level = w.nextLevel
    for (; level <= maxLevel; level++) {
      const at = rungAt(ctx, w, level)
      if (!at) continue
      if (at > now) break
      // A reminder that comes after the deadline has passed says nothing the owner's nudge will not.
      if (level === 0 && now >= w.dueAt) continue
      rungs.push({ w, level: level as Level, at })
    }
    const next = nextRung(ctx, w, level)
    moves.push({ id: w.id, nextLevel: next.nextLevel, nextAt: next.nextAt?.toISOString() ?? null })
  }

  const claimed = rowsOf<{ id: number; item_kind: string; item_id: number; level: number }>(
    await ctx.db.execute(sql`
      insert into nudges (item_kind, item_id, level, sent_at)
      select x.k, x.i, x.l, ${now.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(rungs.map((r) => ({ k: r.w.itemKind, i: r.w.itemId, l: r.level })))}::jsonb)
        as x(k text, i int, l int)
      on conflict (item_kind, item_id, level) do nothing
      returning id, item_kind, item_id, level`),
  )
  const nudgeIds = new Map(claimed.map((n) => [`${n.item_kind}:${n.item_id}:${n.level}`, n.id]))
  const fresh = rungs.filter((r) => nudgeIds.has(`${r.w.itemKind}:${r.w.itemId}:${r.level}`))

  const audiences = await loadAudiences(
    ctx.db,
    fresh.map((r) => r.w),
  )
  const messages: OutgoingMessage[] = []
  const digestLines: { staffId: number; nudgeId: number; line: string; urgent: boolean }[] = []
  for (const r of fresh) {
    const { w, level } = r
    const owner = audiences.ownerName(w)
    const text = nudgeText(level, w, owner)
    const key = `nudge:${w.itemKind}:${w.itemId}:${level}`
    const priority = w.urgent ? ('urgent' as const) : ('normal' as const)
    const { people, rooms } = audiences.recipients(level, w)
    for (const person of people) {
      // Leadership always gets a digest; an officer who chose one gets it too, except for urgent items.
      if (level === 3 || (person.digest && !w.urgent)) {
        const nudgeId = nudgeIds.get(`${w.itemKind}:${w.itemId}:${level}`)!
        digestLines.push({ staffId: person.id, nudgeId, line: digestLine(level, w, owner), urgent: w.urgent })
        continue
      }
      messages.push({
        conversationId: person.wechatId!,
        isRoom: false,
        text,
        dedupeKey: `${key}:staff:${person.id}`,
        priority,
      })
    }
    for (const roomId of rooms) {
      messages.push({
        conversationId: roomId,
        isRoom: true,
        text,
        dedupeKey: `${key}:room:${roomId}`,
        priority,
      })
    }
  }
  await enqueueMessages(ctx.db, messages, now, { maxChars: ctx.config.send.maxChars })
  if (digestLines.length > 0) {
    await ctx.db.execute(sql`
      insert into digest_items (staff_id, nudge_id, line, urgent, created_at)
      select x.s, x.n, x.line, x.u, ${now.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(digestLines.map((d) => ({ s: d.staffId, n: d.nudgeId, line: d.line, u: d.urgent })))}::jsonb)
        as x(s int, n int, line text, u boolean)
      on conflict (staff_id, nudge_id) do nothing`)
  }
  await ctx.db.execute(sql`
    update watches w set next_level = x.l, next_at = x.at
    from jsonb_to_recordset(${JSON.stringify(moves.map((m) => ({ id: m.id, l: m.nextLevel, at: m.nextAt })))}::jsonb)
      as x(id int, l int, at timestamptz)
    where w.id = x.id`)
  return fresh.length
}

interface Audience {
  people: StaffRow[]
  rooms: string[]
}

/**
 * Everyone a tick may need, in four small queries whatever the item count: the owners and members of
 * owning organisations, their supervisors, street leadership (officers with nobody above them), and the
 * officers' groups.
 */
async function loadAudiences(db: DbOrTx, items: readonly WatchRow[]) {
  const ownerIds = [...new Set(items.flatMap((w) => (w.ownerStaffId ? [w.ownerStaffId] : [])))]
  const orgIds = [...new Set(items.flatMap((w) => (w.ownerOrgId ? [w.ownerOrgId] : [])))]
  const people =
    ownerIds.length + orgIds.length === 0
      ? []
      : await db
          .select()
          .from(staff)
          .where(
            or(
              ownerIds.length ? inArray(staff.id, ownerIds) : undefined,
              orgIds.length ? inArray(staff.organisationId, orgIds) : undefined,
            ),
          )
  const byId = new Map(people.map((p) => [p.id, p]))
  const supervisorIds = [...new Set(people.flatMap((p) => (p.supervisorId ? [p.supervisorId] : [])))]
  const missing = supervisorIds.filter((id) => !byId.has(id))
  if (missing.length)
    for (const p of await db.select().from(staff).where(inArray(staff.id, missing))) byId.set(p.id, p)
  const orgs = orgIds.length
    ? await db
        .select({ id: organisations.id, name: organisations.name })
        .from(organisations)
        .where(inArray(organisations.id, orgIds))
    : []
  const orgNames = new Map(orgs.map((o) => [o.id, o.name]))
  const leaders = items.length
    ? await db
        .select()
        .from(staff)
        .where(and(eq(staff.role, 'officer'), isNull(staff.supervisorId), eq(staff.active, true)))
    : []
  const officerGroups = items.length
    ? await db
        .select({ roomId: chatGroups.roomId, scopePath: chatGroups.scopePath })
        .from(chatGroups)
        .where(eq(chatGroups.kind, 'officers'))
    : []
  const reachable = (p: StaffRow | undefined): p is StaffRow => !!p && p.active && !!p.wechatId
  const groupsFor = (path: string) =>
    officerGroups.filter((g) => g.scopePath === null || path.startsWith(g.scopePath)).map((g) => g.roomId)

  return {
    ownerName(w: WatchRow) {
      if (w.ownerStaffId) return byId.get(w.ownerStaffId)?.name ?? null
      if (w.ownerOrgId) return orgNames.get(w.ownerOrgId) ?? null
      return null
    },
    /** People bound to WeChat privately; when a rung reaches nobody that way, the officers' groups. */
    recipients(level: Level, w: WatchRow): Audience {
      const owner = w.ownerStaffId ? byId.get(w.ownerStaffId) : undefined
      let wanted: (StaffRow | undefined)[] = []
      if (level <= 1) {
        wanted = owner ? [owner] : w.ownerOrgId ? people.filter((p) => p.organisationId === w.ownerOrgId) : []
      } else if (level === 2) {
        wanted = owner?.supervisorId ? [byId.get(owner.supervisorId)] : []
      } else {
        wanted = leaders.filter((l) => scopeCovers(l.scopePath, w.scopePath))
      }
      const found = wanted.filter(reachable)
      if (found.length > 0) return { people: found, rooms: [] }
      return { people: [], rooms: groupsFor(w.scopePath) }
    },
  }
}

const clockWords: Record<WatchKind, { what: string; action: (ref: string) => string }> = {
  'request-response': { what: '响应', action: (ref) => `受理：发"受理 ${ref}"` },
  'request-resolution': { what: '办结', action: (ref) => `办结：发"办结 ${ref} 办理结果"` },
  task: { what: '完成', action: (ref) => `完成：发"完成 ${ref}"` },
}

function nudgeText(level: Level, w: WatchRow, ownerName: string | null) {
  const { what, action } = clockWords[w.itemKind]
  const holder = ownerName ? `（承办：${ownerName}）` : '（尚未指派承办人）'
  const head = `【${levelNames[level]}】${w.label} ${w.placeName}${holder}`
  if (level === 0) return `${head}\n将于 ${formatShanghai(w.dueAt)} 到${what}时限，请按时${action(w.ref)}。`
  const body = `已超过${what}时限 ${formatShanghai(w.dueAt)}。`
  const ask =
    level === 1 ? `请尽快${action(w.ref)}。` : level === 2 ? '请督促承办人尽快办理。' : '请关注并协调解决。'
  return `${head}\n${body}${ask}`
}

function digestLine(level: Level, w: WatchRow, ownerName: string | null) {
  const { what } = clockWords[w.itemKind]
  const when = level === 0 ? `${formatShanghai(w.dueAt)} 到期` : `${what}时限 ${formatShanghai(w.dueAt)} 已过`
  return `【${levelNames[level]}】${w.label} ${w.placeName}（承办：${ownerName ?? '未指派'}）${when}`
}
