import { sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import type { WatchKind } from '../../db/schema'
import { enqueueMessages, type OutgoingMessage, outboxParts } from '../outbox/outbox.repository'
import { type StaffRow, scopeCovers } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { formatShanghai } from '../shared/time'
import { shanghaiDate } from '../sla/calendar'
import { maxLevel, nextRung, rungAt, type WatchRow } from './watches'

type Ctx = Pick<Deps, 'clock' | 'config' | 'calendar'> & { db: DbOrTx }

/** 0 the reminder before the deadline, 1 the owner, 2 their supervisor, 3 street leadership. */
type Level = 0 | 1 | 2 | 3

/** Only one instance runs a tick: the others find the lock taken and leave it. */
const scanLockKey = 7_310_001
/** A tick handles at most this many items; the rest are next minute's. */
const batchSize = 5_000

/** What a tick reads of a watch, and where the row version it read is (its ctid). */
type DueWatch = { ctid: string } & Pick<
  WatchRow,
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

/** A message lists at most this many items; the rest are counted, and 待办 or the console shows them all. */
const maxItemsPerMessage = 15

/**
 * One tick of the nudge engine, in the caller's transaction. It reads only the deadlines whose next rung
 * has come (a partial index on `watches.next_at`, so the cost follows what is due, not what is open),
 * together with everyone they may reach, and works out every due rung and who hears of it. One statement
 * then writes it all:
 * - every watch moves to its next rung, found by the row version the tick read (its ctid: no index lookup).
 *   A watch changed since, say a deadline extended while the tick ran, is left alone, new schedule and all,
 *   and this tick claims nothing of it; if its schedule did not change it is simply due again next tick;
 * - the rungs of the watches moved are claimed, each (item, level) with ON CONFLICT DO NOTHING, so it is
 *   sent once ever, even after a deadline moves and the ladder starts again, and even if two ticks race;
 * - digest lines are kept for the rungs claimed, and the messages are written when every rung was claimed,
 *   which is the rule. Otherwise a second statement writes the messages of the rungs this tick claimed.
 *
 * A person or group gets one message per tick for each level (and urgency) however many items reach them,
 * not one per item: after a weekend or quiet hours an officer may have dozens come due at once, and dozens
 * of pings are how people learn to mute a bot. Non-working days are skipped unless the item is urgent;
 * quiet hours are the outbox's.
 *
 * The commit does not wait for its WAL flush (synchronous_commit off for this transaction only): a crash in
 * that window loses the whole tick, claims and messages together, and the next tick redoes it. Nothing can
 * have been sent from it meanwhile: the sender sends only rows it has claimed in a commit of its own, which
 * is flushed, and flushing the WAL up to that commit flushes this one first.
 * Returns how many (item, level) nudges it sent.
 */
export async function scanOverdue(ctx: Ctx) {
  const now = ctx.clock.now()
  const at = now.toISOString()
  const workingDay = ctx.calendar.isWorkingDay(shanghaiDate(now))
  const { due, audiences } = await loadDue(ctx.db, now, workingDay)
  if (due.length === 0) return 0

  const rungs: Rung[] = []
  // Each watch's move to its next rung, with the rungs it fires on the way (f).
  const moves: { t: string; l: number; at: string | null; f: number[] }[] = []
  for (const w of due) {
    const fired: number[] = []
    let level = w.nextLevel
    for (; level <= maxLevel; level++) {
      const at = rungAt(ctx, w, level)
      if (!at) continue
      if (at > now) break
      // A reminder that comes after the deadline has passed says nothing the owner's nudge will not.
      if (level === 0 && now >= w.dueAt) continue
      rungs.push({ w, level: level as Level })
      fired.push(level)
    }
    const next = nextRung(ctx, w, level)
    moves.push({
      t: w.ctid,
      l: next.nextLevel,
      at: next.nextAt?.toISOString() ?? null,
      f: fired,
    })
  }

  const { messages, digestLines } = whoHears(rungs, audiences)
  const rows = (list: OutgoingMessage[]) =>
    list.flatMap((m) =>
      outboxParts(m.text, m.dedupeKey!, ctx.config.send.maxChars).map((part) => ({
        c: m.conversationId,
        r: m.isRoom ? 1 : 0,
        t: part.text,
        k: part.dedupeKey!,
        p: m.priority,
      })),
    )
  // The rows travel as JSON parameters (json, not jsonb: each is read once, and parsing jsonb costs more).
  const [result] = rowsOf<{ sent: number; claimed: [string, number, number][] | string | null }>(
    await ctx.db.execute(sql`
      with moved as (
        update watches w set next_level = x.l, next_at = x.at
        from json_to_recordset(${JSON.stringify(moves)}::json) as x(t tid, l int, at timestamptz, f int[])
        where w.ctid = x.t
        returning w.item_kind, w.item_id, x.f
      ),
      claimed as (
        insert into nudges (item_kind, item_id, level, sent_at)
        select m.item_kind, m.item_id, f.level, ${at}::timestamptz
        from moved m cross join lateral unnest(m.f) as f(level)
        on conflict (item_kind, item_id, level) do nothing
        returning item_kind, item_id, level
      ),
      whole as (select count(*)::int as sent, count(*) = ${rungs.length}::int as ok from claimed),
      messages as (
        insert into outbox (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch, created_at)
        select m.c, m.r, m.t, '[]'::jsonb, m.k, ${at}::timestamptz, m.p, null, ${at}::timestamptz
        from rows from (json_to_recordset(${JSON.stringify(rows(messages))}::json) as (c text, r int, t text, k text, p text))
          with ordinality as m(c, r, t, k, p, o)
        where (select ok from whole)
        order by m.o
        on conflict (dedupe_key) do nothing
      ),
      digest as (
        insert into digest_items (staff_id, item_kind, item_id, level, line, urgent, created_at)
        select d.s, d.k, d.i, d.l, d.line, d.u, ${at}::timestamptz
        from rows from (
          json_to_recordset(${JSON.stringify(digestLines)}::json) as (k text, i int, l int, s int, line text, u boolean)
        ) with ordinality as d(k, i, l, s, line, u, o)
        join claimed c on c.item_kind = d.k and c.item_id = d.i and c.level = d.l
        order by d.o
        on conflict (staff_id, item_kind, item_id, level) do nothing
      )
      select w.sent, case when not w.ok then
          (select coalesce(json_agg(json_build_array(item_kind, item_id, level)), '[]') from claimed)
        end as claimed
      from whole w`),
  )
  if (result?.claimed) {
    // A racing tick, or an earlier ladder of the same item, had some of these rungs: tell of this tick's own.
    const ours = new Set(json<[string, number, number][]>(result.claimed).map((c) => c.join(':')))
    const own = rungs.filter((r) => ours.has(`${r.w.itemKind}:${r.w.itemId}:${r.level}`))
    await enqueueMessages(ctx.db, whoHears(own, audiences).messages, now, {
      maxChars: ctx.config.send.maxChars,
    })
  }
  return result?.sent ?? 0
}

type Rung = { w: DueWatch; level: Level }

/**
 * Who hears of each rung, and in which voice: digest lines for those who take the digest, the rest gathered
 * into one message per (conversation, voice, urgency), in the order the items came due. A message's dedupe
 * key is its first rung, its voice and its recipient: a rung is claimed once ever, by one tick.
 */
function whoHears(rungs: readonly Rung[], audiences: Audiences) {
  const digestLines: { k: string; i: number; l: number; s: number; line: string; u: boolean }[] = []
  const gathered = new Map<
    string,
    { conversationId: string; isRoom: boolean; voice: Voice; copiedTo: string | null; rungs: Rung[] }
  >()
  for (const rung of rungs) {
    const { w, level } = rung
    for (const { person, roomId, voice, copiedTo } of audiences.recipients(level, w)) {
      // Leadership always gets a digest; an officer who chose one gets it too, except for urgent items.
      if (person && (voice === 'notify' || (person.digest && !w.urgent))) {
        const line = digestLine(voice, w, audiences.ownerName(w))
        digestLines.push({ k: w.itemKind, i: w.itemId, l: level, s: person.id, line, u: w.urgent })
        continue
      }
      const conversationId = person ? person.wechatId! : roomId!
      const key = `${person ? 'staff' : 'room'}:${conversationId}:${voice}:${w.urgent}`
      const message = gathered.get(key)
      if (message) message.rungs.push(rung)
      else gathered.set(key, { conversationId, isRoom: !person, voice, copiedTo, rungs: [rung] })
    }
  }
  const messages = [...gathered.values()].map(({ conversationId, isRoom, voice, copiedTo, rungs }) => {
    const { w, level } = rungs[0]!
    return {
      conversationId,
      isRoom,
      text: nudgeMessage(voice, copiedTo, rungs, audiences.ownerName),
      dedupeKey: `nudge:${w.itemKind}:${w.itemId}:${level}:${voice}:${isRoom ? 'room' : 'staff'}:${conversationId}`,
      priority: w.urgent ? 'urgent' : 'normal',
    } satisfies OutgoingMessage
  })
  return { messages, digestLines }
}

type Person = Pick<
  StaffRow,
  'id' | 'name' | 'organisationId' | 'supervisorId' | 'wechatId' | 'active' | 'digest' | 'scopePath'
>

interface Audiences {
  ownerName(w: DueWatch): string | null
  recipients(level: Level, w: DueWatch): Recipient[]
}

const json = <T>(value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as T

/**
 * The watches whose next rung has come, oldest first (at most `batchSize`), through the partial index on
 * `next_at`, and everyone they may reach: the owners and members of owning organisations, their
 * supervisors, the owning organisations' names, street leadership (officers with nobody above them) and
 * the officers' groups. One statement and one row of JSON whatever the count: a thousand rows of thirteen
 * columns cost more to decode than the query costs to run. It takes the tick's lock first: only one
 * instance runs a tick, the others find the lock taken and read nothing. Literals, not parameters (the time
 * is an ISO string made here): postgres.js sends a statement with parameters in two round trips.
 */
async function loadDue(db: DbOrTx, now: Date, workingDay: boolean) {
  const person = sql`json_build_object('id', s.id, 'name', s.name, 'organisationId', s.organisation_id,
    'supervisorId', s.supervisor_id, 'wechatId', s.wechat_id, 'active', s.active, 'digest', s.digest,
    'scopePath', s.scope_path)`
  const [row] = rowsOf<AudienceRow & { due: unknown }>(
    await db.execute(sql`
      with lock as materialized (
          select pg_try_advisory_xact_lock(${sql.raw(String(scanLockKey))}) as ok,
                 set_config('synchronous_commit', 'off', true)),
        due as materialized (
          select ctid, * from watches
          where (select ok from lock) and next_at <= ${sql.raw(`'${now.toISOString()}'`)}::timestamptz
            and next_at is not null${workingDay ? sql`` : sql` and urgent`}
          order by next_at
          limit ${sql.raw(String(batchSize))}),
        orgs as (select distinct owner_org_id as id from due where owner_org_id is not null),
        people as (
          select * from staff
          where id in (select owner_staff_id from due) or organisation_id in (select id from orgs))
      select
        (select coalesce(json_agg(json_build_object('ctid', ctid::text, 'itemKind', item_kind, 'itemId', item_id,
            'label', label, 'ref', ref, 'scopePath', scope_path, 'placeName', place_name,
            'ownerStaffId', owner_staff_id, 'ownerOrgId', owner_org_id, 'dueAt', due_at, 'remindAt', remind_at,
            'urgent', urgent, 'snoozedUntil', snoozed_until, 'nextLevel', next_level) order by next_at), '[]')
          from due) as due,
        (select coalesce(json_agg(${person} order by s.id), '[]') from people s) as people,
        (select coalesce(json_agg(${person} order by s.id), '[]') from staff s
          where s.id in (select supervisor_id from people) and s.id not in (select id from people)) as supervisors,
        (select coalesce(json_agg(json_build_object('id', o.id, 'name', o.name)), '[]') from organisations o
          where o.id in (select id from orgs)) as orgs,
        (select coalesce(json_agg(${person} order by s.id), '[]') from staff s
          where exists (select from due) and s.role = 'officer' and s.supervisor_id is null and s.active) as leaders,
        (select coalesce(json_agg(json_build_object('roomId', g.room_id, 'scopePath', g.scope_path) order by g.id), '[]')
          from chat_groups g where exists (select from due) and g.kind = 'officers' and g.state = 'active') as groups`),
  )
  const due = json<DueJson[]>(row!.due).map(
    (w): DueWatch => ({
      ...w,
      dueAt: new Date(w.dueAt),
      remindAt: w.remindAt === null ? null : new Date(w.remindAt),
      snoozedUntil: w.snoozedUntil === null ? null : new Date(w.snoozedUntil),
    }),
  )
  return { due, audiences: audiencesOf(row!) }
}

/** A due watch as the query gives it: instants as ISO text. */
type DueJson = Omit<DueWatch, 'dueAt' | 'remindAt' | 'snoozedUntil'> & {
  dueAt: string
  remindAt: string | null
  snoozedUntil: string | null
}

/** The JSON columns of the tick's read that describe its people and groups. */
type AudienceRow = Record<'people' | 'supervisors' | 'orgs' | 'leaders' | 'groups', unknown>

/** Who is who among the people a tick may reach, and who hears of a rung. */
function audiencesOf(row: AudienceRow): Audiences {
  const people = json<Person[]>(row.people)
  const byId = new Map(people.map((p) => [p.id, p]))
  for (const p of json<Person[]>(row.supervisors)) byId.set(p.id, p)
  const orgNames = new Map(json<{ id: number; name: string }[]>(row.orgs).map((o) => [o.id, o.name]))
  const leaders = json<Person[]>(row.leaders)
  const officerGroups = json<{ roomId: string; scopePath: string | null }[]>(row.groups)
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
    officerGroups.filter((g) => scopeCovers(g.scopePath, path)).map((g) => g.roomId),
  )
  const membersOf = memo((orgId: number) => people.filter((p) => p.organisationId === orgId))
  const leadersOver = memo((path: string) => leaders.filter((l) => scopeCovers(l.scopePath, path)))

  return {
    ownerName(w: DueWatch) {
      if (w.ownerStaffId) return byId.get(w.ownerStaffId)?.name ?? null
      if (w.ownerOrgId) return orgNames.get(w.ownerOrgId) ?? null
      return null
    },
    /**
     * Who hears of a rung: people bound to WeChat privately, and the officers' groups in place of those who
     * cannot be reached that way. The owner (a person, or the members of an organisation) is reminded at
     * rung 0 and chased at 1; at 2 the supervisor gets a copy (the groups, when there is no reachable
     * supervisor) and the owner is chased again, told who was copied; at 3 leadership is notified.
     */
    recipients(level: Level, w: DueWatch): Recipient[] {
      const owner = w.ownerStaffId ? byId.get(w.ownerStaffId) : undefined
      const owners = (owner ? [owner] : w.ownerOrgId ? membersOf(w.ownerOrgId) : []).filter(reachable)
      const rooms = (voice: Voice) =>
        groupsFor(w.scopePath).map((roomId) => ({ roomId, voice, copiedTo: null }))
      const each = (people: Person[], voice: Voice, copiedTo: string | null = null) =>
        people.map((person) => ({ person, voice, copiedTo }))
      if (level === 3) {
        const over = leadersOver(w.scopePath).filter(reachable)
        return over.length > 0 ? each(over, 'notify') : rooms('notify')
      }
      if (level < 2) {
        const voice = level === 0 ? 'remind' : 'chase'
        return owners.length > 0 ? each(owners, voice) : rooms(voice)
      }
      const supervisor = owner?.supervisorId ? byId.get(owner.supervisorId) : undefined
      if (reachable(supervisor))
        return [...each([supervisor], 'copy'), ...each(owners, 'chase-copied', supervisor.name)]
      const copies = rooms('copy')
      return [...copies, ...each(owners, copies.length > 0 ? 'chase-copied' : 'chase', '工作群')]
    },
  }
}

/**
 * How a rung is put to its reader: 提醒 before the deadline, 催办 to the owner (again at rung 2, saying who
 * was copied), 催办·抄送 to the supervisor, 通报 to leadership.
 */
type Voice = 'remind' | 'chase' | 'chase-copied' | 'copy' | 'notify'

interface Recipient {
  person?: Person
  roomId?: string
  voice: Voice
  /** For 'chase-copied': whom the rung was copied to. */
  copiedTo: string | null
}

const clockWords: Record<WatchKind, { what: string; action: (ref: string) => string }> = {
  'request-response': { what: '响应', action: (ref) => `受理：发"受理 ${ref}"` },
  'request-resolution': { what: '办结', action: (ref) => `办结：发"办结 ${ref} 办理结果"` },
  task: { what: '完成', action: (ref) => `完成：发"完成 ${ref}"` },
}

const voices: Record<
  Voice,
  { name: string; heading: (n: number) => string; ask: ((action: string) => string) | null }
> = {
  remind: { name: '提醒', heading: (n) => `以下 ${n} 项即将到期，请按时办理：`, ask: null },
  chase: {
    name: '催办',
    heading: (n) => `以下 ${n} 项已超过时限，请尽快办理：`,
    ask: (action) => `请尽快${action}。`,
  },
  'chase-copied': {
    name: '催办',
    heading: (n) => `以下 ${n} 项已超过时限，此次催办已抄送上级，请尽快办理：`,
    ask: (action) => `请尽快${action}。`,
  },
  copy: {
    name: '催办·抄送',
    heading: (n) => `以下 ${n} 项已超过时限，请督促承办人尽快办理：`,
    ask: () => '请督促承办人尽快办理。',
  },
  notify: {
    name: '通报',
    heading: (n) => `以下 ${n} 项已超过时限，请关注并协调解决：`,
    ask: () => '请关注并协调解决。',
  },
}

/** One item in full, or several as a numbered list (at most `maxItemsPerMessage`, then a count of the rest). */
function nudgeMessage(
  voice: Voice,
  copiedTo: string | null,
  items: readonly { w: DueWatch }[],
  ownerName: (w: DueWatch) => string | null,
) {
  if (items.length === 1) return nudgeText(voice, copiedTo, items[0]!.w, ownerName(items[0]!.w))
  const acts = voice === 'remind' || voice === 'chase' || voice === 'chase-copied'
  const shown = items.slice(0, maxItemsPerMessage).map(({ w }, i) => {
    const { what, action } = clockWords[w.itemKind]
    const head = `${i + 1}. ${w.label} ${w.placeName}（承办：${ownerName(w) ?? '未指派'}）`
    const when =
      voice === 'remind'
        ? `${formatShanghai(w.dueAt)} 到${what}时限`
        : `${what}时限 ${formatShanghai(w.dueAt)} 已过`
    return acts ? `${head}${when}；${action(w.ref)}` : `${head}${when}`
  })
  const rest = items.length - shown.length
  const more = rest > 0 ? [`……另有 ${rest} 项，发"待办"或在工作台查看全部。`] : []
  return [`【${voices[voice].name}】${voices[voice].heading(items.length)}`, ...shown, ...more].join('\n')
}

function nudgeText(voice: Voice, copiedTo: string | null, w: DueWatch, ownerName: string | null) {
  const { what, action } = clockWords[w.itemKind]
  const holder = ownerName ? `（承办：${ownerName}）` : '（尚未指派承办人）'
  const head = `【${voices[voice].name}】${w.label} ${w.placeName}${holder}`
  if (voice === 'remind')
    return `${head}\n将于 ${formatShanghai(w.dueAt)} 到${what}时限，请按时${action(w.ref)}。`
  const copied = voice === 'chase-copied' ? `此次催办已抄送${copiedTo ?? '上级'}。` : ''
  return `${head}\n已超过${what}时限 ${formatShanghai(w.dueAt)}。${copied}${voices[voice].ask!(action(w.ref))}`
}

function digestLine(voice: Voice, w: DueWatch, ownerName: string | null) {
  const { what } = clockWords[w.itemKind]
  const when =
    voice === 'remind' ? `${formatShanghai(w.dueAt)} 到期` : `${what}时限 ${formatShanghai(w.dueAt)} 已过`
  return `【${voices[voice].name}】${w.label} ${w.placeName}（承办：${ownerName ?? '未指派'}）${when}`
}
