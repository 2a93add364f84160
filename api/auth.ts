import { createMiddleware } from 'hono/factory'
import type { StaffRow } from '../core/shared/actor'
import type { Deps } from '../core/shared/deps'
import { authenticate } from '../core/staff/staff.usecases'
import { errorBody } from './errors'

export type ApiEnv = { Variables: { staff: StaffRow } }

/** Bearer token → staff member; the token is compared by its hash. */
export function requireStaff(deps: Pick<Deps, 'db'>) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    if (!match) {
      return c.json(
        errorBody('auth.missing', '缺少访问令牌：请在请求头加上 Authorization: Bearer <令牌>。'),
        401,
      )
    }
    const staff = await authenticate(deps.db, match[1]!)
    if (!staff) return c.json(errorBody('auth.invalid', '访问令牌无效或已停用。'), 401)
    c.set('staff', staff)
    await next()
  })
}

export const staffActor = (staff: StaffRow) => ({ kind: 'staff' as const, staff, via: 'api' as const })
