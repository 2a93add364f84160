import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, like, ne, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import {
  chatGroups,
  households,
  requestEvents,
  requestSupporters,
  requests,
  residentHouseholds,
  residents,
  staff,
  xiaoqu,
} from '../../db/schema'
import { containsPattern } from '../shared/like'

/** The inbox list lives in requests.list.ts; these names stay importable from here. */
export { listRequests, overdueCondition, type RequestFilters } from './requests.list'
/** Kept here too: the keyword search's pattern, as its tests read it. */
export { containsPattern }

export type RequestRow = typeof requests.$inferSelect
export type NewRequest = typeof requests.$inferInsert
export type RequestEventRow = typeof requestEvents.$inferSelect

export const openStatuses = ['submitted', 'accepted'] as const
/** Still to be acted on: submitted or accepted. */
export const isOpenRequest = (request: Pick<RequestRow, 'status'>) =>
  (openStatuses as readonly string[]).includes(request.status)
/** The chases (催办) an officer still has to answer: an open request's count, none once it is resolved. */
export const openChases = (request: Pick<RequestRow, 'status' | 'urgeCount'>) =>
  isOpenRequest(request) ? request.urgeCount : 0
/** An open request its author said they no longer need (撤回), for its holder to check and resolve. */
export const withdrawalAsked = (request: Pick<RequestRow, 'status' | 'withdrawalAskedAt'>) =>
  isOpenRequest(request) && request.withdrawalAskedAt !== null

export async function findRequestByNumber(db: DbOrTx, number: string, forUpdate = false) {
  const query = db.select().from(requests).where(eq(requests.number, number))
  const [row] = forUpdate ? await query.for('update') : await query
  return row
}

export async function insertRequest(db: DbOrTx, values: NewRequest) {
  const [row] = await db.insert(requests).values(values).returning()
  return row!
}

export async function updateRequest(db: DbOrTx, id: number, values: Partial<NewRequest>) {
  const [row] = await db.update(requests).set(values).where(eq(requests.id, id)).returning()
  return row!
}

export async function addRequestEvent(db: DbOrTx, event: typeof requestEvents.$inferInsert) {
  const [row] = await db.insert(requestEvents).values(event).returning()
  return row!
}

/**
 * The latest request filed in a group since `since` by someone other than `notBy` and not yet closed: what
 * "+1" said there without a number backs.
 */
export async function latestFiledInGroup(db: DbOrTx, groupId: number, notBy: number, since: Date) {
  const [row] = await db
    .select({ number: requests.number })
    .from(requests)
    .where(
      and(
        eq(requests.groupId, groupId),
        ne(requests.residentId, notBy),
        ne(requests.status, 'closed'),
        gte(requests.createdAt, since),
      ),
    )
    .orderBy(desc(requests.id))
    .limit(1)
  return row
}

/** Who chased the request (催办) since `since`: their resident ids. */
export async function urgedSince(db: DbOrTx, requestId: number, since: Date) {
  const rows = await db
    .select({ actorId: requestEvents.actorId })
    .from(requestEvents)
    .where(
      and(
        eq(requestEvents.requestId, requestId),
        eq(requestEvents.kind, 'urged'),
        gte(requestEvents.at, since),
      ),
    )
  return rows.map((r) => r.actorId)
}

/** One more chase (催办) of the request, for the inbox to show; its history holds who and what. */
export async function countUrge(db: DbOrTx, requestId: number, at: Date) {
  await db
    .update(requests)
    .set({ urgeCount: sql`${requests.urgeCount} + 1`, lastUrgedAt: at })
    .where(eq(requests.id, requestId))
}

export async function listRequestEvents(db: DbOrTx, requestId: number) {
  return db
    .select()
    .from(requestEvents)
    .where(eq(requestEvents.requestId, requestId))
    .orderBy(asc(requestEvents.id))
}

/** The request's context in one query: where it was filed, who filed it, who holds it. */
export async function loadRequestContext(db: DbOrTx, request: RequestRow) {
  const [row] = await db
    .select({ xiaoqu, group: chatGroups, author: residents, assignee: staff })
    .from(requests)
    .leftJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .leftJoin(chatGroups, eq(chatGroups.id, requests.groupId))
    .leftJoin(residents, eq(residents.id, requests.residentId))
    .leftJoin(staff, eq(staff.id, requests.assigneeStaffId))
    .where(eq(requests.id, request.id))
  return {
    xiaoqu: row?.xiaoqu ?? undefined,
    group: row?.group ?? undefined,
    author: row?.author ?? undefined,
    assignee: row?.assignee ?? undefined,
  }
}

/** Officers' groups whose scope covers the xiaoqu path. */
export async function officerGroupsCovering(db: DbOrTx, xiaoquPath: string) {
  return db
    .select()
    .from(chatGroups)
    .where(
      and(
        eq(chatGroups.kind, 'officers'),
        eq(chatGroups.state, 'active'),
        or(isNull(chatGroups.scopePath), sql`${xiaoquPath} like ${chatGroups.scopePath} || '%'`),
      ),
    )
}

/** Who holds requests within the scope (null: everywhere), by name: the inbox's 承办人 filter. */
export async function holdersInScope(db: DbOrTx, scopePath: string | null) {
  return db
    .selectDistinct({ id: staff.id, name: staff.name, role: staff.role })
    .from(requests)
    .innerJoin(staff, eq(staff.id, requests.assigneeStaffId))
    .innerJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .where(scopePath ? like(xiaoqu.path, `${scopePath}%`) : undefined)
    .orderBy(asc(staff.name), asc(staff.id))
}

/** 待办: open requests held by the staff member, or unheld ones in their scope; earliest deadline first. */
export async function todoForStaff(
  db: DbOrTx,
  holder: { id: number; scopePath: string | null; role: string },
  limit: number,
) {
  const unheldInScope =
    holder.role === 'property_staff'
      ? sql`false`
      : and(
          isNull(requests.assigneeStaffId),
          holder.scopePath ? like(xiaoqu.path, `${holder.scopePath}%`) : undefined,
        )
  const due = sql`case when ${requests.status} = 'submitted' then ${requests.responseDueAt} else ${requests.resolutionDueAt} end`
  return db
    .select({
      request: requests,
      xiaoquName: xiaoqu.name,
      xiaoquPath: xiaoqu.path,
      assigneeName: staff.name,
    })
    .from(requests)
    .leftJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .leftJoin(staff, eq(staff.id, requests.assigneeStaffId))
    .where(
      and(
        inArray(requests.status, [...openStatuses]),
        or(eq(requests.assigneeStaffId, holder.id), unheldInScope),
      ),
    )
    .orderBy(asc(due), asc(requests.id))
    .limit(limit)
}

export async function openRequestsOf(db: DbOrTx, residentId: number, limit: number) {
  return db
    .select({ request: requests, xiaoquName: xiaoqu.name })
    .from(requests)
    .leftJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .where(
      and(
        eq(requests.residentId, residentId),
        inArray(requests.status, ['submitted', 'accepted', 'resolved']),
      ),
    )
    .orderBy(desc(requests.id))
    .limit(limit)
}

/** The xiaoqu a resident last filed in: lets them file privately afterwards. */
export async function lastXiaoquOf(db: DbOrTx, residentId: number) {
  const [row] = await db
    .select({ xiaoquId: requests.xiaoquId })
    .from(requests)
    .where(eq(requests.residentId, residentId))
    .orderBy(desc(requests.id))
    .limit(1)
  return row?.xiaoquId ?? undefined
}

/**
 * The xiaoqu a resident belongs to when they write privately: those of the households an officer verified
 * for them, and those they have filed requests in.
 */
export async function xiaoquOfResident(db: DbOrTx, residentId: number) {
  const [claimed, filed] = await Promise.all([
    db
      .selectDistinct({ xiaoquId: households.xiaoquId })
      .from(residentHouseholds)
      .innerJoin(households, eq(households.id, residentHouseholds.householdId))
      .where(and(eq(residentHouseholds.residentId, residentId), isNotNull(residentHouseholds.verifiedAt))),
    db
      .selectDistinct({ xiaoquId: requests.xiaoquId })
      .from(requests)
      .where(and(eq(requests.residentId, residentId), isNotNull(requests.xiaoquId))),
  ])
  return new Set([...claimed, ...filed].map((r) => r.xiaoquId).filter((id): id is number => id !== null))
}

/** Whether the resident with this WeChat id has added their support (同求) to the request. */
export async function isSupporter(db: DbOrTx, requestId: number, wechatId: string) {
  const [row] = await db
    .select({ id: requestSupporters.residentId })
    .from(requestSupporters)
    .innerJoin(residents, eq(residents.id, requestSupporters.residentId))
    .where(and(eq(requestSupporters.requestId, requestId), eq(residents.wechatId, wechatId)))
  return Boolean(row)
}

/** The roles that handle requests, and so may be given one (转派). */
export const handlingRoles = ['officer', 'community_worker', 'property_staff'] as const

/**
 * Active staff whose scope covers the xiaoqu path, in a role that handles requests (admins too when
 * `withAdmins`): who a request there may be handed to. Oldest accounts first.
 */
export async function staffCovering(db: DbOrTx, xiaoquPath: string, withAdmins: boolean) {
  return db
    .select()
    .from(staff)
    .where(
      and(
        eq(staff.active, true),
        inArray(staff.role, withAdmins ? [...handlingRoles, 'admin'] : [...handlingRoles]),
        or(isNull(staff.scopePath), sql`${xiaoquPath} like ${staff.scopePath} || '%'`),
      ),
    )
    .orderBy(asc(staff.id))
}
