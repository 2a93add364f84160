import { createMiddleware } from 'hono/factory'
import type { StaffRow } from '../core/shared/actor'
import type { Deps } from '../core/shared/deps'
import { authenticateCached } from '../core/staff/staff.cache'
import { errorBody } from './errors'
import { retryAfterHeader, tokenAttempts, tooManyAttemptsMessage } from './guard'

export type ApiEnv = { Variables: { staff: StaffRow } }

/**
 * Bearer token → staff member; the token is compared by its keyed hash (and the answer remembered while
 * current: core/staff/staff.cache.ts). Wrong tokens are counted per
 * client address and per token prefix: past the limit every token is refused with 429 for a while, the
 * right one too, so the answers tell a guesser nothing.
 */
export function requireStaff(deps: Pick<Deps, 'db' | 'database'>) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match) {
      return c.json(
        errorBody('auth.missing', '缺少访问令牌：请在请求头加上 Authorization: Bearer <令牌>。'),
        401,
      )
    }
    const token = match[1]!
    const attempts = tokenAttempts(c, token)
    const wait = attempts.blockedFor()
    if (wait > 0) {
      return c.json(errorBody('auth.rate_limited', tooManyAttemptsMessage(wait)), 429, retryAfterHeader(wait))
    }
    const staff = token.length <= 200 ? await authenticateCached(deps, token) : undefined
    if (!staff) {
      attempts.failed()
      return c.json(errorBody('auth.invalid', '访问令牌无效或已停用。'), 401)
    }
    c.set('staff', staff)
    await next()
  })
}

export const staffActor = (staff: StaffRow) => ({ kind: 'staff' as const, staff, via: 'api' as const })
