import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { BotStatus } from '../../bot/bot'
import type { StaffRow } from '../../core/shared/actor'
import type { Deps } from '../../core/shared/deps'
import { authenticateCached } from '../../core/staff/staff.cache'
import { retryAfterHeader, tokenAttempts, tooManyAttemptsMessage } from '../guard'

/**
 * The console's session and CSRF protection.
 *
 * - Session: the staff member's API token, in an HttpOnly, SameSite=Strict cookie scoped to /console
 *   (Secure over https). Every request re-authenticates it by its hash, so rotating or deactivating the
 *   token ends the session at once; nothing is kept on the server. Wrong tokens, at login or in the
 *   cookie, count towards the same per-address limit as the API's (api/guard.ts).
 * - CSRF: a random nonce in a second HttpOnly cookie. A form carries a token derived from it: on the login
 *   form the nonce itself (double submit: there is no session yet), on every other form
 *   HMAC-SHA256(session token, nonce), so a cookie planted by a sibling site cannot be paired with a forged
 *   field without the session token. Every POST is checked, in constant time; a browser's
 *   `Sec-Fetch-Site: cross-site`/`same-site` is refused outright.
 */

export type ConsoleEnv = {
  Variables: {
    staff: StaffRow
    /** The value of the hidden `_csrf` field forms carry. */
    csrf: string
    /** The bot's connection as this request found it (absent in API-only setups). */
    bot?: BotStatus
    /** Admins only: years whose State Council holiday notice is still missing (the calendar estimates them). */
    calendarMissing?: number[]
  }
}

export const sessionCookie = 'gz_console'
export const csrfCookie = 'gz_console_csrf'
export const csrfField = '_csrf'
export const consolePath = '/console'
/** A working day and then some: officers log in again each morning. */
const sessionSeconds = 12 * 3600

const isHttps = (c: Context) =>
  new URL(c.req.url).protocol === 'https:' ||
  c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https'

const cookieOptions = (c: Context) => ({
  path: consolePath,
  httpOnly: true,
  sameSite: 'Strict' as const,
  secure: isHttps(c),
})

const newNonce = () => randomBytes(32).toString('base64url')

const hmac = (key: string, nonce: string) =>
  createHmac('sha256', key).update(`gaizao-console-csrf:${nonce}`).digest('base64url')

function sameText(a: string, b: string) {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The nonce cookie, set now when missing so the page being rendered can carry a matching field. */
export function ensureNonce(c: Context): string {
  const existing = getCookie(c, csrfCookie)
  if (existing && /^[\w-]{32,64}$/.test(existing)) return existing
  const nonce = newNonce()
  setCookie(c, csrfCookie, nonce, { ...cookieOptions(c), maxAge: sessionSeconds })
  return nonce
}

/** The hidden field's value: the nonce before login, bound to the session after. */
export const csrfTokenFor = (nonce: string, session?: string) => (session ? hmac(session, nonce) : nonce)

export function startSession(c: Context, token: string) {
  const options = { ...cookieOptions(c), maxAge: sessionSeconds }
  setCookie(c, sessionCookie, token, options)
  // A fresh nonce at login: one planted before it is worth nothing afterwards.
  setCookie(c, csrfCookie, newNonce(), options)
}

export function endSession(c: Context) {
  deleteCookie(c, sessionCookie, cookieOptions(c))
  deleteCookie(c, csrfCookie, cookieOptions(c))
}

/** Whether a POST comes from one of our own forms. */
export async function csrfValid(c: Context, session?: string) {
  const site = c.req.header('sec-fetch-site')
  if (site && site !== 'same-origin' && site !== 'none') return false
  const nonce = getCookie(c, csrfCookie)
  if (!nonce) return false
  const body = await c.req.parseBody()
  const field = body[csrfField]
  if (typeof field !== 'string' || !field) return false
  return sameText(field, csrfTokenFor(nonce, session))
}

/** A local console address to return to after login, or /console; never another site. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string') return consolePath
  return /^\/console(?:\/[\w\-/]*)?(?:\?[\w=&%\-.]*)?$/.test(next) && !next.includes('//')
    ? next
    : consolePath
}

/** A bare page (no layout, no session) for a client that has tried too many wrong tokens. */
export function tooManyAttemptsPage(c: Context, waitMs: number) {
  const message = tooManyAttemptsMessage(waitMs)
  return c.html(
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>请稍后再试</title></head><body><h1>请稍后再试</h1><p>${message}</p><p><a href="${consolePath}/login">返回登录</a></p></body></html>`,
    429,
    retryAfterHeader(waitMs),
  )
}

/**
 * Every page but the login page: the session cookie must name an active staff member, else the browser goes
 * to the login page (coming back here afterwards, for a GET). POSTs must carry the CSRF field; a request that
 * fails the check is refused with `onCsrfFailure`'s page.
 */
export function requireConsoleStaff(
  deps: Pick<Deps, 'db' | 'database'>,
  onCsrfFailure: (c: Context<ConsoleEnv>) => Response | Promise<Response>,
) {
  return createMiddleware<ConsoleEnv>(async (c, next) => {
    const token = getCookie(c, sessionCookie)
    // A session cookie is a token too: guesses through it are counted with the API's and the login's.
    const attempts = tokenAttempts(c, token)
    const wait = token ? attempts.blockedFor() : 0
    if (wait > 0) return tooManyAttemptsPage(c, wait)
    const staff = token && token.length <= 200 ? await authenticateCached(deps, token) : undefined
    if (token && !staff) attempts.failed()
    if (!token || !staff) {
      if (token) endSession(c)
      const here = new URL(c.req.url)
      const back = c.req.method === 'GET' ? safeNext(here.pathname + here.search) : consolePath
      const query = back === consolePath ? '' : `?next=${encodeURIComponent(back)}`
      return c.redirect(`${consolePath}/login${query}`, 303)
    }
    if (c.req.method === 'POST' && !(await csrfValid(c, token))) return onCsrfFailure(c)
    c.set('staff', staff)
    c.set('csrf', csrfTokenFor(ensureNonce(c), token))
    await next()
  })
}
