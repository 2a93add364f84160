// The write path of a new request in two statements: what the filing needs to know, then everything it
// writes (the request, its events, audit rows, watches and the officers' notices) in one data-modifying CTE.
// One statement is atomic by itself, so a filing needs no explicit transaction: BEGIN and COMMIT would be
// two more round trips, and the pooled connection would be held across all of them.
import type { DbOrTx } from '../../db/client'
import { residents } from '../../db/schema'
import { jsonRows, jsonValue, type RawRow, rowOf, runStatement } from '../../db/statements'
import type { auditEntry } from '../audit/audit'
import type { watchRow } from '../nudges/watches'
import type { outboxRows } from '../outbox/outbox.repository'
import { upsertResidentCtes } from '../people/residents'
import type { ResidentRow } from '../shared/actor'
import type { RequestEventRow, RequestRow } from './requests.repository'

export interface FilingPlan {
  /** The request's id and number, drawn from their sequences, so everything it writes is known at once. */
  requestId: number
  number: string
  xiaoqu: { id: number; path: string; name: string } | undefined
  /** The categories routing rules of the xiaoqu's areas name ('' for a rule of every category). */
  routingCategories: string[]
  /** The officers' groups covering the xiaoqu, told of the new request unless it is routed to someone. */
  officerRooms: string[]
}

// The ids are drawn only for a xiaoqu that exists and, for a staff member's filing, lies within their scope
// (`scope`: the parameter holding their scope path, null for the whole city): a filing refused as "no such
// xiaoqu" or "not yours" leaves no gap in the numbers residents see. `more`: further columns.
const planSqlOf = ({ scope, more = '' }: { scope?: string; more?: string } = {}) => {
  const drawn = `x.id is not null${scope ? ` and (${scope}::text is null or starts_with(x.path, ${scope}::text))` : ''}`
  return `
select case when ${drawn} then nextval('requests_id_seq')::int end as request_id,
  case when ${drawn} then 'Q' || nextval('request_number_seq') end as number,
  x.id as xiaoqu_id, x.path, x.name,
  (select coalesce(json_agg(distinct coalesce(r.category, '')), '[]') from routing_rules r
    where position('/' || r.area_id || '/' in x.path) > 0) as routing_categories,
  (select coalesce(json_agg(g.room_id order by g.id), '[]') from chat_groups g
    where g.kind = 'officers' and g.state = 'active'
      and (g.scope_path is null or x.path like g.scope_path || '%')) as officer_rooms${more}
from (select 1) one left join xiaoqu x on x.id = $1`
}
const planSql = planSqlOf()
const planForStaffSql = planSqlOf({ scope: '$2' })

// The same, with the caller of a 代录 filing looked up by name and phone (residents_phone, one index probe).
const planForCallerSql = planSqlOf({
  scope: '$4',
  more: `,
  (select to_jsonb(r) from residents r where r.phone = $2 and r.name = $3 order by r.id limit 1) as caller`,
})

// The same, with a WeChat author written as upsertResident does (core/people/residents.ts): read when known
// under that name, else inserted or renamed.
const planForAuthorSql = `${upsertResidentCtes('$2', '$3', '$4')}${planSqlOf({
  more: `,
  (select to_jsonb(a) from (select * from written union all select * from known) a limit 1) as author`,
})}`

/** `planFiling` for a resident writing in WeChat, who is upserted by the same statement. */
export async function planFilingForAuthor(
  db: DbOrTx,
  xiaoquId: number,
  author: { wechatId: string; name: string; at: Date },
): Promise<FilingPlan & { author: ResidentRow }> {
  const [row] = await runStatement(db, 'filing_plan_author', planForAuthorSql, [
    xiaoquId,
    author.wechatId,
    author.name,
    author.at.toISOString(),
  ])
  return { ...planOf(row!), author: rowOf(residents, jsonValue(row!.author)) }
}

/**
 * What filing a request in the xiaoqu needs from the database, in one statement. `staffScope` (a staff
 * member's filing: their scope path, null for the whole city) draws no number outside it, and `caller` also
 * finds the resident of that name and phone, when one is known.
 */
export async function planFiling(
  db: DbOrTx,
  xiaoquId: number,
  options: { staffScope?: string | null; caller?: { name: string; phone: string } } = {},
): Promise<FilingPlan & { caller?: ResidentRow }> {
  const { caller, staffScope = null } = options
  const [row] = caller
    ? await runStatement(db, 'filing_plan_caller', planForCallerSql, [
        xiaoquId,
        caller.phone,
        caller.name,
        staffScope,
      ])
    : 'staffScope' in options
      ? await runStatement(db, 'filing_plan_staff', planForStaffSql, [xiaoquId, staffScope])
      : await runStatement(db, 'filing_plan', planSql, [xiaoquId])
  const found = row!.caller ? jsonValue(row!.caller) : undefined
  return { ...(found ? { caller: rowOf(residents, found) } : {}), ...planOf(row!) }
}

function planOf(row: RawRow): FilingPlan {
  return {
    requestId: Number(row.request_id),
    number: String(row.number),
    xiaoqu:
      row.xiaoqu_id === null
        ? undefined
        : { id: Number(row.xiaoqu_id), path: String(row.path), name: String(row.name) },
    routingCategories: jsonValue<string[]>(row.routing_categories),
    officerRooms: jsonValue<string[]>(row.officer_rooms),
  }
}

export type NewEvent = Pick<RequestEventRow, 'kind' | 'actorKind' | 'actorId' | 'actorName' | 'note' | 'data'>
/** What `writeFiling` stores: the rows `auditEntry` and `watchRow` build. */
export type NewAudit = ReturnType<typeof auditEntry>
export type NewWatch = ReturnType<typeof watchRow>
/** Outbox rows as `outboxRows` builds them (a long text already in parts). */
export type NewOutboxRow = ReturnType<typeof outboxRows>[number]

// Rows of a kind travel as one JSON parameter, so the text is the same whatever their number (and stays
// prepared); `ord` keeps their order, which is the order of their ids.
const writeSql = `
with request as (
  insert into requests (id, number, xiaoqu_id, group_id, resident_id, channel, text, location, contact_phone,
    category, menu_item, urgency, status, assignee_staff_id, response_due_at, resolution_due_at,
    inbound_message_id, created_at, updated_at)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'submitted', $13, $14::timestamptz,
    $15::timestamptz, $16, $17::timestamptz, $17::timestamptz)
  returning id
), events as (
  insert into request_events (request_id, kind, actor_kind, actor_id, actor_name, note, data, at)
  select request.id, e.kind, e.actor_kind, e.actor_id, e.actor_name, e.note, e.data, $17::timestamptz
  from request, jsonb_to_recordset($18::jsonb) as e(kind text, actor_kind text, actor_id int, actor_name text,
    note text, data jsonb, ord int)
  order by e.ord
), audits as (
  insert into audit_log (actor_staff_id, actor_name, via, action, entity, entity_id, before, after, at)
  select a.actor_staff_id, a.actor_name, a.via, a.action, a.entity, a.entity_id, a.before, a.after,
    $17::timestamptz
  from request, jsonb_to_recordset($19::jsonb) as a(actor_staff_id int, actor_name text, via text, action text,
    entity text, entity_id text, before jsonb, after jsonb, ord int)
  order by a.ord
), watched as (
  insert into watches (item_kind, item_id, label, ref, scope_path, place_name, owner_staff_id, owner_org_id,
    due_at, remind_at, urgent, snoozed_until, closed_at, next_level, next_at)
  select w.item_kind, w.item_id, w.label, w.ref, w.scope_path, w.place_name, w.owner_staff_id, w.owner_org_id,
    w.due_at, w.remind_at, w.urgent, w.snoozed_until, w.closed_at, w.next_level, w.next_at
  from request, jsonb_to_recordset($20::jsonb) as w(item_kind text, item_id int, label text, ref text,
    scope_path text, place_name text, owner_staff_id int, owner_org_id int, due_at timestamptz,
    remind_at timestamptz, urgent boolean, snoozed_until timestamptz, closed_at timestamptz, next_level int,
    next_at timestamptz)
), told as (
  insert into outbox (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch,
    attachment_id, created_at)
  select o.conversation_id, o.is_room, o.text, o.mentions, o.dedupe_key, o.not_before, o.priority, o.batch,
    o.attachment_id, $17::timestamptz
  from request, jsonb_to_recordset($21::jsonb) as o(conversation_id text, is_room int, text text, mentions jsonb,
    dedupe_key text, not_before timestamptz, priority text, batch text, attachment_id int, ord int)
  order by o.ord
  on conflict (dedupe_key) do nothing
)
select id from request`

const iso = (at: Date | null) => (at ? at.toISOString() : null)
/**
 * Writes a new request with its events, audit rows, watches and messages: one statement, so all or nothing,
 * with or without a transaction around it.
 */
export async function writeFiling(
  db: DbOrTx,
  input: {
    request: RequestRow
    events: NewEvent[]
    audits: NewAudit[]
    watches: NewWatch[]
    outbox?: NewOutboxRow[]
  },
) {
  const r = input.request
  await runStatement(db, 'filing_write', writeSql, [
    r.id,
    r.number,
    r.xiaoquId,
    r.groupId,
    r.residentId,
    r.channel,
    r.text,
    r.location,
    r.contactPhone,
    r.category,
    r.menuItem,
    r.urgency,
    r.assigneeStaffId,
    iso(r.responseDueAt),
    iso(r.resolutionDueAt),
    r.inboundMessageId,
    iso(r.createdAt),
    jsonRows(
      input.events.map((e) => ({
        kind: e.kind,
        actor_kind: e.actorKind,
        actor_id: e.actorId,
        actor_name: e.actorName,
        note: e.note,
        data: e.data ?? null,
      })),
    ),
    jsonRows(
      input.audits.map((a) => ({
        actor_staff_id: a.actorStaffId,
        actor_name: a.actorName,
        via: a.via,
        action: a.action,
        entity: a.entity,
        entity_id: a.entityId,
        before: a.before ?? null,
        after: a.after ?? null,
      })),
    ),
    jsonRows(
      input.watches.map((w) => ({
        item_kind: w.itemKind,
        item_id: w.itemId,
        label: w.label,
        ref: w.ref,
        scope_path: w.scopePath,
        place_name: w.placeName,
        owner_staff_id: w.ownerStaffId,
        owner_org_id: w.ownerOrgId,
        due_at: iso(w.dueAt),
        remind_at: iso(w.remindAt),
        urgent: w.urgent,
        snoozed_until: iso(w.snoozedUntil),
        closed_at: iso(w.closedAt),
        next_level: w.nextLevel,
        next_at: iso(w.nextAt),
      })),
    ),
    jsonRows(input.outbox ?? []),
  ])
}

/** Whether a routing rule of the xiaoqu's areas covers the category: then 派单 decides who holds it. */
export const isRouted = (plan: FilingPlan, category: string) =>
  plan.routingCategories.some((c) => c === '' || c === category)
