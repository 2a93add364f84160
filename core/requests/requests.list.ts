import { and, desc, eq, ilike, inArray, isNull, like, lt, not, or, type SQL, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { requests, residents, staff, xiaoqu } from '../../db/schema'
import { containsPattern } from '../shared/like'
import { openStatuses, type RequestRow } from './requests.repository'

export interface RequestFilters {
  status?: RequestRow['status']
  category?: string
  xiaoquId?: number
  overdue?: boolean
  /** Held by this staff member, or by nobody (未分配). */
  assignee?: number | 'none'
  /** A keyword of the request's text, or its number (Q1234). */
  q?: string
  /** Scope for property staff: only what they hold. */
  assigneeStaffId?: number
  residentId?: number
  scopePath?: string | null
  before?: number
  limit: number
  now: Date
}

/**
 * Newest first, keyset-paginated on id. Two steps in one statement: the page's ids are found on `requests`
 * alone (each filter has an index that yields its rows in id order, so a page reads about the rows it
 * shows), then only those rows are joined to their xiaoqu, author and holder. A xiaoqu filter outside the
 * caller's scope is found out once, before any request is read, and the answer is empty.
 *
 * The statement of each combination of filters is built once per database session and prepared (values
 * are parameters): a call binds and runs it, and PostgreSQL plans it from its cache instead of parsing.
 */
export async function listRequests(db: DbOrTx, f: RequestFilters) {
  const { shape, values } = shapeOf(f)
  const key = JSON.stringify(shape)
  // Kept per session, which a prepared statement is bound to (a transaction has its own; a handle that
  // forwards to the transaction of the moment, as tests build, reaches the right one).
  const session = db._.session
  let byShape = prepared.get(session)
  if (!byShape) {
    byShape = new Map()
    prepared.set(session, byShape)
  }
  let query = byShape.get(key)
  if (!query) {
    query = buildList(db, shape, (name) => sql.placeholder(name)).prepare('list_requests')
    // Combinations are few in use; past this bound a rare one is built for its call and not kept.
    if (byShape.size < maxPrepared) byShape.set(key, query)
  }
  return query.execute(values)
}

/** The list's statement with the values bound, unprepared (tests and benches read its SQL and its plan). */
export function listQuery(db: DbOrTx, f: RequestFilters) {
  const { shape, values } = shapeOf(f)
  return buildList(db, shape, (name) => values[name])
}

const maxPrepared = 256
const prepared = new WeakMap<object, Map<string, PreparedList>>()
type PreparedList = ReturnType<ReturnType<typeof buildList>['prepare']>

/** Which filters are given (the statement's shape), and their values by parameter name. */
function shapeOf(f: RequestFilters) {
  const keyword = f.q?.trim()
  const number = keyword ? /^[Qq]?(\d{1,9})$/.exec(keyword) : null
  const scope = f.scopePath ? `${f.scopePath}%` : undefined
  const shape = {
    status: !!f.status,
    category: !!f.category,
    xiaoquId: !!f.xiaoquId,
    assignee: f.assignee === 'none' ? ('none' as const) : f.assignee ? ('one' as const) : undefined,
    keyword: !!keyword,
    number: !!number,
    assigneeStaffId: !!f.assigneeStaffId,
    residentId: !!f.residentId,
    before: !!f.before,
    overdue: f.overdue,
    scope: !!scope,
  }
  const values: Record<string, unknown> = {
    status: f.status,
    category: f.category,
    xiaoquId: f.xiaoquId,
    assignee: typeof f.assignee === 'number' ? f.assignee : undefined,
    pattern: keyword ? containsPattern(keyword) : undefined,
    number: number ? `Q${number[1]}` : undefined,
    assigneeStaffId: f.assigneeStaffId,
    residentId: f.residentId,
    before: f.before,
    now: f.now.toISOString(),
    scope,
    limit: f.limit,
  }
  return { shape, values }
}

/**
 * The statement for a shape; `v(name)` is a parameter's value, or its placeholder when prepared. The keyword
 * matches the text (served by the trigram index `requests_text_trgm` from three characters on; shorter
 * Chinese keywords still match, by scan), or the request's number.
 */
function buildList(db: DbOrTx, s: ReturnType<typeof shapeOf>['shape'], v: (name: string) => unknown) {
  // biome-ignore lint/suspicious/noExplicitAny: a value or a placeholder, as drizzle's operators take either
  const p = (name: string) => v(name) as any
  const now = sql`${p('now')}::timestamptz`
  const inText = ilike(requests.text, p('pattern'))
  const conditions = [
    s.status ? eq(requests.status, p('status')) : undefined,
    s.category ? eq(requests.category, p('category')) : undefined,
    s.xiaoquId ? eq(requests.xiaoquId, p('xiaoquId')) : undefined,
    // Checked once (an uncorrelated subquery is a one-time filter): a xiaoqu of another scope reads nothing.
    s.xiaoquId && s.scope
      ? sql`exists (select from ${xiaoqu} where ${xiaoqu.id} = ${p('xiaoquId')} and ${xiaoqu.path} like ${p('scope')})`
      : undefined,
    s.assignee === 'none'
      ? isNull(requests.assigneeStaffId)
      : s.assignee
        ? eq(requests.assigneeStaffId, p('assignee'))
        : undefined,
    s.keyword ? (s.number ? or(inText, eq(requests.number, p('number'))) : inText) : undefined,
    s.assigneeStaffId ? eq(requests.assigneeStaffId, p('assigneeStaffId')) : undefined,
    s.residentId ? eq(requests.residentId, p('residentId')) : undefined,
    s.before ? lt(requests.id, p('before')) : undefined,
    s.overdue === true ? overdueAt(now) : s.overdue === false ? not(overdueAt(now)) : undefined,
    s.scope
      ? inArray(
          requests.xiaoquId,
          db
            .select({ id: xiaoqu.id })
            .from(xiaoqu)
            .where(like(xiaoqu.path, p('scope'))),
        )
      : undefined,
  ].filter((c) => c !== undefined)
  const page = db
    .select({ id: requests.id })
    .from(requests)
    .where(and(...conditions))
    .orderBy(desc(requests.id))
    .limit(p('limit'))
  return db
    .select({
      request: requests,
      xiaoquName: xiaoqu.name,
      xiaoquPath: xiaoqu.path,
      authorName: residents.name,
      assigneeName: staff.name,
    })
    .from(requests)
    .leftJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
    .leftJoin(residents, eq(residents.id, requests.residentId))
    .leftJoin(staff, eq(staff.id, requests.assigneeStaffId))
    .where(inArray(requests.id, page))
    .orderBy(desc(requests.id))
}

/** A deadline has passed while the request is open: its response (still submitted) or its resolution. */
function overdueAt(now: SQL) {
  return or(
    and(eq(requests.status, 'submitted'), lt(requests.responseDueAt, now)),
    and(inArray(requests.status, [...openStatuses]), lt(requests.resolutionDueAt, now)),
  )!
}

/** The same condition at a given instant, for statements that bind it as a value (exports). */
export function overdueCondition(now: Date) {
  return or(
    and(eq(requests.status, 'submitted'), lt(requests.responseDueAt, now)),
    and(inArray(requests.status, [...openStatuses]), lt(requests.resolutionDueAt, now)),
  )
}
