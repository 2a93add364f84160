import { sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import type { WatchKind } from '../../db/schema'
import { outboxParts } from '../outbox/outbox.repository'
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

/** What a tick reads of a watch. */
type DueWatch = Pick<
  WatchRow,
  | 'id'
  | 'itemKind'
  | 'itemId'
  | 'label'
  | 'ref'
  | 'scopePath'
  | 'placeName'
  | 'ownerStaffId'
  | 'ownerOrgId'
  | 'dueAt'
  | 'remindAt'
  | 'urgent'
  | 'snoozedUntil'
  | 'nextLevel'
>

/**
 * One tick of the nudge engine, in the caller's transaction. It reads only the deadlines whose next rung
 * has come (a partial index on `watches.next_at`, so the cost follows what is due, not what is open),
 * works out every due rung's messages and digest lines, then writes everything in one statement: each
 * (item, level) is claimed with ON CONFLICT DO NOTHING, so it is sent once ever even if two ticks race,
 * only the rungs it claims get their messages and digest lines, and every item moves to its next rung.
 * Non-working days are skipped unless the item is urgent; quiet hours are the outbox's.
 * Returns how many (item, level) nudges it sent.
 */
export async function scanOverdue(ctx: Ctx) {
  const now = ctx.clock.now()
  const at = now.toISOString()
  // The key as a literal: a statement without parameters is one round trip.
  const [lock] = rowsOf<{ ok: boolean }>(
    await ctx.db.execute(sql.raw(`select pg_try_advisory_xact_lock(${scanLockKey}) as ok`)),
  )
  if (!lock?.ok) return 0
  const workingDay = ctx.calendar.isWorkingDay(shanghaiDate(now))
  const due = await loadDue(ctx.db, at, workingDay)
  if (due.length === 0) return 0

  const rungs: { w: DueWatch; level: Level }[] = []
  const moves: { id: number; l: number; at: string | null }[] = []
  for (const w of due) {
    let level = w.nextLevel
    for (; level <= maxLevel; level++) {
      const at = rungAt(ctx, w, level)
      if (!at) continue
      if (at > now) break
      // A reminder that comes after the deadline has passed says nothing the owner's nudge will not.
      if (level === 0 && now >= w.dueAt) continue
      rungs.push({ w, level: level as Level })
    }
    const next = nextRung(ctx, w, level)
    moves.push({ id: w.id, l: next.nextLevel, at: next.nextAt?.toISOString() ?? null })
  }

  // Every rung's messages and digest lines, by rung number n: the statement below keeps those of the rungs
  // it claims. Messages are split into parts by outboxParts, as enqueueMessages does (each part with its own
  // dedupe key), and written in the same statement as the claim.
  const audiences = await loadAudiences(
    ctx.db,
    rungs.map((r) => r.w),
  )
  const messages: { n: number; c: string; r: number; t: string; k: string; p: string }[] = []
  const digestLines: { n: number; s: number; line: string; u: boolean }[] = []
  rungs.forEach(({ w, level }, n) => {
    const owner = audiences.ownerName(w)
    const text = nudgeText(level, w, owner)
    const key = `nudge:${w.itemKind}:${w.itemId}:${level}`
    const priority = w.urgent ? 'urgent' : 'normal'
    const send = (conversationId: string, isRoom: boolean, dedupeKey: string) => {
      for (const part of outboxParts(text, dedupeKey, ctx.config.send.maxChars)) {
        messages.push({
          n,
          c: conversationId,
          r: isRoom ? 1 : 0,
          t: part.text,
          k: part.dedupeKey!,
          p: priority,
        })
      }
    }
    const { people, rooms } = audiences.recipients(level, w)
    for (const person of people) {
      // Leadership always gets a digest; an officer who chose one gets it too, except for urgent items.
      if (level === 3 || (person.digest && !w.urgent)) {
        digestLines.push({ n, s: person.id, line: digestLine(level, w, owner), u: w.urgent })
        continue
      }
      send(person.wechatId!, false, `${key}:staff:${person.id}`)
    }
    for (const roomId of rooms) send(roomId, true, `${key}:room:${roomId}`)
  })

  // One statement and one round trip for the writes, the rows as JSON parameters (json, not jsonb: each is
  // read once, and parsing jsonb costs more). Every item moves on whether or not its rungs were claimed
  // here; messages keep their order (delivery order per group is by id), digest lines too.
  const [result] = rowsOf<{ sent: number }>(
    await ctx.db.execute(sql`
      with moved as (
        update watches w set next_level = x.l, next_at = x.at
        from json_to_recordset(${JSON.stringify(moves)}::json) as x(id int, l int, at timestamptz)
        where w.id = x.id
      ),
      rungs as (
        select * from rows from (
          json_to_recordset(${JSON.stringify(rungs.map((r) => ({ k: r.w.itemKind, i: r.w.itemId, l: r.level })))}::json)
            as (k text, i int, l int)
        ) with ordinality as x(k, i, l, n)
      ),
      claimed as (
        insert into nudges (item_kind, item_id, level, sent_at)
        select k, i, l, ${at}::timestamptz from rungs order by n
        on conflict (item_kind, item_id, level) do nothing
        returning id, item_kind, item_id, level
      ),
      fresh as (
        select r.n - 1 as n, c.id from rungs r join claimed c on c.item_kind = r.k and c.item_id = r.i and c.level = r.l
      ),
      messages as (
        insert into outbox (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch, created_at)
        select m.c, m.r, m.t, '[]'::jsonb, m.k, ${at}::timestamptz, m.p, null, ${at}::timestamptz
        from rows from (
          json_to_recordset(${JSON.stringify(messages)}::json) as (n int, c text, r int, t text, k text, p text)
        ) with ordinality as m(n, c, r, t, k, p, o)
        where m.n in (select n from fresh)
        order by m.o
        on conflict (dedupe_key) do nothing
      ),
      digest as (
        insert into digest_items (staff_id, nudge_id, line, urgent, created_at)
        select d.s, f.id, d.line, d.u, ${at}::timestamptz
        from rows from (
          json_to_recordset(${JSON.stringify(digestLines)}::json) as (n int, s int, line text, u boolean)
        ) with ordinality as d(n, s, line, u, o)
        join fresh f on f.n = d.n
        order by d.o
        on conflict (staff_id, nudge_id) do nothing
      )
      select count(*)::int as sent from fresh`),
  )
  return result?.sent ?? 0
}

/**
 * The watches whose next rung has come, oldest first, through the partial index on `next_at`. Raw SQL and
 * only the columns a tick uses: at a thousand rows, mapping every column of every row is a good part of
 * the tick.
 */
async function loadDue(db: DbOrTx, at: string, workingDay: boolean): Promise<DueWatch[]> {
  const rows = rowsOf<{
    id: number
    item_kind: WatchKind
    item_id: number
    label: string
    ref: string
    scope_path: string
    place_name: string
    owner_staff_id: number | null
    owner_org_id: number | null
    due_at: string | Date
    remind_at: string | Date | null
    urgent: boolean
    snoozed_until: string | Date | null
    next_level: number
  }>(
    await db.execute(sql`
      select id, item_kind, item_id, label, ref, scope_path, place_name, owner_staff_id, owner_org_id,
             due_at, remind_at, urgent, snoozed_until, next_level
      from watches
      where next_at <= ${at}::timestamptz and next_at is not null${workingDay ? sql`` : sql` and urgent`}
      order by next_at
      limit ${batchSize}::int`),
  )
  // postgres.js (through drizzle) gives instants as text, PGlite as Dates: both make the same Date.
  return rows.map((r) => ({
    id: r.id,
    itemKind: r.item_kind,
    itemId: r.item_id,
    label: r.label,
    ref: r.ref,
    scopePath: r.scope_path,
    placeName: r.place_name,
    ownerStaffId: r.owner_staff_id,
    ownerOrgId: r.owner_org_id,
    dueAt: new Date(r.due_at),
    remindAt: r.remind_at === null ? null : new Date(r.remind_at),
    urgent: r.urgent,
    snoozedUntil: r.snoozed_until === null ? null : new Date(r.snoozed_until),
    nextLevel: r.next_level,
  }))
}

type Person = Pick<
  StaffRow,
  'id' | 'name' | 'organisationId' | 'supervisorId' | 'wechatId' | 'active' | 'digest' | 'scopePath'
>

interface Audience {
  people: Person[]
  rooms: string[]
}

const json = <T>(value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as T

/**
 * Everyone a tick may need, in one query whatever the item count (none without items): the owners and
 * members of owning organisations, their supervisors, the owning organisations' names, street leadership
 * (officers with nobody above them), and the officers' groups.
 */
async function loadAudiences(db: DbOrTx, items: readonly DueWatch[]) {
  const ownerIds = [...new Set(items.flatMap((w) => (w.ownerStaffId ? [w.ownerStaffId] : [])))]
  const orgIds = [...new Set(items.flatMap((w) => (w.ownerOrgId ? [w.ownerOrgId] : [])))]
  const none = { people: '[]', supervisors: '[]', orgs: '[]', leaders: '[]', groups: '[]' }
  const person = sql`json_build_object('id', s.id, 'name', s.name, 'organisationId', s.organisation_id,
    'supervisorId', s.supervisor_id, 'wechatId', s.wechat_id, 'active', s.active, 'digest', s.digest,
    'scopePath', s.scope_path)`
  const [row] = rowsOf<{
    people: unknown
    supervisors: unknown
    orgs: unknown
    leaders: unknown
    groups: unknown
  }>(
    items.length === 0
      ? [none]
      : await db.execute(sql`
      with owners as (select value::int as id from json_array_elements_text(${JSON.stringify(ownerIds)}::json)),
        orgs as (select value::int as id from json_array_elements_text(${JSON.stringify(orgIds)}::json)),
        people as (
          select * from staff
          where id in (select id from owners) or organisation_id in (select id from orgs))
      select
        (select coalesce(json_agg(${person} order by s.id), '[]') from people s) as people,
        (select coalesce(json_agg(${person} order by s.id), '[]') from staff s
          where s.id in (select supervisor_id from people) and s.id not in (select id from people)) as supervisors,
        (select coalesce(json_agg(json_build_object('id', o.id, 'name', o.name)), '[]') from organisations o
          where o.id in (select id from orgs)) as orgs,
        (select coalesce(json_agg(${person} order by s.id), '[]') from staff s
          where s.role = 'officer' and s.supervisor_id is null and s.active) as leaders,
        (select coalesce(json_agg(json_build_object('roomId', g.room_id, 'scopePath', g.scope_path) order by g.id), '[]')
          from chat_groups g where g.kind = 'officers') as groups`),
  )
  const people = json<Person[]>(row!.people)
  const byId = new Map(people.map((p) => [p.id, p]))
  for (const p of json<Person[]>(row!.supervisors)) byId.set(p.id, p)
  const orgNames = new Map(json<{ id: number; name: string }[]>(row!.orgs).map((o) => [o.id, o.name]))
  const leaders = json<Person[]>(row!.leaders)
  const officerGroups = json<{ roomId: string; scopePath: string | null }[]>(row!.groups)
  const reachable = (p: Person | undefined): p is Person => !!p && p.active && !!p.wechatId
  // Items of a tick share few places and owners: each list is worked out once.
  const memo = <K, V>(f: (key: K) => V) => {
    const cache = new Map<K, V>()
    return (key: K) => {
      if (!cache.has(key)) cache.set(key, f(key))
      return cache.get(key)!
    }
  }
  const groupsFor = memo((path: string) =>
    officerGroups.filter((g) => g.scopePath === null || path.startsWith(g.scopePath)).map((g) => g.roomId),
  )
  const membersOf = memo((orgId: number) => people.filter((p) => p.organisationId === orgId))
  const leadersOver = memo((path: string) => leaders.filter((l) => scopeCovers(l.scopePath, path)))

  return {
    ownerName(w: DueWatch) {
      if (w.ownerStaffId) return byId.get(w.ownerStaffId)?.name ?? null
      if (w.ownerOrgId) return orgNames.get(w.ownerOrgId) ?? null
      return null
    },
    /** People bound to WeChat privately; when a rung reaches nobody that way, the officers' groups. */
    recipients(level: Level, w: DueWatch): Audience {
      const owner = w.ownerStaffId ? byId.get(w.ownerStaffId) : undefined
      let wanted: (Person | undefined)[] = []
      if (level <= 1) {
        wanted = owner ? [owner] : w.ownerOrgId ? membersOf(w.ownerOrgId) : []
      } else if (level === 2) {
        wanted = owner?.supervisorId ? [byId.get(owner.supervisorId)] : []
      } else {
        wanted = leadersOver(w.scopePath)
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

function nudgeText(level: Level, w: DueWatch, ownerName: string | null) {
  const { what, action } = clockWords[w.itemKind]
  const holder = ownerName ? `（承办：${ownerName}）` : '（尚未指派承办人）'
  const head = `【${levelNames[level]}】${w.label} ${w.placeName}${holder}`
  if (level === 0) return `${head}\n将于 ${formatShanghai(w.dueAt)} 到${what}时限，请按时${action(w.ref)}。`
  const body = `已超过${what}时限 ${formatShanghai(w.dueAt)}。`
  const ask =
    level === 1 ? `请尽快${action(w.ref)}。` : level === 2 ? '请督促承办人尽快办理。' : '请关注并协调解决。'
  return `${head}\n${body}${ask}`
}

function digestLine(level: Level, w: DueWatch, ownerName: string | null) {
  const { what } = clockWords[w.itemKind]
  const when = level === 0 ? `${formatShanghai(w.dueAt)} 到期` : `${what}时限 ${formatShanghai(w.dueAt)} 已过`
  return `【${levelNames[level]}】${w.label} ${w.placeName}（承办：${ownerName ?? '未指派'}）${when}`
}
