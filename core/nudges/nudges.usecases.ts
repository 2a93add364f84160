import { and, eq, inArray, isNull, lt, or } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { nudges, requests, staff, xiaoqu } from '../../db/schema'
import { enqueueMessages, type OutgoingMessage } from '../outbox/outbox.repository'
import { officerGroupsCovering } from '../requests/requests.repository'
import { type StaffRow, scopeCovers } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { formatShanghai } from '../shared/time'
import { shanghaiDate } from '../sla/calendar'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }

const levelNames = { 1: '催办', 2: '催办·抄送', 3: '通报' } as const
type Level = keyof typeof levelNames

/**
 * One scan tick: finds open requests past their response or resolution deadline (through the partial
 * indexes, so the cost follows the overdue items, not all requests), works out which rungs of the ladder
 * are due — the owner at the deadline, their supervisor N working days later, street leadership M working
 * days after that — and records each (item, level) once with ON CONFLICT DO NOTHING before telling anyone.
 * Non-working days are skipped unless the request is urgent; quiet hours are the outbox's business.
 */
export async function scanOverdue(ctx: Ctx) {
  const now = ctx.clock.now()
  const workingDay = ctx.calendar.isWorkingDay(shanghaiDate(now))
  const rows = await ctx.db
    .select({ request: requests, place: xiaoqu, assignee: staff })
    .from(requests)
    .innerJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .leftJoin(staff, eq(staff.id, requests.assigneeStaffId))
    .where(
      or(
        and(eq(requests.status, 'submitted'), lt(requests.responseDueAt, now)),
        and(inArray(requests.status, ['submitted', 'accepted']), lt(requests.resolutionDueAt, now)),
      ),
    )
    .limit(10_000)
  const { supervisorAfterDays, leadersAfterDays } = ctx.config.nudges
  const candidates: { row: (typeof rows)[number]; kind: string; due: Date; level: Level }[] = []
  for (const row of rows) {
    if (!workingDay && row.request.urgency !== 'urgent') continue
    const late = row.request.status === 'submitted' && row.request.responseDueAt < now
    const kind = late ? 'request-response' : 'request-resolution'
    const due = late ? row.request.responseDueAt : row.request.resolutionDueAt
    const supervisorAt = ctx.calendar.addWorkingDays(due, supervisorAfterDays)
    const leadersAt = ctx.calendar.addWorkingDays(supervisorAt, leadersAfterDays)
    candidates.push({ row, kind, due, level: 1 })
    if (now >= supervisorAt) candidates.push({ row, kind, due, level: 2 })
    if (now >= leadersAt) candidates.push({ row, kind, due, level: 3 })
  }
  if (candidates.length === 0) return 0
  const claimed = await ctx.db
    .insert(nudges)
    .values(
      candidates.map((c) => ({ itemKind: c.kind, itemId: c.row.request.id, level: c.level, sentAt: now })),
    )
    .onConflictDoNothing()
    .returning({ itemKind: nudges.itemKind, itemId: nudges.itemId, level: nudges.level })
  const claimedKeys = new Set(claimed.map((n) => `${n.itemKind}:${n.itemId}:${n.level}`))
  const fresh = candidates.filter((c) => claimedKeys.has(`${c.kind}:${c.row.request.id}:${c.level}`))
  const leaders = await streetLeaders(ctx.db)
  const messages: OutgoingMessage[] = []
  // Many late requests share a holder and a xiaoqu: look each audience up once per tick.
  const audiences = new Map<string, Promise<Audience>>()
  for (const c of fresh) {
    const audienceKey = `${c.level}:${c.row.assignee?.id ?? '-'}:${c.row.place.path}`
    let audience = audiences.get(audienceKey)
    if (!audience) {
      audience = recipientsOf(ctx.db, c.level, c.row.assignee, c.row.place.path, leaders)
      audiences.set(audienceKey, audience)
    }
    const recipients = await audience
    const text = nudgeText(
      c.level,
      c.row.request,
      c.row.place.name,
      c.row.assignee?.name ?? null,
      c.kind,
      c.due,
    )
    const key = `nudge:${c.kind}:${c.row.request.id}:${c.level}`
    const urgent = c.row.request.urgency === 'urgent'
    for (const person of recipients.people) {
      messages.push({
        conversationId: person.wechatId!,
        isRoom: false,
        text,
        dedupeKey: `${key}:staff:${person.id}`,
        priority: urgent ? 'urgent' : 'normal',
      })
    }
    for (const roomId of recipients.rooms) {
      messages.push({
        conversationId: roomId,
        isRoom: true,
        text,
        dedupeKey: `${key}:room:${roomId}`,
        priority: urgent ? 'urgent' : 'normal',
      })
    }
  }
  await enqueueMessages(ctx.db, messages, now, { maxChars: ctx.config.send.maxChars })
  return fresh.length
}

/** Street leadership: officers with nobody above them. */
function streetLeaders(db: DbOrTx) {
  return db
    .select()
    .from(staff)
    .where(and(eq(staff.role, 'officer'), isNull(staff.supervisorId), eq(staff.active, true)))
}

type Audience = { people: StaffRow[]; rooms: string[] }

/** Whom a rung reaches: people bound to WeChat privately, otherwise the officers' groups of the xiaoqu. */
async function recipientsOf(
  db: DbOrTx,
  level: Level,
  assignee: StaffRow | null,
  path: string,
  leaders: StaffRow[],
): Promise<Audience> {
  let people: StaffRow[] = []
  if (level === 1 && assignee) people = [assignee]
  if (level === 2 && assignee?.supervisorId) {
    people = await db.select().from(staff).where(eq(staff.id, assignee.supervisorId))
  }
  if (level === 3) people = leaders.filter((l) => scopeCovers(l.scopePath, path))
  const reachable = people.filter((p) => p.wechatId && p.active)
  if (reachable.length > 0) return { people: reachable, rooms: [] as string[] }
  return { people: [], rooms: (await officerGroupsCovering(db, path)).map((g) => g.roomId) }
}

function nudgeText(
  level: Level,
  request: typeof requests.$inferSelect,
  placeName: string,
  assigneeName: string | null,
  kind: string,
  due: Date,
) {
  const what = kind === 'request-response' ? '响应' : '办结'
  const holder = assigneeName ? `（承办人：${assigneeName}）` : '（尚未指派承办人）'
  const head = `【${levelNames[level]}】诉求 ${request.number}【${request.category}】${placeName}${holder}`
  const body = `已超过${what}时限 ${formatShanghai(due)}。`
  const ask =
    level === 1
      ? `请尽快${what === '响应' ? `受理：发"受理 ${request.number}"` : `办结：发"办结 ${request.number} 办理结果"`}。`
      : level === 2
        ? '请督促承办人尽快办理。'
        : '请关注并协调解决。'
  return `${head}\n${body}${ask}`
}
