import type { Context } from 'hono'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Actor } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { type AppError, invalid } from '../../core/shared/errors'
import type { DbOrTx } from '../../db/client'
import type { Viewer } from './layout'
import type { ConsoleEnv } from './session'

// What the console's routes share: how a page is sent, who is looking, how a form field is read.

export type Page = HtmlEscapedString | Promise<HtmlEscapedString>
export type C = Context<ConsoleEnv>
export type Ctx = Omit<Deps, 'db'> & { db: DbOrTx }
export type StaffActor = Actor & { kind: 'staff' }

export const render = async (c: Context, page: Page, status: ContentfulStatusCode = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status)

export const viewerOf = (c: C): Viewer => ({ staff: c.get('staff'), csrf: c.get('csrf'), bot: c.get('bot') })
export const actorOf = (c: C): StaffActor => ({ kind: 'staff', staff: c.get('staff'), via: 'console' })
export const statusOf = (error: AppError) => error.status as ContentfulStatusCode

/** Fixed confirmations after a POST/redirect/GET, by code: nothing from the query string is shown as is. */
export const noticeReader =
  (notices: Record<string, string>) =>
  (c: C): string | undefined =>
    notices[c.req.query('ok') ?? ''] ?? undefined

/** A trimmed form field, undefined when missing or blank; too long is a 400 naming the field. */
export function field(body: Record<string, unknown>, name: string, max: number, label: string) {
  const value = body[name]
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  if (trimmed.length > max) throw invalid('console.too_long', `${label}不超过 ${max} 字。`)
  return trimmed || undefined
}
