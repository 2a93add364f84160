import { and, desc, eq, ilike, inArray, isNull, like, lt, not, or } from 'drizzle-orm'
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
 * The keyword condition: the text contains it (served by the trigram index `requests_text_trgm` from three
 * characters on; shorter Chinese keywords still match, by scan), or it is the request's number.
 */
function keywordCondition(q: string) {
  const number = /^[Qq]?(\d{1,9})$/.exec(q)
  const inText = ilike(requests.text, containsPattern(q))
  return number ? or(inText, eq(requests.number, `Q${number[1]}`)) : inText
}

/** Newest first, keyset-paginated on id. */
export async function listRequests(db: DbOrTx, f: RequestFilters) {
  const keyword = f.q?.trim()
  const conditions = [
    f.status ? eq(requests.status, f.status) : undefined,
    f.category ? eq(requests.category, f.category) : undefined,
    f.xiaoquId ? eq(requests.xiaoquId, f.xiaoquId) : undefined,
    f.assignee === 'none'
      ? isNull(requests.assigneeStaffId)
      : f.assignee
        ? eq(requests.assigneeStaffId, f.assignee)
        : undefined,
    keyword ? keywordCondition(keyword) : undefined,
    f.assigneeStaffId ? eq(requests.assigneeStaffId, f.assigneeStaffId) : undefined,
    f.residentId ? eq(requests.residentId, f.residentId) : undefined,
    f.before ? lt(requests.id, f.before) : undefined,
    f.overdue === true
      ? overdueCondition(f.now)
      : f.overdue === false
        ? not(overdueCondition(f.now)!)
        : undefined,
    f.scopePath ? like(xiaoqu.path, `${f.scopePath}%`) : undefined,
  ].filter((c) => c !== undefined)
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
    .where(and(...conditions))
    .orderBy(desc(requests.id))
    .limit(f.limit)
}

export function overdueCondition(now: Date) {
  return or(
    and(eq(requests.status, 'submitted'), lt(requests.responseDueAt, now)),
    and(inArray(requests.status, [...openStatuses]), lt(requests.resolutionDueAt, now)),
  )
}
