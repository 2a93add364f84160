import { z } from '@hono/zod-openapi'
import { FilterQuery } from '../routes/requests.schemas'
import { consolePath } from './session'

/** The 收件箱's filters: the same schema as GET /api/v1/requests, plus `before` for the keyset pages. */
const InboxQuery = FilterQuery.extend({
  before: z
    .string()
    .regex(/^\d{1,9}$/, '翻页参数有误，请从收件箱重新打开')
    .transform(Number)
    .optional(),
})

export type InboxFilters = Omit<z.infer<typeof InboxQuery>, 'before'>
export const filterKeys = ['q', 'status', 'category', 'xiaoquId', 'overdue', 'assignee', 'flag'] as const

/**
 * Reads the filters from a query string. Blank fields (a form's 全部) mean no filter; a bad value is reported
 * in Chinese and the list is shown unfiltered rather than guessed at.
 */
export function parseInboxQuery(query: Record<string, string>): {
  filters: InboxFilters
  before?: number
  error?: string
} {
  const given = Object.fromEntries(
    Object.entries(query).filter(
      ([key, value]) => value.trim() !== '' && (filterKeys as readonly string[]).includes(key),
    ),
  )
  if (query.before) given.before = query.before
  const parsed = InboxQuery.safeParse(given)
  if (!parsed.success) {
    return { filters: {}, error: `筛选条件有误：${parsed.error.issues.map((i) => i.message).join('；')}。` }
  }
  const { before, ...filters } = parsed.data
  return { filters, before }
}

/** The inbox's address with these filters (and anything extra: a page, a confirmation). */
export function inboxHref(filters: InboxFilters, extra: Record<string, string | undefined> = {}) {
  const params = new URLSearchParams()
  for (const key of filterKeys) {
    const value = filters[key]
    if (value !== undefined) params.set(key, String(value))
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, value)
  const query = params.toString()
  return query ? `${consolePath}?${query}` : consolePath
}

/**
 * A form's `back` field: the inbox it was posted from, its filters and page rebuilt from the known keys only
 * (so it can never send the browser elsewhere).
 */
export function inboxBack(back: unknown): { filters: InboxFilters; before?: number } | undefined {
  if (typeof back !== 'string' || !back.startsWith(consolePath)) return undefined
  let url: URL
  try {
    url = new URL(back, 'http://console.invalid')
  } catch {
    return undefined
  }
  if (url.origin !== 'http://console.invalid' || url.pathname !== consolePath) return undefined
  const { filters, before } = parseInboxQuery(Object.fromEntries(url.searchParams))
  return { filters, before }
}
