import {
  and,
  desc,
  eq,
  fillPlaceholders,
  getTableColumns,
  ilike,
  inArray,
  isNotNull,
  isNull,
  like,
  lt,
  not,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { requests, xiaoqu } from '../../db/schema'
import { type RawRow, rowAt, runStatement } from '../../db/statements'
import { containsPattern } from '../shared/like'
import { openStatuses, type RequestRow } from './requests.repository'

export interface RequestFilters {
  status?: RequestRow['status']
  category?: string
  xiaoquId?: number
  overdue?: boolean
  /** Held by this staff member, or by nobody (未分配). */
  assignee?: number | 'none'
  /** Open requests a resident asked to withdraw (撤回), or chased (催办). */
  flag?: RequestFlag
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

/** What residents asked of open requests, as the list filters them: withdrawal (撤回) or a chase (催办). */
export const requestFlags = ['withdrawal', 'urged'] as const
export type RequestFlag = (typeof requestFlags)[number]
export const requestFlagNames: Record<RequestFlag, string> = {
  withdrawal: '居民申请撤回',
  urged: '居民催办过',
}

/**
 * Newest first, keyset-paginated on id. Two steps in one statement: the page's ids are found on `requests`
 * alone (each filter has an index that yields its rows in id order, so a page reads about the rows it
 * shows), then only those rows are read, with the names of their xiaoqu, author and holder. A xiaoqu filter
 * outside the caller's scope is found out once, before any request is read, and the answer is empty.
 *
 * The statement of each combination of filters is built once (values are parameters) and run prepared
 * (`runStatement`: per connection on PostgreSQL, per session on PGlite), so it is not parsed at each call.
 * Its rows come as arrays and are mapped by position (`rowAt`), which costs a fraction of drizzle's nested
 * mapping for a page of 20 requests with their names.
 */
export async function listRequests(db: DbOrTx, f: RequestFilters): Promise<ListedRequest[]> {
  const { shape, values } = shapeOf(f)
  const key = JSON.stringify(shape)
  let statement = statements.get(key)
  if (!statement && statements.size < maxPrepared) {
    const { sql: text, params } = buildList(db, shape, (name) => sql.placeholder(name)).toSQL()
    statement = { name: `list_${statements.size}`, text, params }
    statements.set(key, statement)
  }
  // Combinations are few in use; past the bound a rare one is run unprepared.
  const rows = statement
    ? await runStatement(
        db,
        statement.name,
        statement.text,
        fillPlaceholders(statement.params, values),
        'array',
      )
    : rowsOf<RawRow>(await db.execute(buildList(db, shape, (name) => values[name]).getSQL())).map((row) =>
        // Keyed by the select's names, which are all distinct, in the select's order.
        Object.values(row),
      )
  // Each row: the request's columns in order, then the four names.
  const names = requestColumnCount
  return rows.map((row) => ({
    request: rowAt(requests, row),
    xiaoquName: row[names] as string | null,
    xiaoquPath: row[names + 1] as string | null,
    authorName: row[names + 2] as string | null,
    assigneeName: row[names + 3] as string | null,
  }))
}

/** A listed request, with the names the list shows beside it. */
export interface ListedRequest {
  request: RequestRow
  xiaoquName: string | null
  xiaoquPath: string | null
  authorName: string | null
  assigneeName: string | null
}

/** The list's statement with the values bound, unprepared (tests and benches read its SQL and its plan). */
export function listQuery(db: DbOrTx, f: RequestFilters) {
  const { shape, values } = shapeOf(f)
  return buildList(db, shape, (name) => values[name])
}

const maxPrepared = 256
const requestColumnCount = Object.keys(getTableColumns(requests)).length
/** Each shape's statement: its text is the same on every connection, and runStatement prepares it there. */
const statements = new Map<string, { name: string; text: string; params: unknown[] }>()

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
    flag: f.flag,
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
    // Each has a partial index of the open requests it holds (few), newest first. Its predicate is written in
    // whole: a prepared statement's generic plan can use a partial index only for a predicate it can prove.
    s.flag === 'withdrawal'
      ? and(isNotNull(requests.withdrawalAskedAt), sql`${requests.status} in ${openList()}`)
      : s.flag === 'urged'
        ? sql`${requests.urgeCount} > 0 and ${requests.status} in ${openList()}`
        : undefined,
    s.scope && s.assignee === 'one'
      ? // What one officer holds: the scope's xiaoqu as an array computed once (an InitPlan), so the page is
        // read newest first through (assignee, id) with the scope as a filter. As a subquery the planner may
        // turn it into a join, and a prepared statement's generic plan then walked the scope's xiaoqu one by
        // one and sorted all they held (3.6 ms against 0.3 at 100,000 requests on PGlite). Other filters
        // keep the join, which their plans need (a keyword's with the array took 20 ms).
        sql`${requests.xiaoquId} = any(array(select ${xiaoqu.id} from ${xiaoqu} where ${xiaoqu.path} like ${p('scope')}))`
      : s.scope
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
  // Flat, and the names under names of their own: the raw rows are keyed by column name. The page is an
  // array computed once and each name a subquery on a primary key, so the statement has one table to plan:
  // on PGlite, which plans each EXECUTE afresh, joins cost more to plan than the page to read (an empty
  // page, as for a xiaoqu outside the caller's scope, took 1.9 ms with joins against 1.0 as now).
  // Written out whole: drizzle leaves the columns of a one-table select unqualified.
  const name = (table: string, column: string, key: string, as: string) => {
    const lookup = `select n.${column} from ${table} n where n.id = "requests"."${key}"`
    return sql<string | null>`(${sql.raw(lookup)})`.as(as)
  }
  return db
    .select({
      ...getTableColumns(requests),
      xiaoquName: name('xiaoqu', 'name', 'xiaoqu_id', 'xiaoqu_name'),
      xiaoquPath: name('xiaoqu', 'path', 'xiaoqu_id', 'xiaoqu_path'),
      authorName: name('residents', 'name', 'resident_id', 'author_name'),
      assigneeName: name('staff', 'name', 'assignee_staff_id', 'assignee_name'),
    })
    .from(requests)
    .where(sql`${requests.id} = any(array(${page}))`)
    .orderBy(desc(requests.id))
}

/**
 * The open statuses as SQL literals, as the partial indexes on open requests name them (made when called:
 * the repository, which defines them, imports this module).
 */
const openList = () => sql.raw(`(${openStatuses.map((status) => `'${status}'`).join(', ')})`)

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
